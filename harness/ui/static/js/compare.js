// Compare 2–50 runs: one colour per run in every chart, the metric curves overlaid,
// a diff table of params and final metrics with the better value marked, a scatter
// of any two columns and parallel coordinates over chosen columns; the choices are
// in the URL, so the page can be shared.
import { lineChart, parallelCoordinates } from "./charts.js";
import { COLORS, api, esc, fmt, goalOf, runLink, setQuery, status } from "./util.js";

export function runColor(i) { return i < COLORS.length ? COLORS[i] : `hsl(${Math.round((i * 137.508) % 360)}, 65%, 45%)`; }

export async function pageCompare(main, query, live) {
  const q = new URLSearchParams(query);
  const ids = (q.get("ids") || "").split(",").filter(Boolean);
  const c = await api(`/api/compare?history=0&points=500&ids=${ids.map(encodeURIComponent).join(",")}`);
  if (live.closed) return;
  const color = Object.fromEntries(c.runs.map((id, i) => [id, runColor(i)]));
  // the goal the runs were judged by (their records say), else a guess from the name
  const goal = name => ({ maximize: "max", minimize: "min" })[(c.goals || {})[name]] || goalOf(name);
  const better = (name, vals) => { const nums = Object.values(vals).filter(v => typeof v === "number"); if (nums.length < 2) return null; return goal(name) === "min" ? Math.min(...nums) : Math.max(...nums); };
  const head = `<tr><th scope="col">&nbsp;</th>${c.runs.map(id => `<th scope="col" data-run="${esc(id)}"><span class="swatch" data-color="${esc(color[id])}"></span>${runLink(id)}</th>`).join("")}</tr>`;
  const rows = [`<tr><th scope="row">status</th>${c.runs.map(id => `<td>${status(c.status[id])}</td>`).join("")}</tr>`]
    .concat(Object.entries(c.params).map(([k, vals]) => `<tr class="param-row"><th scope="row" class="mono">${esc(k)}</th>${c.runs.map(id => `<td class="mono">${esc(JSON.stringify(vals[id]))}</td>`).join("")}</tr>`))
    .concat(Object.entries(c.metrics).map(([k, vals]) => { const b = better(k, vals); return `<tr class="metric-row" data-metric="${esc(k)}"><th scope="row">${esc(k)} <span class="muted">(${goal(k) === "min" ? "lower" : "higher"} is better)</span></th>${c.runs.map(id => `<td class="num ${vals[id] === b ? "better" : ""}">${fmt(vals[id])}</td>`).join("")}</tr>`; }));
  // columns for the scatter and the parallel coordinates: final metrics, then params
  const values = Object.fromEntries(c.runs.map(id => [id, {}]));
  for (const [k, vals] of Object.entries(c.metrics)) for (const id of c.runs) values[id]["metrics." + k] = vals[id];
  for (const id of c.runs) for (const [k, v] of Object.entries(c.all_params[id] || {})) if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") values[id]["params." + k] = v;
  const columns = [...new Set(c.runs.flatMap(id => Object.keys(values[id])))].filter(col => new Set(c.runs.map(id => JSON.stringify(values[id][col]))).size > 1 || col.startsWith("metrics."));
  const numeric = columns.filter(col => c.runs.some(id => typeof values[id][col] === "number"));
  const pick = (key, fallback) => (q.get(key) && columns.includes(q.get(key)) ? q.get(key) : fallback);
  const sx = pick("x", numeric.find(k => k.startsWith("params.")) || numeric[0]);
  const sy = pick("y", numeric.find(k => k.startsWith("metrics.")) || numeric[1] || numeric[0]);
  const pc = (q.get("pc") || "").split(",").filter(k => columns.includes(k));
  const pcCols = pc.length ? pc : columns.filter(k => k.startsWith("params.")).slice(0, 4).concat(columns.filter(k => k.startsWith("metrics.")).slice(0, 2));
  const names = [...new Set(c.runs.flatMap(id => Object.keys(c.series[id] || {})))].sort();
  const opt = (sel) => columns.map(k => `<option ${k === sel ? "selected" : ""}>${esc(k)}</option>`).join("");
  main.innerHTML = `<h1>Compare ${c.runs.length} runs</h1>
  <div class="table-wrap"><table class="compare"><caption class="muted">params that differ, and final metrics (the better value marked)</caption><thead>${head}</thead><tbody>${rows.join("")}</tbody></table></div>
  <h2>Curves</h2><div class="grid" id="compare-charts">${names.map(n => `<div class="card"><h3>${esc(n)}</h3><div class="chart" data-metric="${esc(n)}"></div></div>`).join("") || "<p class=muted>no curves</p>"}</div>
  <div class="grid two">
    <section class="card"><h2>Scatter</h2><div class="chart-controls"><label>x <select id="scatter-x">${opt(sx)}</select></label><label>y <select id="scatter-y">${opt(sy)}</select></label></div><div class="chart" id="scatter"></div></section>
    <section class="card"><h2>Parallel coordinates</h2><details id="pc-cols"><summary>columns</summary>${columns.map(k => `<label><input type="checkbox" value="${esc(k)}" ${pcCols.includes(k) ? "checked" : ""}> ${esc(k)}</label>`).join("")}</details><div class="chart" id="parallel"></div></section>
  </div>`;
  main.querySelectorAll(".swatch").forEach(s => (s.style.background = s.dataset.color));
  names.forEach(n => {
    const el = main.querySelector(`.chart[data-metric="${CSS.escape(n)}"]`);
    const list = c.runs.filter(id => c.series[id] && c.series[id][n]).map(id => ({ label: id, color: color[id], xs: c.series[id][n].step, ys: c.series[id][n].value }));
    lineChart(el, list, { yLabel: n, integerX: true });
    el.dataset.colors = JSON.stringify(Object.fromEntries(list.map(s => [s.label, s.color])));
  });
  const drawScatter = () => {
    const x = document.getElementById("scatter-x").value, y = document.getElementById("scatter-y").value;
    const cats = {}; const num = (col, v) => (typeof v === "number" ? v : ((cats[col] ||= []).includes(String(v)) ? cats[col].indexOf(String(v)) : cats[col].push(String(v)) - 1));
    const list = c.runs.filter(id => values[id][x] !== undefined && values[id][y] !== undefined && values[id][x] !== null && values[id][y] !== null)
      .map(id => ({ label: id, color: color[id], xs: [num(x, values[id][x])], ys: [num(y, values[id][y])] }));
    const el = document.getElementById("scatter");
    lineChart(el, list, { scatter: true, xLabel: x, yLabel: y, xValues: cats[x] ? (u, splits) => splits.map(v => cats[x][v] ?? "") : undefined });
    el.dataset.colors = JSON.stringify(Object.fromEntries(list.map(s => [s.label, s.color])));
    q.set("x", x); q.set("y", y); setQuery("compare", q);
  };
  const drawParallel = () => {
    const chosen = [...document.querySelectorAll("#pc-cols input:checked")].map(i => i.value);
    parallelCoordinates(document.getElementById("parallel"), chosen, c.runs.map(id => ({ id, ...values[id] })), row => color[row.id]);
    q.set("pc", chosen.join(",")); setQuery("compare", q);
  };
  document.getElementById("scatter-x").onchange = drawScatter;
  document.getElementById("scatter-y").onchange = drawScatter;
  document.querySelectorAll("#pc-cols input").forEach(i => (i.onchange = drawParallel));
  if (numeric.length) drawScatter();
  drawParallel();
}
