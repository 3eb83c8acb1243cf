/* ecodata web UI — what every page script shares: page data, messages, fetching JSON, charts. */
"use strict";

const Ecodata = (() => {
  const readJSON = (id) => {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  };
  const config = readJSON("ui-config") || { messages: {}, tz_minutes: 480 };
  const messages = config.messages || {};

  /** The message `key` with `{name}` placeholders filled. */
  function t(key, values) {
    let text = messages[key] ?? key;
    for (const [name, value] of Object.entries(values || {})) {
      text = text.split(`{${name}}`).join(String(value));
    }
    return text;
  }

  /** GET a JSON document; the error message of the API on failure. */
  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) {
      let message = `${response.status} ${response.statusText}`;
      try {
        const body = await response.json();
        message = body?.error?.message || body?.message || message;
      } catch (_ignored) {
        /* not JSON */
      }
      throw new Error(message);
    }
    return response.json();
  }

  const fontFamily = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Noto Sans SC", sans-serif';

  function assetsMissing(element) {
    if (typeof echarts !== "undefined") return false;
    element.classList.add("chart-error");
    element.textContent = t("js.assets_missing");
    return true;
  }

  const charts = [];
  // Canvas text drawn before a web font arrived is redrawn once it has.
  if (document.fonts) document.fonts.addEventListener("loadingdone", () => charts.forEach((c) => c.resize()));

  /** An ECharts instance that follows the size of its element. */
  function chart(element) {
    const instance = echarts.init(element, null, { renderer: "canvas" });
    new ResizeObserver(() => instance.resize()).observe(element);
    charts.push(instance);
    return instance;
  }

  function showError(element, error) {
    element.classList.add("chart-error");
    element.textContent = `${t("js.failed")}: ${error.message || error}`;
  }

  const pad = (n) => String(n).padStart(2, "0");

  /** Epoch milliseconds → local time text in the installation's time zone. */
  function localTime(ms, withTime = true) {
    const d = new Date(ms + config.tz_minutes * 60000);
    const day = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    return withTime ? `${day} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}` : day;
  }

  const POLLUTANTS = { pm2_5: "PM2.5", pm10: "PM10", so2: "SO₂", no2: "NO₂", co: "CO", o3: "O₃", o3_8h: "O₃-8h" };
  const pollutants = (text) =>
    (text ? String(text).split(",") : []).filter(Boolean).map((k) => POLLUTANTS[k] || k).join(config.lang === "en" ? ", " : "、");

  const escapeHtml = (text) =>
    String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  return { readJSON, config, t, getJSON, fontFamily, assetsMissing, chart, showError, localTime, pollutants, escapeHtml, POLLUTANTS };
})();
