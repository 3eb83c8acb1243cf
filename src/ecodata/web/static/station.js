/* The station page: time series, AQI calendar, pollution rose and data quality. */
"use strict";

(() => {
  const { t, getJSON, fontFamily, escapeHtml, localTime, pollutants } = Ecodata;
  const page = Ecodata.readJSON("page-data");
  if (!page) return;
  const code = encodeURIComponent(page.code);
  const byCode = Object.fromEntries(page.parameters.map((p) => [p.code, p]));
  const UPPERS = [50, 100, 150, 200, 300]; // upper AQI of levels 1–5 (HJ 633-2012 Table 2)

  // -- time series ----------------------------------------------------------------------------
  const form = document.getElementById("series-form");
  const select = document.getElementById("series-parameter");
  const periodSelect = document.getElementById("series-period");
  const startInput = document.getElementById("series-start");
  const endInput = document.getElementById("series-end");
  const note = document.getElementById("series-note");
  const csvLink = document.getElementById("series-csv");
  const chartElement = document.getElementById("series-chart");
  let seriesChart = null;

  for (const p of page.parameters) {
    const option = document.createElement("option");
    option.value = p.code;
    option.textContent = p.unit ? `${p.name} (${p.unit})` : p.name;
    select.appendChild(option);
  }
  // The first chart is the one the server chose (and asked the browser to preload).
  const initial = page.initial || {};
  if (initial.parameter && byCode[initial.parameter]) select.value = initial.parameter;
  if (initial.period) periodSelect.value = initial.period;

  function defaultWindow(parameter, days) {
    const last = byCode[parameter]?.last;
    if (!last) return [null, null];
    const end = new Date(`${last}T00:00:00Z`);
    end.setUTCDate(end.getUTCDate() + 1);
    const start = new Date(end);
    start.setUTCDate(start.getUTCDate() - days);
    return [start.toISOString().slice(0, 10), end.toISOString().slice(0, 10)];
  }
  function fillWindow() {
    const [start, end] = defaultWindow(select.value, periodSelect.value === "day" ? 365 : 30);
    startInput.value = start || "";
    endInput.value = end || "";
  }
  function syncPeriods() {
    const periods = byCode[select.value]?.periods || ["hour"];
    for (const option of periodSelect.options) option.disabled = !periods.includes(option.value);
    if (!periods.includes(periodSelect.value)) periodSelect.value = periods[0];
  }
  syncPeriods();
  startInput.value = initial.start || "";
  endInput.value = initial.end || "";
  select.addEventListener("change", () => { syncPeriods(); fillWindow(); });
  periodSelect.addEventListener("change", fillWindow);

  function csvUrl(parameter, period, start, end) {
    const params = new URLSearchParams({ parameter, period });
    if (start) params.set("start", start);
    if (end) params.set("end", end);
    if (period === "hour") {
      params.set("site", page.code);
      params.set("format", "csv");
      params.set("limit", "10000");
      return `/api/v1/observations?${params}`;
    }
    params.set("format", "csv");
    return `/ui/stations/${code}/series.json?${params}`;
  }

  async function drawSeries(preloaded) {
    const parameter = select.value;
    const period = periodSelect.value;
    if (!parameter) return;
    if (Ecodata.assetsMissing(chartElement)) return;
    const params = new URLSearchParams({ parameter, period });
    if (startInput.value) params.set("start", startInput.value);
    if (endInput.value) params.set("end", endInput.value);
    const url = preloaded || `/ui/stations/${code}/series.json?${params}`;
    csvLink.href = csvUrl(parameter, period, startInput.value, endInput.value);
    performance.mark("station:series-start");
    note.textContent = t("js.loading");
    let data;
    try {
      data = await getJSON(url);
    } catch (error) {
      note.textContent = `${t("js.failed")}: ${error.message}`;
      return;
    }
    performance.mark("station:series-fetched");
    if (!seriesChart) seriesChart = Ecodata.chart(chartElement);
    const info = byCode[parameter];
    const points = data.times.map((time, i) => [time, data.values[i]]);
    const valid = data.values.filter((v) => v != null).length;
    note.textContent = t("js.series_note", {
      n: valid,
      method: t(`js.method.${data.method}`),
      from: data.times.length ? localTime(data.times[0], period === "hour") : "—",
      to: data.times.length ? localTime(data.times[data.times.length - 1], period === "hour") : "—",
    }) + (data.limit != null ? ` ${t("js.limit_note", { limit: data.limit, unit: data.unit })}` : "");
    const isAqi = parameter === "aqi";
    const option = {
      textStyle: { fontFamily },
      animation: false,
      grid: { left: 56, right: 24, top: 48, bottom: 72 },
      tooltip: {
        trigger: "axis",
        valueFormatter: (v) => (v == null ? "—" : `${v} ${data.unit}`),
        axisPointer: { type: "line" },
      },
      toolbox: {
        right: 8,
        feature: {
          dataZoom: { yAxisIndex: "none", title: { zoom: t("js.zoom"), back: t("js.zoom_back") } },
          restore: { title: t("js.restore") },
          saveAsImage: { title: t("js.save_png"), name: `${page.code}_${parameter}_${period}`, pixelRatio: 2 },
        },
      },
      dataZoom: [{ type: "inside", throttle: 50 }, { type: "slider", height: 22, bottom: 16 }],
      xAxis: { type: "time" },
      yAxis: { type: "value", name: data.unit || (isAqi ? "AQI" : ""), scale: false },
      series: [{
        id: "values",
        name: info ? info.name : parameter,
        type: "line",
        data: points,
        showSymbol: false,
        sampling: "lttb",
        connectNulls: false,
        lineStyle: { width: 1.4 },
        itemStyle: { color: "#1f6f9f" },
        markLine: data.limit != null ? {
          symbol: "none",
          silent: true,
          lineStyle: { color: "#b3261e", type: "dashed" },
          label: { formatter: t("js.limit_label", { limit: data.limit }), position: "insideEndTop" },
          data: [{ yAxis: data.limit }],
        } : undefined,
      }],
    };
    if (isAqi) {
      option.visualMap = {
        show: false,
        type: "piecewise",
        dimension: 1,
        pieces: Ecodata.config.categories.map((c, i) => ({
          gt: i === 0 ? -1 : UPPERS[i - 1],
          lte: i < UPPERS.length ? UPPERS[i] : 100000,
          color: c.colour,
        })),
      };
    }
    seriesChart.off("finished");
    seriesChart.on("finished", () => {
      seriesChart.off("finished");
      performance.mark("station:chart-drawn");
      chartElement.dataset.points = String(points.length);
      chartElement.dataset.ready = "true";
    });
    chartElement.dataset.ready = "false";
    seriesChart.setOption(option, { notMerge: true });
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    drawSeries();
  });

  // -- AQI calendar ---------------------------------------------------------------------------
  const calendarElement = document.getElementById("calendar-chart");
  const yearSelect = document.getElementById("calendar-year");
  let calendarChart = null;
  async function drawCalendar() {
    if (!calendarElement || Ecodata.assetsMissing(calendarElement)) return;
    const year = yearSelect.value;
    let data;
    try {
      data = await getJSON(`/ui/stations/${code}/calendar.json?year=${year}`);
    } catch (error) {
      Ecodata.showError(calendarElement, error);
      return;
    }
    if (!calendarChart) calendarChart = Ecodata.chart(calendarElement);
    const categories = Object.fromEntries(data.categories.map((c) => [c.level, c]));
    calendarChart.setOption({
      textStyle: { fontFamily },
      animation: false,
      tooltip: {
        formatter: (p) => {
          const [day, aqi, level, primary, missing] = p.data;
          const c = categories[level];
          const extra = primary ? `<br>${escapeHtml(t("js.primary"))}: ${escapeHtml(pollutants(primary))}` : "";
          const partial = missing ? `<br><em>${escapeHtml(t("js.incomplete", { n: missing }))}</em>` : "";
          return `${day}<br>AQI ${aqi} <span class="badge" style="background:${c.colour};color:${c.text}">${escapeHtml(c.name)}</span>${extra}${partial}`;
        },
      },
      visualMap: {
        type: "piecewise",
        dimension: 2,
        orient: "horizontal",
        left: "center",
        bottom: 0,
        itemWidth: 14,
        textStyle: { fontSize: 11 },
        pieces: data.categories.map((c) => ({ value: c.level, label: c.name, color: c.colour })),
      },
      calendar: {
        range: String(data.year),
        top: 28,
        left: 36,
        right: 12,
        cellSize: ["auto", "auto"],
        bottom: 44,
        yearLabel: { show: false },
        dayLabel: { nameMap: Ecodata.config.lang === "en" ? "en" : "ZH", firstDay: 1, fontSize: 10 },
        monthLabel: { nameMap: Ecodata.config.lang === "en" ? "en" : "ZH", fontSize: 11 },
        itemStyle: { borderColor: "#ffffff", borderWidth: 1, color: "#f1f3f5" },
        splitLine: { lineStyle: { color: "#c9d2da" } },
      },
      series: [{ type: "heatmap", coordinateSystem: "calendar", data: data.days }],
    }, { notMerge: true });
    document.getElementById("calendar-note").textContent = t("js.calendar_note", { n: data.days.length, year: data.year });
    calendarElement.dataset.days = String(data.days.length);
  }
  yearSelect?.addEventListener("change", drawCalendar);

  // -- pollution rose -------------------------------------------------------------------------
  const roseElement = document.getElementById("rose-chart");
  const roseParameter = document.getElementById("rose-parameter");
  const roseYear = document.getElementById("rose-year");
  let roseChart = null;
  async function drawRose() {
    if (!roseElement || Ecodata.assetsMissing(roseElement)) return;
    const params = new URLSearchParams({ parameter: roseParameter.value });
    if (roseYear?.value) params.set("year", roseYear.value);
    let data;
    try {
      data = await getJSON(`/ui/stations/${code}/rose.json?${params}`);
    } catch (error) {
      Ecodata.showError(roseElement, error);
      return;
    }
    if (!roseChart) roseChart = Ecodata.chart(roseElement);
    const unit = data.parameter === "co" ? "mg/m³" : "µg/m³";
    const bounds = [0, ...data.class_bounds];
    const series = data.frequency.map((row, k) => ({
      type: "bar",
      coordinateSystem: "polar",
      stack: "rose",
      name: `${k < bounds.length - 1 ? `${bounds[k]}–${bounds[k + 1]}` : `>${bounds[bounds.length - 1]}`} ${unit}`,
      data: row,
      itemStyle: { color: data.categories[k].colour, borderColor: "rgba(0,0,0,0.25)", borderWidth: 0.4 },
    }));
    roseChart.setOption({
      textStyle: { fontFamily },
      animation: false,
      tooltip: {
        trigger: "item",
        formatter: (p) => `${escapeHtml(data.sectors[p.dataIndex])} · ${escapeHtml(data.categories[p.seriesIndex].name)} ${escapeHtml(p.seriesName)}: ${p.value}%`,
      },
      legend: { bottom: 0, left: "center", itemGap: 8, itemWidth: 14, textStyle: { fontSize: 10 } },
      polar: { center: ["50%", "42%"], radius: ["5%", "64%"] },
      angleAxis: { type: "category", data: data.sectors, startAngle: 90 + 11.25, clockwise: true, axisLabel: { fontSize: 10 } },
      radiusAxis: { type: "value", axisLabel: { formatter: "{value}%", fontSize: 9 }, splitNumber: 3 },
      series,
    }, { notMerge: true });
    document.getElementById("rose-note").textContent = t("js.rose_note", { hours: data.hours, calm: data.calm.toFixed(1), pollutant: pollutants(data.parameter) });
  }
  roseParameter?.addEventListener("change", drawRose);
  roseYear?.addEventListener("change", drawRose);

  // -- data quality ---------------------------------------------------------------------------
  async function showQuality() {
    const target = document.getElementById("quality");
    let data;
    try {
      data = await getJSON(`/ui/stations/${code}/quality.json`);
    } catch (error) {
      Ecodata.showError(target, error);
      return;
    }
    const years = data.years;
    const shade = (share) => {
      const hue = Math.round(120 * Math.max(0, Math.min(1, (share - 0.5) / 0.5)));
      return `hsl(${hue}, 70%, 88%)`;
    };
    const head = `<tr><th scope="col">${escapeHtml(t("js.parameter"))}</th><th scope="col">${escapeHtml(t("js.period"))}</th>${years.map((y) => `<th scope="col" class="num">${y}</th>`).join("")}<th scope="col" class="num">${escapeHtml(t("js.values"))}</th><th scope="col">${escapeHtml(t("js.flags"))}</th><th scope="col">QC</th></tr>`;
    const body = data.series.map((s) => {
      const cells = years.map((y) => {
        const share = s.coverage[String(y)];
        return share == null ? '<td class="num muted">—</td>' : `<td class="num" style="background:${shade(share)}">${(share * 100).toFixed(1)}%</td>`;
      }).join("");
      const flags = Object.entries(s.flags).map(([f, n]) => `${f || "N"} ${n.toLocaleString()}`).join(", ");
      const qc = Object.entries(s.qc).map(([f, n]) => `${f} ${n.toLocaleString()}`).join(", ") || "—";
      return `<tr><th scope="row">${escapeHtml(s.name)}</th><td>${escapeHtml(t(`js.period.${s.period}`))}</td>${cells}<td class="num">${s.count.toLocaleString()}</td><td>${escapeHtml(flags)}</td><td>${escapeHtml(qc)}</td></tr>`;
    }).join("");
    const quarantine = data.recent_quarantine.map((r) =>
      `<li><span class="muted">${escapeHtml(r.received_at?.slice(0, 16).replace("T", " "))}</span> ${escapeHtml(r.parameter || "")} — ${escapeHtml(r.reason)} <span class="muted">(${escapeHtml(r.position)})</span></li>`).join("");
    target.innerHTML = `<div class="table-wrap"><table class="data quality"><thead>${head}</thead><tbody>${body}</tbody></table></div>
      <p><strong>${escapeHtml(t("js.quarantined", { n: data.quarantined }))}</strong>${data.quarantined ? ` <a href="/ops/quarantine?site=${code}">${escapeHtml(t("js.quarantine_link"))}</a>` : ""}</p>
      ${quarantine ? `<ul class="quarantine-list">${quarantine}</ul>` : ""}`;
  }
  // The time series first; the sections below it once it is drawn (or has failed).
  drawSeries(initial.url).finally(() => {
    if (yearSelect) drawCalendar();
    if (roseParameter) drawRose();
    showQuality();
  });

  window.ecodataStation = {
    chart: () => seriesChart,
    pointCount: () => (seriesChart ? seriesChart.getOption().series[0].data.length : 0),
    draw: drawSeries,
  };
})();
