// Sweeps: the list, and one sweep's table (fixed overrides once at the top, only
// the swept ones per row), counts that add up, a status that says "Completed, N
// trials failed" when a best run exists, each swept parameter against the primary
// metric, and parallel coordinates of the completed runs.
import { lineChart, parallelCoordinates } from "./charts.js";
import { api, dur, esc, fmt, kv, runLink, status, table, when } from "./util.js";

// A sweep that found a best run is not shown as a red "Failed" for one bad trial.
export function sweepStatus(s) {
  const failed = s.counts.failed;
  const best = s.best ? s.best.run_id : s.best_run_id;
  if (s.status === "Failed" && best && failed) return `<span class="status Partial">Completed, ${failed} trial${failed > 1 ? "s" : ""} failed</span>`;
  return status(s.status);
}
export function countsText(c) {
  const damaged = c.damaged || 0;  // rows whose files could not be read (summaries before format 1 lack it)
  const finished = c.completed + c.failed + c.canceled + damaged;
  const canceled = c.canceled ? `${c.canceled} canceled` + (c.early_terminated || c.not_started ? ` (${[c.early_terminated ? `${c.early_terminated} early-terminated` : "", c.not_started ? `${c.not_started} not started` : ""].filter(Boolean).join(", ")})` : "") : "";
  const parts = [`${c.completed} completed`, c.failed ? `${c.failed} failed` : "", canceled, damaged ? `${damaged} damaged` : "", c.total > finished ? `${c.total - finished} running or queued` : ""].filter(Boolean);
  return `${c.total} runs: ${parts.join(", ")}`;
}

// A sweep whose sweep.json cannot be read: one row saying which file and what to do.
const damagedRow = s => `<tr class="damaged" data-sweep="${esc(s.id)}"><td class="mono">${esc(s.id)}</td><td>${status("Damaged")}</td><td colspan="5" class="error">${esc(s.error)}</td></tr>`;

export async function pageSweeps(main) {
  const items = await api("/api/sweeps");
  main.innerHTML = `<h1>Sweeps <span class="muted">(${items.length})</span></h1>` + (items.length ? table(["id", "status", "experiment", "created", "sweeper / launcher", "runs", "best"],
    items.map(s => s.damaged ? damagedRow(s) : `<tr data-sweep="${esc(s.id)}"><td><a class="mono" href="#/sweeps/${esc(s.id)}">${esc(s.id)}</a></td><td>${sweepStatus(s)}</td><td>${esc(s.experiment)}</td><td>${when(s.created)}</td><td>${esc(s.sweeper)} / ${esc(s.launcher)}</td><td>${esc(countsText(s.counts))}</td><td>${s.best_run_id ? `${esc(s.metric)}=${fmt(s.best_value)} (${runLink(s.best_run_id)})` : "-"}</td></tr>`), "sweeps")
    : `<p class="empty">No sweeps yet. A multirun is a sweep: <code>harness train -m estimator.C=0.1,1,10</code>.</p>`);
}

function parseOverrides(list) {
  const out = {};
  for (const o of list || []) { const i = o.indexOf("="); if (i < 0) continue; const k = o.slice(0, i).replace(/^[+~]*/, ""); const raw = o.slice(i + 1); const n = Number(raw); out[k] = raw !== "" && !isNaN(n) ? n : raw; }
  return out;
}

export async function pageSweep(main, sweepId, live) {
  const render = s => {
    const best = s.best && s.best.run_id;
    const fixed = new Set(s.fixed_overrides || []);
    const swept = row => (row.overrides || []).filter(o => !fixed.has(o));
    const rows = s.runs.map(row => `<tr class="${row.damaged ? "damaged" : row.run_id && row.run_id === best ? "best" : ""}" data-run="${esc(row.run_id || "")}"><td>${runLink(row.run_id)}</td><td>${status(row.status)}${row.early_terminated ? ' <span class="pill">early-terminated</span>' : ""}</td><td class="num">${fmt(row.value)}</td><td class="mono swept">${esc(swept(row).join(" "))}</td><td class="num">${dur(row.duration_s)}</td><td class="error">${esc(row.error || "")}</td></tr>`);
    main.innerHTML = `<h1>Sweep <span class="mono">${esc(s.sweep_id)}</span> <span id="sweep-status">${sweepStatus(s)}</span></h1>
    ${kv([["primary metric", `${esc(s.metric)} (${esc(s.goal)})`], ["best", best ? `${fmt(s.best.value)} — ${runLink(best)}` : "-"], ["runs", `<span id="sweep-counts">${esc(countsText(s.counts))}</span>`],
      ["fixed overrides", `<span class="mono" id="fixed-overrides">${esc([...fixed].join(" ")) || "(none)"}</span>`]])}
    <p><a href="#/runs?sweep=${esc(s.sweep_id)}">these runs in the runs table</a></p>
    ${table(["run", "status", esc(s.metric || "value"), "swept overrides", "duration", "reason"], rows, "sweep")}
    <h2>Parameters against ${esc(s.metric)}</h2><div class="grid" id="param-charts"></div>
    <h2>Parallel coordinates</h2><div class="card"><div id="parallel" class="chart"></div></div>`;
    const metricKey = s.metric || "value";
    const data = s.runs.map(row => Object.assign(parseOverrides(swept(row)), { [metricKey]: row.value, best: row.run_id && row.run_id === best }));
    const params = [...new Set(s.runs.flatMap(row => Object.keys(parseOverrides(swept(row)))))].filter(k => new Set(data.map(d => JSON.stringify(d[k]))).size > 1);
    params.forEach(p => {
      const card = document.createElement("div"); card.className = "card";
      card.innerHTML = `<h3>${esc(p)}</h3><div class="chart" data-param="${esc(p)}"></div>`;
      document.getElementById("param-charts").appendChild(card);
      const done = data.filter(d => d[metricKey] !== null && d[metricKey] !== undefined && d[p] !== undefined);
      const numeric = done.every(d => typeof d[p] === "number");
      const cats = numeric ? null : [...new Set(done.map(d => String(d[p])))];
      const pts = done.map(d => [numeric ? d[p] : cats.indexOf(String(d[p])), d[metricKey]]).sort((a, b) => a[0] - b[0]);
      const pos = numeric ? done.map(d => d[p]).filter(v => v > 0) : [];
      const logX = numeric && pos.length === done.length && pos.length > 2 && Math.max(...pos) / Math.min(...pos) > 50;
      lineChart(card.querySelector(".chart"), [{ label: metricKey, xs: pts.map(x => x[0]), ys: pts.map(x => x[1]) }], { scatter: true, xLabel: p, yLabel: metricKey, logX, xValues: cats ? (u, splits) => splits.map(v => cats[v] ?? "") : undefined });
    });
    const done = data.filter(d => d[metricKey] !== null && d[metricKey] !== undefined);
    const vals = done.map(d => d[metricKey]); const lo = Math.min(...vals), hi = Math.max(...vals);
    parallelCoordinates(document.getElementById("parallel"), params.concat([metricKey]), done, d => `hsl(${220 - 200 * (hi === lo ? 0.5 : (d[metricKey] - lo) / (hi - lo))}, 70%, 45%)`);
  };
  const first = await api(`/api/sweeps/${encodeURIComponent(sweepId)}`);
  if (live.closed) return;
  render(first);
  const es = new EventSource(`/api/sweeps/${encodeURIComponent(sweepId)}/events`);
  es.addEventListener("sweep", ev => render(JSON.parse(ev.data)));
  es.addEventListener("end", () => es.close());
  live.push(es);
}
