// Renders the node status page from /api/status. Every word on the page
// comes from the API's "labels" in the chosen language; this file only lays
// the data out. Charts are drawn as inline SVG, so the page needs no chart
// library and loads nothing from another host.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const COLORS = ["#1f6fb2", "#d9480f", "#2b8a3e", "#862e9c", "#c2255c", "#0b7285",
  "#e67700", "#5c940d", "#364fc7", "#a61e4d", "#495057"];
const REFRESH_MS = 15000;

const params = new URLSearchParams(window.location.search);
const lang = params.get("lang") === "en" ? "en" : "zh";
const quarter = params.get("quarter");

function element(tag, attributes, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function svgElement(tag, attributes, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function replaceSection(id, title) {
  const section = document.getElementById(id);
  section.replaceChildren(element("h2", {}, title));
  return section;
}

function formatBytes(bytes) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return (unit === 0 ? value : value.toFixed(1)) + " " + units[unit];
}

function formatTime(ms, labels) {
  if (!ms) return labels.never;
  return new Date(ms).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB",
    { timeZone: "Asia/Shanghai", hour12: false });
}

function renderNode(view) {
  const labels = view.labels;
  const section = replaceSection("node-section", labels.node + " " + view.node.id + " " +
    view.node.name);
  const facts = element("dl", { class: "facts" });
  const add = (term, value, className) => {
    facts.append(element("dt", {}, term), element("dd", className ? { class: className } : {},
      value));
  };
  add(labels.version, view.node.version);
  add(labels.key, view.node.key_fingerprint);
  add(labels.appends, view.node.append_allowed ? labels.appends_allowed
    : labels.appends_blocked + ": " + view.node.append_blocked_reason,
    view.node.append_allowed ? "ok" : "bad");
  add(labels.database, formatBytes(view.node.database_bytes));
  const lead = view.lead.lead === null ? "-" : view.lead.lead + " " + view.lead.lead_name;
  add(labels.epoch, String(view.lead.epoch), null);
  add(labels.lead, lead + "  (" + view.lead.note + ")");
  add(labels.updated, view.generated);
  section.append(facts);
}

function renderMembers(view) {
  const labels = view.labels;
  const section = replaceSection("members-section", labels.members);
  const table = element("table", { id: "members" });
  const head = element("tr");
  for (const title of [labels.member, labels.link, labels.lag, labels.ahead, labels.received,
    labels.last_contact, labels.error]) {
    head.append(element("th", {}, title));
  }
  table.append(head);
  for (const member of view.members) {
    const row = element("tr", { "data-member": member.id });
    row.append(element("td", {}, member.id + " " + member.name));
    if (member.self) {
      row.append(element("td", { class: "ok", "data-link": "self" }, labels.self));
      for (let i = 0; i < 5; i += 1) row.append(element("td", { class: "muted" }, ""));
    } else if (member.linked === undefined) {
      row.append(element("td", { class: "muted" }, "-"));
      for (let i = 0; i < 5; i += 1) row.append(element("td", { class: "muted" }, ""));
    } else {
      let link = labels.not_linked;
      let state = "not-linked";
      let className = "muted";
      if (member.linked && member.connected) {
        link = labels.connected + (member.in_sync ? " · " + labels.in_sync : "");
        state = "connected";
        className = "ok";
      } else if (member.linked) {
        link = labels.disconnected;
        state = "disconnected";
        className = "bad";
      }
      row.append(element("td", { class: className, "data-link": state }, link));
      row.append(element("td", { class: "number" }, member.lag_entries));
      row.append(element("td", { class: "number" }, member.ahead_entries));
      row.append(element("td", { class: "number" }, member.entries_received + " / " +
        formatBytes(member.bytes_received)));
      row.append(element("td", {}, formatTime(member.last_contact_ms, labels)));
      row.append(element("td", { class: member.last_error ? "bad" : "" }, member.last_error));
    }
    table.append(row);
  }
  section.append(table);
}

function renderMatrix(view) {
  const labels = view.labels;
  const section = replaceSection("matrix-section", labels.completeness);
  const deadline = element("p", { class: "deadline", id: "deadline" },
    labels.deadline + ": " + view.quarter.deadline + " · " + view.quarter.deadline_text);
  deadline.classList.add(view.quarter.seconds_left >= 0 ? "ok" : "bad");
  section.append(deadline);

  const legend = element("p", { class: "legend" });
  for (const state of ["complete", "partial", "missing"]) {
    legend.append(element("span", { class: state },
      labels[state] + " " + view.matrix.totals[state]));
  }
  section.append(legend);

  const wrap = element("div", { class: "matrix-wrap" });
  const table = element("table", { id: "matrix", "data-quarter": view.quarter.period });
  const head = element("tr");
  head.append(element("th", {}, labels.indicator));
  for (const province of view.matrix.provinces) {
    head.append(element("th", { "data-province": province.id }, province.name));
  }
  table.append(head);
  for (const indicator of view.matrix.indicators) {
    const row = element("tr", { "data-indicator": indicator.code });
    row.append(element("th", { title: indicator.code }, indicator.name + " (" + indicator.unit +
      ")"));
    for (const cell of indicator.cells) {
      const text = cell.expected > 1 ? cell.have + "/" + cell.expected : labels[cell.state];
      row.append(element("td", {
        class: "cell " + cell.state,
        "data-province": cell.province,
        "data-indicator": indicator.code,
        "data-state": cell.state,
        title: labels[cell.state],
      }, text));
    }
    table.append(row);
  }
  wrap.append(table);
  section.append(wrap);
  section.append(element("p", { class: "muted" }, labels.legend_jan_feb));
}

function renderAlarms(view) {
  const labels = view.labels;
  const section = replaceSection("alarms-section", labels.alarms);
  if (view.alarms.length === 0) {
    section.append(element("p", { class: "ok", id: "no-alarms" }, labels.no_alarms));
    return;
  }
  const list = element("ul", { class: "alarms", id: "alarms" });
  for (const alarm of view.alarms) {
    list.append(element("li", { class: "bad", "data-kind": alarm.kind },
      "[" + alarm.kind + "] " + alarm.detail));
  }
  section.append(list);
}

// Draws a line chart of decimal-text values; a null value leaves a gap.
// Each point carries its exact text in data-value and its <title>.
function lineChart(id, periods, series, unit) {
  const width = 1000;
  const height = 380;
  const left = 70;
  const right = 170;
  const top = 16;
  const bottom = 40;
  let max = 0;
  for (const line of series) {
    for (const value of line.values) {
      if (value !== null) max = Math.max(max, Number(value));
    }
  }
  max = max > 0 ? max * 1.05 : 1;
  const x = (index) => left + (periods.length === 1 ? 0.5 : index / (periods.length - 1)) *
    (width - left - right);
  const y = (value) => top + (1 - Number(value) / max) * (height - top - bottom);

  const svg = svgElement("svg", { id: id, viewBox: "0 0 " + width + " " + height,
    width: "100%", role: "img" });
  for (let step = 0; step <= 4; step += 1) {
    const value = max * step / 4;
    svg.append(svgElement("line", { class: "grid", x1: left, x2: width - right, y1: y(value),
      y2: y(value) }));
    svg.append(svgElement("text", { x: left - 6, y: y(value) + 4, "text-anchor": "end" },
      Math.round(value).toLocaleString()));
  }
  svg.append(svgElement("text", { x: 4, y: top - 4 }, unit));
  const labelEvery = Math.max(1, Math.ceil(periods.length / 12));
  periods.forEach((period, index) => {
    if (index % labelEvery === 0 || index === periods.length - 1) {
      svg.append(svgElement("text", { x: x(index), y: height - bottom + 16,
        "text-anchor": "middle" }, period));
    }
  });
  svg.append(svgElement("line", { class: "axis", x1: left, x2: width - right,
    y1: height - bottom, y2: height - bottom }));

  series.forEach((line, number) => {
    const color = COLORS[number % COLORS.length];
    const group = svgElement("g", { "data-series": line.key, "data-name": line.name });
    let path = "";
    let pen = "M";
    line.values.forEach((value, index) => {
      if (value === null) {
        pen = "M";
        return;
      }
      path += pen + x(index).toFixed(1) + "," + y(value).toFixed(1) + " ";
      pen = "L";
    });
    group.append(svgElement("path", { d: path, fill: "none", stroke: color,
      "stroke-width": 2 }));
    line.values.forEach((value, index) => {
      if (value === null) return;
      const point = svgElement("circle", { cx: x(index), cy: y(value), r: 3, fill: color,
        "data-period": periods[index], "data-value": value });
      point.append(svgElement("title", {}, line.name + " " + periods[index] + ": " + value +
        " " + unit));
      group.append(point);
    });
    svg.append(group);
    const legendY = top + 14 + number * 18;
    svg.append(svgElement("rect", { x: width - right + 14, y: legendY - 9, width: 12,
      height: 12, fill: color }));
    svg.append(svgElement("text", { x: width - right + 32, y: legendY + 1 }, line.name));
  });
  return svg;
}

function renderCharts(view) {
  const labels = view.labels;
  const colon = view.lang === "zh" ? "：" : ": ";
  const section = replaceSection("charts-section", labels.charts);
  section.append(element("p", { class: "note", id: "sealed-note" }, labels.sealed_note));
  const gdp = view.charts.gdp;
  const gdpBlock = element("div", { class: "chart" });
  gdpBlock.append(element("h3", {}, labels.gdp_chart + " (" + gdp.unit + ")"));
  if (gdp.series.length === 0) {
    gdpBlock.append(element("p", { class: "muted", id: "gdp-none" }, labels.no_sealed));
  } else {
    gdpBlock.append(lineChart("gdp-chart", gdp.periods, gdp.series.map((line) => ({
      key: line.region, name: line.name, values: line.values })), gdp.unit));
    gdpBlock.append(element("p", { class: "muted" }, labels.releases + colon +
      gdp.releases.map((release) => release.period + " #" + release.release).join(", ")));
  }
  section.append(gdpBlock);

  const belt = view.charts.belt;
  const beltBlock = element("div", { class: "chart" });
  beltBlock.append(element("h3", {}, labels.belt_chart +
    (belt.indicator ? ": " + belt.name + " (" + belt.unit + ")" : "")));
  if (belt.points.length === 0) {
    beltBlock.append(element("p", { class: "muted", id: "belt-none" }, labels.no_sealed));
  } else {
    const periods = belt.points.map((point) => point.period + " (" + point.provinces + "/" +
      belt.members + ")");
    beltBlock.append(lineChart("belt-chart", periods, [{ key: "belt", name: belt.name,
      values: belt.points.map((point) => point.total) }], belt.unit));
    beltBlock.append(element("p", { class: "muted" }, "(n/" + belt.members + ") " +
      labels.provinces_counted + "; " + labels.releases + colon +
      belt.points.map((point) => point.release).join(", ")));
  }
  section.append(beltBlock);
}

function render(view) {
  document.documentElement.lang = view.lang === "zh" ? "zh-CN" : "en";
  document.title = view.labels.title;
  document.getElementById("title").textContent = view.labels.title;
  const other = new URLSearchParams(params);
  other.set("lang", lang === "zh" ? "en" : "zh");
  const switcher = document.getElementById("switch-language");
  switcher.href = "?" + other.toString();
  switcher.textContent = view.labels.switch_language;
  renderNode(view);
  renderMembers(view);
  renderMatrix(view);
  renderAlarms(view);
  renderCharts(view);
  document.getElementById("page").dataset.state = "ready";
}

async function load() {
  const query = new URLSearchParams({ lang: lang });
  if (quarter) query.set("quarter", quarter);
  const errorLine = document.getElementById("load-error");
  try {
    const response = await fetch("/api/status?" + query.toString(), { cache: "no-store" });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || response.statusText);
    render(body);
    errorLine.hidden = true;
  } catch (error) {
    errorLine.textContent = String(error.message || error);
    errorLine.hidden = false;
    document.getElementById("page").dataset.state = "error";
  }
}

load();
setInterval(load, REFRESH_MS);
