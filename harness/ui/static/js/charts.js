// Charts on uPlot (vendored in /static/vendor/uplot, MIT): line charts with hover
// values, log scales, smoothing, step/time/relative-time axes, zoom that asks the
// server for full resolution, and resizing with the page. Every chart element
// carries data-points (points drawn), which the browser tests read.
import { COLORS } from "./util.js";

function theme() {
  const css = getComputedStyle(document.documentElement);
  return { fg: css.getPropertyValue("--fg").trim() || "#1d2330", line: css.getPropertyValue("--line").trim() || "#e5e7eb" };
}
function widthOf(el) { return Math.max(240, Math.floor((el.clientWidth || el.parentElement?.clientWidth || 480) - 2)); }

// Charts follow their box: a window resize or a narrow screen redraws them.
const observer = new ResizeObserver(entries => {
  for (const e of entries) { const u = e.target.__uplot; if (u) { const w = widthOf(e.target); if (Math.abs(u.width - w) > 2) u.setSize({ width: w, height: u.height }); } }
});

// EMA with TensorBoard's debiasing: weight 0 → the raw values.
export function smooth(ys, weight) {
  if (!weight) return ys;
  let last = 0, n = 0;
  return ys.map(v => { if (v === null || !Number.isFinite(v)) return v; last = last * weight + (1 - weight) * v; n += 1; return last / (1 - Math.pow(weight, n)); });
}

// series: [{label, color, width, dash, points}], data: [xs, ys1, ys2, …] on shared xs.
export function plot(el, series, data, opts = {}) {
  if (el.__uplot) { el.__uplot.destroy(); el.__uplot = null; }
  el.innerHTML = "";
  const t = theme();
  const axis = label => ({ label, stroke: t.fg, grid: { stroke: t.line, width: 1 }, ticks: { stroke: t.line } });
  const xAxis = axis(opts.xLabel || "step");
  if (opts.integerX) { xAxis.incrs = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7]; }
  if (opts.xValues) xAxis.values = opts.xValues;
  const u = new uPlot({
    width: widthOf(el), height: opts.height || 220,
    series: [{ label: opts.xLabel || "step" }].concat(series.map((s, i) => ({
      label: s.label, stroke: s.color || COLORS[i % COLORS.length], width: s.width ?? 1.5, dash: s.dash, spanGaps: true,
      points: opts.scatter ? { show: true, size: 7, fill: s.color || COLORS[i % COLORS.length] } : { show: s.points ?? false },
      paths: opts.scatter ? () => null : undefined,
    }))),
    scales: { x: { time: !!opts.time, distr: opts.logX ? 3 : 1 }, y: { distr: opts.logY ? 3 : 1 } },
    axes: [xAxis, axis(opts.yLabel || "")],
    legend: { show: true, live: true },
    cursor: { drag: { x: true, y: false } },
    hooks: opts.onZoom ? { setScale: [(u, key) => { if (key === "x") opts.onZoom(u.scales.x.min, u.scales.x.max); }] } : {},
  }, data, el);
  el.__uplot = u;
  el.dataset.points = String(opts.pointCount ?? data.slice(1).reduce((n, ys) => n + ys.filter(v => v !== null && v !== undefined).length, 0));
  observer.observe(el);
  return u;
}

// Several (xs, ys) series that do not share x values, joined for uPlot.
export function lineChart(el, list, opts = {}) {
  const data = list.length ? uPlot.join(list.map(s => [s.xs, s.ys])) : [[]];
  const u = plot(el, list.map(s => ({ label: s.label, color: s.color, points: s.xs.length < 60 })), data, opts);
  el.dataset.points = String(list.reduce((n, s) => n + s.xs.length, 0));
  return u;
}

// One metric of one run: the server's (downsampled) curve, live points appended,
// an x axis of step, wall time or time since the run's first point, smoothing, log y.
export class MetricChart {
  constructor(el, name, curve, fetchRange) {
    Object.assign(this, { el, name, fetchRange, xMode: "step", weight: 0, logY: false, zoomed: null });
    this.set(curve);
  }
  set(curve) { this.steps = curve.step.slice(); this.values = curve.value.slice(); this.times = curve.time.slice(); this.total = curve.total; }
  add(p) { this.steps.push(p.step); this.values.push(p.value); this.times.push(p.time); this.total += 1; }
  xs(steps, times) {
    if (this.xMode === "step") return steps;
    const t0 = this.times.length ? Math.min(...this.times.slice(0, 50)) : 0;
    return this.xMode === "time" ? times : times.map(t => t - t0);
  }
  draw(steps = this.steps, values = this.values, times = this.times, keepScale = false) {
    const order = steps.map((_, i) => i).sort((a, b) => (this.xMode === "step" ? steps[a] - steps[b] : times[a] - times[b]));
    const xs = this.xs(order.map(i => steps[i]), order.map(i => times[i]));
    const raw = order.map(i => (this.logY && values[i] <= 0 ? null : values[i]));
    const series = [{ label: this.name, points: xs.length < 60 }];
    const data = [xs, raw];
    if (this.weight) { series[0] = { label: this.name + " (raw)", width: 1, color: "rgba(37,99,235,0.3)" }; series.push({ label: "smoothed", color: COLORS[0] }); data.push(smooth(raw, this.weight)); }
    const opts = { xLabel: { step: "step", time: "time", relative: "seconds since start" }[this.xMode], yLabel: this.name, time: this.xMode === "time", integerX: this.xMode === "step", logY: this.logY, pointCount: xs.length, onZoom: (lo, hi) => this.onZoom(lo, hi) };
    if (keepScale && this.u) { this.u.setData(data, false); this.el.dataset.points = String(xs.length); return; }
    this.u = plot(this.el, series, data, opts);
  }
  // Zoomed into a range the overview shows downsampled: ask for it at full resolution.
  async onZoom(lo, hi) {
    if (this.busy || this.xMode === "relative" || this.total <= this.steps.length) return;
    const xs = this.xs(this.steps, this.times);
    const full = xs.length && lo <= Math.min(...xs.slice(0, 1)) && hi >= xs[xs.length - 1];
    if (full) { if (this.zoomed) { this.zoomed = null; this.draw(); } return; }
    this.busy = true;
    try {
      const c = await this.fetchRange(this.name, this.xMode, lo, hi);
      this.zoomed = [lo, hi];
      this.draw(c.step, c.value, c.time, true);
      this.el.dataset.zoomedPoints = String(c.step.length);
      this.el.dataset.zoomedDownsampled = String(c.downsampled);
    } finally { this.busy = false; }
  }
}

// Parallel coordinates in plain SVG (uPlot draws x/y charts only). colorOf(row) → css colour.
export function parallelCoordinates(el, columns, rows, colorOf, opts = {}) {
  const W = widthOf(el), H = opts.height || 260, pad = 48;
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", W); svg.setAttribute("height", H); svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `parallel coordinates over ${columns.join(", ")}`);
  const axes = columns.map(col => {
    const vals = rows.map(r => r[col]).filter(v => v !== null && v !== undefined);
    if (vals.length && vals.every(v => typeof v === "number")) {
      const lo = Math.min(...vals), hi = Math.max(...vals);
      if (lo > 0 && hi / lo > 50) { const a = Math.log(lo), b = Math.log(hi); return { col, pos: v => (Math.log(v) - a) / (b - a), label: v => (+v).toPrecision(3), ticks: [lo, hi] }; }
      return { col, pos: v => (hi === lo ? 0.5 : (v - lo) / (hi - lo)), label: v => (+v).toPrecision(3), ticks: [lo, hi] };
    }
    const cats = [...new Set(vals.map(String))];
    return { col, pos: v => (cats.length < 2 ? 0.5 : cats.indexOf(String(v)) / (cats.length - 1)), label: String, ticks: cats };
  });
  const x = i => pad + (columns.length < 2 ? 0 : i * (W - 2 * pad) / (columns.length - 1));
  const y = p => H - pad + (-(H - 2 * pad) * p);
  const add = (tag, attrs, text) => { const e = document.createElementNS(ns, tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); if (text !== undefined) e.textContent = text; svg.appendChild(e); return e; };
  rows.forEach(r => {
    const pts = axes.map((a, i) => (r[a.col] === null || r[a.col] === undefined ? null : [x(i), y(a.pos(r[a.col]))]));
    const d = pts.filter(Boolean).map((p, i) => (i ? "L" : "M") + p[0].toFixed(1) + "," + p[1].toFixed(1)).join(" ");
    const path = add("path", { d, fill: "none", stroke: colorOf(r), "stroke-width": r.best ? 3 : 1.6, opacity: 0.85 });
    if (r.id) path.dataset.run = r.id;
  });
  axes.forEach((a, i) => {
    add("line", { x1: x(i), x2: x(i), y1: y(0), y2: y(1), class: "pc-axis" });
    add("text", { x: x(i), y: 16, "text-anchor": "middle", class: "pc-label" }, a.col);
    a.ticks.forEach(tk => add("text", { x: x(i) + 4, y: y(a.pos(tk)) + 4, class: "pc-tick" }, a.label(tk)));
  });
  el.innerHTML = ""; el.appendChild(svg); el.dataset.points = String(rows.length);
}
