/* Analysis panels: the station's trend, forecast and warning, haze case base; current warnings
   on the overview. Data from /ui/stations/{code}/{trend,forecast,haze}.json and /ui/warnings.json. */
"use strict";

(() => {
  const { t, getJSON, fontFamily, escapeHtml, localTime, pollutants } = Ecodata;
  const page = Ecodata.readJSON("page-data");
  const fixed = (v, digits = 1) => (v == null ? "—" : Number(v).toFixed(digits));
  const levelBadge = (w) =>
    `<span class="warning-level warning-${escapeHtml(w.level)}">${escapeHtml(Ecodata.config.lang === "en" ? t(`js.warning.${w.level}`) : w.label_zh)}</span>`;

  // -- trend --------------------------------------------------------------------------------
  const trendElement = document.getElementById("trend-chart");
  const trendParameter = document.getElementById("trend-parameter");
  const trendNote = document.getElementById("trend-note");
  let trendChart = null;
  async function drawTrend() {
    if (!trendElement || Ecodata.assetsMissing(trendElement)) return;
    const code = encodeURIComponent(page.code);
    let data;
    try {
      data = await getJSON(`/ui/stations/${code}/trend.json?parameter=${encodeURIComponent(trendParameter.value)}`);
    } catch (error) {
      Ecodata.showError(trendElement, error);
      return;
    }
    if (!data.available) {
      trendNote.textContent = t("js.trend_unavailable", { reason: data.message });
      trendElement.hidden = true;
      return;
    }
    trendElement.hidden = false;
    trendNote.textContent = t("js.trend_note", {
      slope: fixed(data.slope, 2), lower: fixed(data.lower, 2), upper: fixed(data.upper, 2),
      units: data.units, stars: data.stars, p: Number(data.p).toPrecision(2), n: data.n,
    });
    if (!trendChart) trendChart = Ecodata.chart(trendElement);
    const points = data.values.map((v) => [Date.parse(v.time), v.value]);
    const smooth = data.smooth ? data.smooth.points.map((v) => [Date.parse(v.time), v.fit]) : [];
    trendChart.setOption({
      textStyle: { fontFamily },
      animation: false,
      grid: { left: 56, right: 16, top: 36, bottom: 40 },
      tooltip: { trigger: "axis", valueFormatter: (v) => (v == null ? "—" : Number(v).toFixed(1)) },
      legend: { top: 0, textStyle: { fontSize: 11 } },
      xAxis: { type: "time" },
      yAxis: { type: "value", name: data.units.replace("/year", ""), scale: true },
      series: [
        { name: t("js.trend_values"), type: "line", data: points, showSymbol: false, lineStyle: { width: 1 }, itemStyle: { color: "#5f7f99" } },
        { name: t("js.trend_smooth"), type: "line", data: smooth, showSymbol: false, lineStyle: { width: 1.6 }, itemStyle: { color: "#2e7d32" } },
        { name: t("js.trend_line"), type: "line", data: data.line, showSymbol: false, lineStyle: { width: 2, type: "dashed" }, itemStyle: { color: "#b3261e" } },
      ],
    }, { notMerge: true });
    trendElement.dataset.ready = "true";
  }
  trendParameter?.addEventListener("change", drawTrend);

  // -- forecast and warning -------------------------------------------------------------------
  const forecastElement = document.getElementById("forecast-chart");
  const forecastNote = document.getElementById("forecast-note");
  const warningBox = document.getElementById("forecast-warning");
  async function drawForecast() {
    if (!forecastElement) return;
    let data;
    try {
      data = await getJSON(`/ui/stations/${encodeURIComponent(page.code)}/forecast.json`);
    } catch (error) {
      Ecodata.showError(forecastNote, error);
      return;
    }
    if (!data.available) {
      forecastNote.textContent = data.no_model ? t("js.forecast_no_model") : t("js.forecast_unavailable", { reason: data.message });
      return;
    }
    if (data.warning) {
      const w = data.warning;
      const rule = Ecodata.config.lang === "en" ? w.rule : w.rule_zh;
      warningBox.innerHTML = `<p>${levelBadge(w)} <span class="muted">${escapeHtml(rule)}</span></p>
        <p class="small">${escapeHtml(t("js.warning_daily", { values: w.daily_aqi.map((v) => fixed(v, 0)).join(" · ") }))}</p>`;
    }
    const first = data.forecasts.pm2_5 || data.forecasts.aqi;
    forecastNote.textContent = t("js.forecast_note", { time: localTime(first.issue_time), model: first.model });
    if (Ecodata.assetsMissing(forecastElement)) return;
    forecastElement.hidden = false;
    const chart = Ecodata.chart(forecastElement);
    const series = [];
    for (const [target, f] of Object.entries(data.forecasts)) {
      const label = target === "aqi" ? "AQI" : pollutants(target);
      const axis = target === "aqi" ? 1 : 0;
      series.push({ name: `${label} ${t("js.observed")}`, type: "line", yAxisIndex: axis, data: f.observed, showSymbol: false, lineStyle: { width: 1 } });
      series.push({ name: `${label} ${t("js.forecast")}`, type: "line", yAxisIndex: axis, data: f.path, showSymbol: false, lineStyle: { width: 1.6, type: "dashed" } });
    }
    chart.setOption({
      textStyle: { fontFamily },
      animation: false,
      grid: { left: 56, right: 56, top: 40, bottom: 40 },
      tooltip: { trigger: "axis", valueFormatter: (v) => (v == null ? "—" : Number(v).toFixed(0)) },
      legend: { top: 0, textStyle: { fontSize: 11 } },
      xAxis: { type: "time" },
      yAxis: [{ type: "value", name: "µg/m³" }, { type: "value", name: "AQI", splitLine: { show: false } }],
      series,
    }, { notMerge: true });
    forecastElement.dataset.ready = "true";
  }

  // -- haze case base -------------------------------------------------------------------------
  async function showHaze() {
    const target = document.getElementById("haze");
    if (!target) return;
    let data;
    try {
      data = await getJSON(`/ui/stations/${encodeURIComponent(page.code)}/haze.json`);
    } catch (error) {
      Ecodata.showError(target, error);
      return;
    }
    if (!data.available) {
      target.innerHTML = `<p class="muted">${escapeHtml(data.message)}</p>`;
      return;
    }
    if (!data.episodes.length) {
      target.innerHTML = `<p class="muted">${escapeHtml(t("js.haze_none"))}</p>`;
      return;
    }
    const when = (text) => escapeHtml(text.slice(0, 16).replace("T", " "));
    const rows = data.episodes.slice().reverse().map((e) => `<tr>
      <td>${when(e.start)}</td><td>${when(e.end)}</td><td class="num">${e.duration_h}</td>
      <td class="num">${fixed(e.peak_aqi, 0)}</td><td class="num">${fixed(e.peak_daily_aqi, 0)}</td>
      <td>${escapeHtml(pollutants(e.primary_pollutant || ""))}</td>
      <td class="num">${fixed(e.meteorology.rh)}</td><td class="num">${fixed(e.meteorology.ws)}</td>
      <td class="num">${fixed(e.meteorology.temp)}</td></tr>`).join("");
    const head = ["start", "end", "hours", "peak", "peak24", "primary", "rh", "ws", "temp"]
      .map((k) => `<th scope="col">${escapeHtml(t(`js.haze.${k}`))}</th>`).join("");
    target.innerHTML = `<p>${escapeHtml(t("js.haze_count", { n: data.episodes.length }))}</p>
      <div class="table-wrap haze-wrap"><table class="data haze"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></div>`;
  }

  // -- current warnings (overview) ------------------------------------------------------------
  async function showWarnings() {
    const card = document.getElementById("warnings-card");
    if (!card) return;
    let data;
    try {
      data = await getJSON("/ui/warnings.json");
    } catch (error) {
      card.hidden = false;
      Ecodata.showError(document.getElementById("warnings"), error);
      return;
    }
    if (!data.count) return;
    card.hidden = false;
    const rows = data.results.map((w) => `<tr><td><a href="/stations/${encodeURIComponent(w.site)}">${escapeHtml(w.site)}</a> <span class="muted">${escapeHtml(w.city)}</span></td>
      <td>${levelBadge(w)}</td><td>${escapeHtml(w.daily_aqi.map((v) => fixed(v, 0)).join(" · "))}</td>
      <td class="muted">${escapeHtml(w.issue_time.slice(0, 16).replace("T", " "))}</td></tr>`).join("");
    document.getElementById("warnings").innerHTML = `<div class="table-wrap"><table class="data"><thead><tr>
      <th scope="col">${escapeHtml(t("js.station"))}</th><th scope="col">${escapeHtml(t("js.level"))}</th>
      <th scope="col">${escapeHtml(t("js.daily_aqi"))}</th><th scope="col">${escapeHtml(t("js.issued"))}</th></tr></thead>
      <tbody>${rows}</tbody></table></div>`;
  }

  if (page && page.code && document.getElementById("haze")) {
    // after the station script's first chart, so that the page's own data come first
    window.addEventListener("load", () => {
      if (trendParameter) drawTrend();
      drawForecast();
      showHaze();
    });
  }
  showWarnings();
})();
