// Chart helpers on uPlot (vendored in /static/vendor/uplot, MIT). Every chart element
// carries data-points = the number of points drawn, which the browser tests read.
"use strict";
const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be185d", "#4d7c0f", "#7c3aed", "#b45309"];

function chartWidth(el) { return Math.max(320, (el.clientWidth || el.parentElement.clientWidth || 480) - 4); }

// Several (x, y) series that may not share x values, drawn as lines in one chart.
function lineChart(el, seriesList, opts = {}) {
  el.innerHTML = "";
  const tables = seriesList.map(s => [s.xs, s.ys]);
  const data = tables.length ? uPlot.join(tables) : [[]];
  const series = [{ label: opts.xLabel || "step" }].concat(seriesList.map((s, i) => ({
    label: s.label, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true,
    points: { show: s.xs.length < 60 },
    paths: opts.scatter ? () => null : undefined,
  })));
  if (opts.scatter) series.slice(1).forEach(s => { s.points = { show: true, size: 7 }; });
  const u = new uPlot({
    width: chartWidth(el), height: opts.height || 220, series,
    scales: { x: { time: false, distr: opts.logX ? 3 : 1 } },
    axes: [{ label: opts.xLabel || "step", values: opts.xValues }, { label: opts.yLabel || "" }],
    legend: { show: seriesList.length > 1 || !!opts.legend },
  }, data, el);
  el.dataset.points = seriesList.reduce((n, s) => n + s.xs.length, 0);
  return u;
}

// One metric of one run, growing as points arrive (live run page).
class LiveMetricChart {
  constructor(el, name) { this.el = el; this.name = name; this.xs = []; this.ys = []; this.u = null; }
  add(step, value) { this.xs.push(step); this.ys.push(value); }
  draw() {
    const order = this.xs.map((x, i) => i).sort((a, b) => this.xs[a] - this.xs[b]);
    const xs = order.map(i => this.xs[i]), ys = order.map(i => this.ys[i]);
    if (this.u) { this.u.setData([xs, ys]); this.el.dataset.points = xs.length; return; }
    this.u = lineChart(this.el, [{ label: this.name, xs, ys }], { yLabel: this.name });
  }
}

// Parallel coordinates in plain SVG (uPlot draws x/y charts only).
function parallelCoordinates(el, columns, rows, colorKey) {
  const W = chartWidth(el), H = 260, pad = 40;
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", W); svg.setAttribute("height", H);
  const axes = columns.map(col => {
    const vals = rows.map(r => r[col]).filter(v => v !== null && v !== undefined);
    const numeric = vals.every(v => typeof v === "number");
    if (numeric) {
      const lo = Math.min(...vals), hi = Math.max(...vals);
      if (lo > 0 && hi / lo > 50) {  // a swept learning rate or C: log axis, like the scatter charts
        const a = Math.log(lo), b = Math.log(hi);
        return { col, pos: v => (Math.log(v) - a) / (b - a), label: v => (+v).toPrecision(3), ticks: [lo, hi] };
      }
      return { col, pos: v => (hi === lo ? 0.5 : (v - lo) / (hi - lo)), label: v => (+v).toPrecision(3), ticks: [lo, hi] };
    }
    const cats = [...new Set(vals.map(String))];
    return { col, pos: v => (cats.length < 2 ? 0.5 : cats.indexOf(String(v)) / (cats.length - 1)), label: String, ticks: cats };
  });
  const x = i => pad + (columns.length < 2 ? 0 : i * (W - 2 * pad) / (columns.length - 1));
  const y = p => H - pad + (-(H - 2 * pad) * p);
  const ckey = axes.find(a => a.col === colorKey);
  rows.forEach(r => {
    const pts = axes.map((a, i) => (r[a.col] === null || r[a.col] === undefined) ? null : [x(i), y(a.pos(r[a.col]))]);
    const d = pts.filter(Boolean).map((p, i) => (i ? "L" : "M") + p[0] + "," + p[1]).join(" ");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", d); path.setAttribute("fill", "none");
    const t = ckey && r[colorKey] !== null && r[colorKey] !== undefined ? ckey.pos(r[colorKey]) : null;
    path.setAttribute("stroke", t === null ? "#9ca3af" : `hsl(${220 - 200 * t}, 70%, 45%)`);
    path.setAttribute("stroke-width", r.best ? 3 : 1.4); path.setAttribute("opacity", 0.85);
    svg.appendChild(path);
  });
  axes.forEach((a, i) => {
    const line = document.createElementNS(ns, "line");
    line.setAttribute("x1", x(i)); line.setAttribute("x2", x(i)); line.setAttribute("y1", y(0)); line.setAttribute("y2", y(1));
    line.setAttribute("stroke", "#374151"); svg.appendChild(line);
    const text = (t, yy, cls) => { const e = document.createElementNS(ns, "text"); e.textContent = t; e.setAttribute("x", x(i)); e.setAttribute("y", yy); e.setAttribute("text-anchor", "middle"); e.setAttribute("font-size", cls || 11); svg.appendChild(e); };
    text(a.col, 16, 12);
    a.ticks.forEach(t => { const e = document.createElementNS(ns, "text"); e.textContent = a.label(t); e.setAttribute("x", x(i) + 4); e.setAttribute("y", y(a.pos(t)) + 4); e.setAttribute("font-size", 10); e.setAttribute("fill", "#6b7280"); svg.appendChild(e); });
  });
  el.innerHTML = ""; el.appendChild(svg); el.dataset.points = rows.length;
}
