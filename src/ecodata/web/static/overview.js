/* The overview map: every station coloured by its AQI category; province and city drill-down. */
"use strict";

(async () => {
  const { t, getJSON, fontFamily, escapeHtml, pollutants } = Ecodata;
  // The ranking's rows beyond the first screen wait until the map is drawn (see overview.html).
  const revealRanking = () => document.documentElement.classList.remove("ranking-deferred");
  const page = Ecodata.readJSON("page-data");
  const element = document.getElementById("map");
  if (!page || Ecodata.assetsMissing(element)) return;
  performance.mark("overview:start");

  const F = Object.fromEntries(page.fields.map((name, i) => [name, i]));
  const categories = Object.fromEntries(page.categories.map((c) => [c.level, c]));
  const stations = page.stations;
  let scope = { level: "country", province: null, provinceName: null, city: null, cityName: null };
  let geoIndex = {};

  const chart = Ecodata.chart(element);
  chart.showLoading({ text: t("js.loading"), textColor: "#334", maskColor: "rgba(255,255,255,0.6)" });

  let provinces;
  try {
    provinces = await getJSON("/ui/regions/provinces.json");
  } catch (error) {
    chart.hideLoading();
    chart.dispose();
    Ecodata.showError(element, error);
    return;
  }
  echarts.registerMap("china", provinces);
  const provinceByName = {};
  for (const feature of provinces.features) {
    if (feature.properties.name) provinceByName[feature.properties.name] = feature.properties;
  }

  /** Stations shown in the current scope, split by category (one series per category). */
  function seriesFor(filter) {
    const groups = { none: [] };
    for (const level of Object.keys(categories)) groups[level] = [];
    stations.forEach((row, index) => {
      if (row[F.lon] == null || row[F.lat] == null || !filter(row)) return;
      const key = row[F.level] == null ? "none" : String(row[F.level]);
      groups[key].push([row[F.lon], row[F.lat], row[F.aqi], index]);
    });
    const series = Object.values(categories).map((c) => ({
      id: `level-${c.level}`,
      name: c.name,
      type: "scatter",
      coordinateSystem: "geo",
      data: groups[String(c.level)],
      symbolSize: 7,
      itemStyle: { color: c.colour, borderColor: "rgba(20,30,40,0.55)", borderWidth: 0.6 },
      emphasis: { scale: 1.8 },
      zlevel: 1,
    }));
    series.push({
      id: "level-none",
      name: t("js.no_data"),
      type: "scatter",
      coordinateSystem: "geo",
      data: groups.none,
      symbol: "circle",
      symbolSize: 6,
      itemStyle: { color: "#ffffff", borderColor: "#7a8792", borderWidth: 1 },
      zlevel: 1,
    });
    geoIndex = {};
    series.forEach((s, seriesIndex) => s.data.forEach((d, dataIndex) => {
      geoIndex[stations[d[3]][F.code]] = { seriesIndex, dataIndex };
    }));
    return series;
  }

  // City polygons of a province view are tinted with the city's AQI category.
  let regionCities = {};
  const tint = (hex) => `rgba(${parseInt(hex.slice(1, 3), 16)}, ${parseInt(hex.slice(3, 5), 16)}, ${parseInt(hex.slice(5, 7), 16)}, 0.32)`;
  function cityRegions(features) {
    regionCities = {};
    const byCode = Object.fromEntries(page.cities.filter((c) => c.division_code).map((c) => [c.division_code, c]));
    return features.flatMap((f) => {
      const city = byCode[String(f.properties.adcode)];
      if (!city || !city.level) return [];
      regionCities[f.properties.name] = city;
      return [{ name: f.properties.name, itemStyle: { areaColor: tint(categories[city.level].colour) } }];
    });
  }

  function tooltip(params) {
    if (params.componentType !== "series") {
      const city = regionCities[params.name];
      if (!city) return escapeHtml(params.name);
      const c = categories[city.level];
      return `<strong>${escapeHtml(params.name)}</strong><br>AQI ${city.aqi} <span class="badge" style="background:${c.colour};color:${c.text}">${escapeHtml(c.name)}</span>`;
    }
    const row = stations[params.value[3]];
    const level = row[F.level];
    const category = level ? categories[level] : null;
    const badge = category
      ? `<span class="badge" style="background:${category.colour};color:${category.text}">${escapeHtml(category.name)}</span>`
      : `<span class="badge badge-none">${escapeHtml(t("js.no_data"))}</span>`;
    const primary = row[F.primary] ? `<br>${escapeHtml(t("js.primary"))}: ${escapeHtml(pollutants(row[F.primary]))}` : "";
    return `<strong>${escapeHtml(row[F.name])}</strong> ${escapeHtml(row[F.code])}<br>${escapeHtml(row[F.city])}<br>AQI ${row[F.aqi] ?? "—"} ${badge}${primary}`;
  }

  function geoOption(map, regions, labels) {
    return {
      map,
      roam: true,
      top: 8,
      bottom: 8,
      left: 8,
      right: 8,
      scaleLimit: { min: 0.8, max: 40 },
      itemStyle: { areaColor: "#eef3f6", borderColor: "#9db0bf", borderWidth: 0.8 },
      emphasis: { itemStyle: { areaColor: "#dce9f2" }, label: { show: true, color: "#1d3b53" } },
      select: { disabled: true },
      label: { show: labels, fontSize: 10, color: "#3b4c5a" },
      regions,
    };
  }

  const baseOption = {
    textStyle: { fontFamily },
    animation: false,
    tooltip: { trigger: "item", formatter: tooltip, confine: true },
    geo: geoOption("china", [], false),
    series: seriesFor(() => true),
  };

  let drawnOnce = false;
  chart.on("finished", () => {
    if (drawnOnce) return;
    drawnOnce = true;
    performance.mark("overview:map-drawn");
    requestAnimationFrame(revealRanking);
    document.body.dataset.mapReady = "true";
  });
  chart.hideLoading();
  chart.setOption(baseOption);

  // -- ranking table ------------------------------------------------------------------------
  const table = document.querySelector("#ranking tbody");
  const orderSelect = document.getElementById("ranking-order");
  function refreshTable() {
    const rows = Array.from(table.rows).sort((a, b) => Number(a.dataset.position) - Number(b.dataset.position));
    if (orderSelect.value === "worst") rows.reverse();
    const inProvince = (row) => scope.level === "country" || row.dataset.province === scope.province;
    const cityRows = scope.level === "city" ? rows.filter((row) => row.dataset.division === scope.city) : [];
    const visible = (row) => (cityRows.length ? cityRows.includes(row) : inProvince(row));
    let rank = 0;
    for (const row of rows) {
      row.hidden = !visible(row);
      if (!row.hidden) row.cells[0].textContent = String(++rank);
      table.appendChild(row);
    }
  }
  Array.from(table.rows).forEach((row, index) => { row.dataset.position = String(index); });
  orderSelect.addEventListener("change", refreshTable);

  // -- drill-down ---------------------------------------------------------------------------
  const crumbs = document.getElementById("crumbs");
  const title = document.getElementById("map-title");
  const countryTitle = title.textContent;
  function renderCrumbs() {
    title.textContent = scope.cityName || scope.provinceName || countryTitle;
    const parts = [`<button type="button" class="crumb" data-level="country">${escapeHtml(t("js.country"))}</button>`];
    if (scope.province) parts.push(`<button type="button" class="crumb" data-level="province">${escapeHtml(scope.provinceName)}</button>`);
    if (scope.city) parts.push(`<span class="crumb crumb-current">${escapeHtml(scope.cityName)}</span>`);
    crumbs.innerHTML = parts.join('<span aria-hidden="true">›</span>');
  }
  crumbs.addEventListener("click", (event) => {
    const level = event.target?.dataset?.level;
    if (level === "country") showCountry();
    if (level === "province" && scope.province) showProvince(scope.province, scope.provinceName);
  });

  function showCountry() {
    scope = { level: "country", province: null, provinceName: null, city: null, cityName: null };
    regionCities = {};
    chart.setOption({ geo: geoOption("china", [], false), series: seriesFor(() => true) }, { replaceMerge: ["series", "geo"] });
    renderCrumbs();
    refreshTable();
  }

  async function showProvince(adcode, name) {
    const mapName = `p${adcode}`;
    if (!echarts.getMap(mapName)) {
      try {
        echarts.registerMap(mapName, await getJSON(`/ui/regions/cities/${adcode}.json`));
      } catch (error) {
        document.getElementById("map").dataset.error = error.message;
        return;
      }
    }
    scope = { level: "province", province: adcode, provinceName: name, city: null, cityName: null };
    const features = echarts.getMap(mapName)?.geoJSON?.features || [];
    chart.setOption(
      { geo: geoOption(mapName, cityRegions(features), true), series: seriesFor((row) => row[F.province_code] === adcode) },
      { replaceMerge: ["series", "geo"] },
    );
    renderCrumbs();
    refreshTable();
  }

  function showCity(adcode, name) {
    const own = (row) => row[F.division_code] === adcode;
    const inProvince = (row) => row[F.province_code] === scope.province;
    const filter = stations.some(own) ? own : inProvince;
    scope = { ...scope, level: "city", city: adcode, cityName: name };
    chart.setOption({ series: seriesFor(filter) }, { replaceMerge: ["series"] });
    renderCrumbs();
    refreshTable();
  }

  chart.on("click", (params) => {
    if (params.componentType === "series") {
      const row = stations[params.value[3]];
      window.location.href = `/stations/${encodeURIComponent(row[F.code])}`;
      return;
    }
    if (params.componentType !== "geo") return;
    if (scope.level === "country") {
      const found = provinceByName[params.name];
      if (found && found.adcode) showProvince(String(found.adcode), params.name);
    } else {
      const features = echarts.getMap(`p${scope.province}`)?.geoJSON?.features || [];
      const feature = features.find((f) => f.properties.name === params.name);
      if (feature) showCity(String(feature.properties.adcode), params.name);
    }
  });

  // For tests and the benchmark: where a station is drawn, and how many points are on the map.
  window.ecodataOverview = {
    chart,
    pointCount: () => chart.getOption().series.reduce((n, s) => n + (s.id === "level-none" ? 0 : s.data.length), 0),
    missingCount: () => chart.getOption().series.filter((s) => s.id === "level-none").reduce((n, s) => n + s.data.length, 0),
    pixelOf(code) {
      const row = stations.find((r) => r[F.code] === code);
      return row ? chart.convertToPixel({ geoIndex: 0 }, [row[F.lon], row[F.lat]]) : null;
    },
    showProvince,
    scope: () => ({ ...scope }),
  };
})();
