// The parts of Apache ECharts the web UI draws with, bundled by `make assets` (esbuild) into
// vendor/echarts/echarts.custom.min.js: about half the size of the full build, so a first visit
// downloads and compiles less.
import * as echarts from "echarts/core";
import { BarChart, HeatmapChart, LineChart, ScatterChart } from "echarts/charts";
import {
  CalendarComponent,
  DataZoomInsideComponent,
  DataZoomSliderComponent,
  GeoComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  PolarComponent,
  TitleComponent,
  ToolboxComponent,
  TooltipComponent,
  VisualMapPiecewiseComponent,
} from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([
  BarChart, HeatmapChart, LineChart, ScatterChart,
  CalendarComponent, DataZoomInsideComponent, DataZoomSliderComponent, GeoComponent,
  GridComponent, LegendComponent, MarkLineComponent, PolarComponent, TitleComponent,
  ToolboxComponent, TooltipComponent, VisualMapPiecewiseComponent,
  CanvasRenderer,
]);

globalThis.echarts = echarts;
