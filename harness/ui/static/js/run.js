// One run: a metrics table (last, min, max, steps) and a searchable params table
// first; charts for metrics with more than one point (hover values, smoothing, log
// y, step / time / relative-time axes, zoom at full resolution); system metrics;
// logged rows, tables and images; the log tail (stderr first for a failed run);
// output previews; Rerun, Tag, Register and, while it runs, Cancel.
import { MetricChart } from "./charts.js";
import { LIVE, act, api, dur, esc, fileUrl, flatten, fmt, kv, readOnlyNotice, session, since, status, table, when } from "./util.js";
import { showPreview } from "./preview.js";

function isNumber(v) { return typeof v === "number"; }

export async function pageRun(main, runId, live) {
  const base = `/api/runs/${encodeURIComponent(runId)}`;
  const r = await api(`${base}?history=0`);
  if (live.closed) return;
  if (r.damaged) {
    main.innerHTML = `<h1 class="mono">${esc(r.id)} ${status("Damaged")}</h1><p class="error">${esc(r.error)}</p><p>The run's files are still in its folder; <code>harness runs show</code> reads the same record.</p>`;
    return;
  }
  const models = await api(`${base}/models`).catch(() => []);
  if (live.closed) return;
  const files = `${base}/files`;
  const outputs = r.files.filter(f => f.startsWith("outputs/"));
  const params = flatten(r.params);
  main.innerHTML = `<h1><span class="mono">${esc(r.id)}</span> <span id="run-status">${status(r.status)}</span> <span id="run-duration" class="muted"></span></h1>
  <div class="actions" id="actions">
    <span id="cancel-slot"></span>
    <button type="button" id="rerun" ${session.authenticated ? "" : "disabled"} title="harness runs rerun: the same config, in the same environment">Rerun</button>
    <form id="tagform" class="inline"><label>tag key <input name="key" required size="10"></label> <label>value <input name="value" size="10"></label> <button ${session.authenticated ? "" : "disabled"}>Tag</button></form>
    <form id="regform" class="inline"><label>model name <input name="name" required size="12"></label> <label>file <select name="path">${outputs.map(f => `<option>${esc(f)}</option>`).join("")}</select></label> <button ${session.authenticated && outputs.length ? "" : "disabled"}>Register model</button></form>
    <span id="action-result" class="muted" role="status"></span>
  </div>
  ${readOnlyNotice()}
  <div class="grid two">
    <section class="card" aria-labelledby="h-metrics"><h2 id="h-metrics">Metrics</h2><div id="metrics-table"><p class="muted">reading…</p></div></section>
    <section class="card" aria-labelledby="h-params"><h2 id="h-params">Parameters</h2>
      <label class="block">search parameters <input id="params-search" type="search" placeholder="name or value"></label>
      ${table(["name", "value"], Object.entries(params).map(([k, v]) => `<tr data-param="${esc(k)}"><td class="mono">${esc(k)}</td><td class="mono">${esc(JSON.stringify(v))}</td></tr>`), "params", "")}
    </section>
  </div>
  <section class="card" id="run-info-card"><h2>Run</h2><div id="run-info"></div></section>
  <section aria-labelledby="h-charts"><h2 id="h-charts">Charts</h2>
    <div class="chart-controls">
      <label>x axis <select id="x-axis"><option value="step">step</option><option value="time">wall time</option><option value="relative">relative time</option></select></label>
      <label>smoothing <input id="smoothing" type="range" min="0" max="0.99" step="0.01" value="0"></label>
      <label><input id="log-y" type="checkbox"> log scale</label>
      <span class="muted">drag to zoom, double-click to reset</span>
    </div>
    <div class="grid" id="charts"><p class="muted" id="no-charts">no metric with more than one point yet</p></div>
  </section>
  <section id="system-section" hidden><h2>System</h2><div class="grid" id="system-charts"></div></section>
  <section id="entries"></section>
  <section aria-labelledby="h-logs"><h2 id="h-logs">Logs</h2><div class="tabs" id="logtabs" role="tablist" aria-label="log files"></div><pre class="log" id="logtext" tabindex="0" aria-label="log text"></pre></section>
  <div class="grid two">
    <section class="card"><h2>Files</h2><ul id="files" class="files">${r.files.map(f => `<li><button type="button" class="link" data-preview="${esc(f)}">${esc(f)}</button> · <a href="${fileUrl(files, f, "?download=1")}" download>download</a></li>`).join("") || "<li class=muted>(none)</li>"}</ul>
      <h3>Models registered from this run</h3>${models.length ? models.map(m => `<div><a href="#/models/${encodeURIComponent(m.name)}">${esc(m.name)}:${m.version}</a> <span class="muted">${esc(m.source_path)}</span></div>`).join("") : `<div class="muted">(none)</div>`}</section>
    <section class="card"><h2>Overrides</h2><pre class="mono wrap">${esc((r.overrides || []).join("\n")) || "(none)"}</pre><h2>Tags</h2><div id="tags"></div></section>
  </div>
  <section class="card" id="preview" aria-live="polite"></section>
  <section class="card"><h2>Provenance</h2><pre class="mono wrap scroll">${esc(JSON.stringify(r.provenance, null, 2))}</pre></section>`;
  const $ = id => document.getElementById(id);

  // -- status, duration, cancel -----------------------------------------------------
  const renderInfo = d => {
    $("run-status").innerHTML = status(d.status);
    $("run-info").innerHTML = kv([["experiment", esc(d.experiment)], ["estimator / compute", `${esc(d.estimator)} / ${esc(d.compute)} (world size ${esc(d.world_size)})`],
      ["created · started · ended", `${when(d.created)} · ${when(d.started)} · ${when(d.ended)}`],
      ["sweep", d.sweep_id ? `<a href="#/sweeps/${esc(d.sweep_id)}">${esc(d.sweep_id)}</a>` : "-"], ["error", d.error ? `<span class="error">${esc(d.error)}</span>` : "-"],
      ["folder", `<span class="mono">${esc(d.path)}</span>`]]);
    $("tags").innerHTML = Object.entries(d.tags || {}).map(([k, v]) => `<span class="pill">${esc(k)}=${esc(v)}</span>`).join("") || `<span class="muted">(none)</span>`;
    const canCancel = LIVE.includes(d.status) && session.authenticated;
    if (canCancel && !$("cancel")) {
      $("cancel-slot").innerHTML = `<button type="button" class="danger" id="cancel">Cancel run</button>`;
      $("cancel").onclick = () => attempt(async () => { const x = await act(`${base}/cancel`); return x.signalled ? "cancel sent; stopping…" : `run is ${x.status}`; });
    } else if (!canCancel) $("cancel-slot").innerHTML = "";
    tick();
  };
  const tick = () => { $("run-duration").textContent = LIVE.includes(r.status) && r.started ? dur(since(r.started)) : dur(r.duration_s); };
  live.push(setInterval(tick, 1000));
  const result = $("action-result");
  const attempt = async fn => { try { result.textContent = await fn(); result.className = "muted"; } catch (e) { result.textContent = e.message; result.className = "error"; } };
  renderInfo(r);
  $("rerun").onclick = () => attempt(async () => { const x = await act(`${base}/rerun`); location.hash = `#/runs/${encodeURIComponent(x.id)}`; return `started ${x.id}`; });
  $("tagform").onsubmit = ev => { ev.preventDefault(); const fd = new FormData(ev.target); attempt(async () => { const x = await act(`${base}/tags`, { tags: { [fd.get("key")]: fd.get("value") } }); renderInfo(Object.assign(r, x)); return "tagged"; }); };
  $("regform").onsubmit = ev => { ev.preventDefault(); const fd = new FormData(ev.target); attempt(async () => { const m = await act(`${base}/register`, { name: fd.get("name"), path: fd.get("path") }); return `registered ${m.name} version ${m.version}`; }); };
  $("params-search").oninput = ev => { const w = ev.target.value.toLowerCase(); document.querySelectorAll("tr[data-param]").forEach(tr => (tr.hidden = !!w && !tr.textContent.toLowerCase().includes(w))); };
  document.querySelectorAll("#files button[data-preview]").forEach(b => (b.onclick = () => showPreview($("preview"), `${base}/preview`, b.dataset.preview)));

  // -- metrics: table, charts, entries ------------------------------------------------
  const stats = {}, charts = {}, entries = {};
  const fetchRange = (name, x, lo, hi) => api(`${base}/series?name=${encodeURIComponent(name)}&x=${x === "step" ? "step" : "time"}&xmin=${lo}&xmax=${hi}&points=2000`);
  const drawTable = () => {
    const names = Object.keys(stats).sort((a, b) => (a.startsWith("system/") - b.startsWith("system/")) || a.localeCompare(b));
    $("metrics-table").innerHTML = names.length ? table(["metric", "last", "min", "max", "steps"], names.map(n => { const s = stats[n]; return `<tr data-metric-row="${esc(n)}" class="${s.total === 1 ? "scalar" : ""}"><td>${esc(n)}</td><td class="num">${fmt(s.last)}</td><td class="num">${s.total > 1 ? fmt(s.min) : ""}</td><td class="num">${s.total > 1 ? fmt(s.max) : ""}</td><td class="num">${s.total}</td></tr>`; }), "metrics") : `<p class="muted">no metrics logged yet</p>`;
  };
  const ensureChart = (name, curve) => {
    const system = name.startsWith("system/");
    const host = $(system ? "system-charts" : "charts");
    if (system) $("system-section").hidden = false; else $("no-charts")?.remove();
    const card = document.createElement("div"); card.className = "card";
    card.innerHTML = `<h3>${esc(system ? name.slice(7) : name)}</h3><div class="chart" data-metric="${esc(name)}"></div>`;
    host.appendChild(card);
    const c = new MetricChart(card.querySelector(".chart"), name, curve, fetchRange);
    applyControls(c); c.draw();
    charts[name] = c;
  };
  const applyControls = c => { c.xMode = $("x-axis").value; c.weight = parseFloat($("smoothing").value) || 0; c.logY = $("log-y").checked; };
  const redrawAll = () => Object.values(charts).filter(c => !c.pending).forEach(c => { applyControls(c); c.zoomed = null; c.draw(); });
  $("x-axis").onchange = redrawAll; $("smoothing").oninput = redrawAll; $("log-y").onchange = redrawAll;
  const onSeries = s => {
    for (const [name, curve] of Object.entries(s.metrics)) {
      stats[name] = { last: curve.last, min: curve.min, max: curve.max, total: curve.total };
      if (curve.total > 1) ensureChart(name, curve);
      else charts[name] = { pending: curve };
    }
    for (const [name, points] of Object.entries(s.entries)) addEntries(name, points);
    drawTable(); drawEntries();
  };
  const onPoints = points => {
    const touched = new Set();
    for (const p of points) {
      if (!isNumber(p.value)) { addEntries(p.name, [p]); continue; }
      const s = stats[p.name] ||= { last: p.value, min: p.value, max: p.value, total: 0 };
      s.total += 1; s.last = p.value; s.min = Math.min(s.min, p.value); s.max = Math.max(s.max, p.value);
      const c = charts[p.name];
      if (!c) { charts[p.name] = { pending: { step: [p.step], value: [p.value], time: [p.time], total: 1 } }; continue; }
      if (c.pending) { c.pending.step.push(p.step); c.pending.value.push(p.value); c.pending.time.push(p.time); c.pending.total += 1; continue; }
      c.add(p); touched.add(p.name);
    }
    for (const [name, c] of Object.entries(charts)) if (c.pending && c.pending.total > 1) { delete charts[name]; ensureChart(name, c.pending); }
    touched.forEach(n => charts[n] && !charts[n].zoomed && charts[n].draw(undefined, undefined, undefined, true));
    drawTable(); drawEntries();
  };
  const addEntries = (name, points) => {
    const kind = v => (v && typeof v === "object" ? (v.image ? "image" : v.table ? "table" : "row") : "other");
    for (const p of points) (entries[name] ||= { kind: kind(p.value), points: [] }).points.push(p);
  };
  const drawEntries = () => {
    const html = Object.entries(entries).map(([name, { kind, points }]) => {
      if (kind === "image") return `<div class="card"><h3>${esc(name)} <span class="muted">(image)</span></h3>${points.map(p => `<figure><img class="logged" data-entry="${esc(name)}" src="${fileUrl(files, p.value.image)}" alt="${esc(name)} at step ${esc(p.step)}"><figcaption class="muted">step ${esc(p.step)} ${esc(p.value.description || "")}</figcaption></figure>`).join("")}</div>`;
      if (kind === "table") { const t = points[points.length - 1].value.table; const cols = Object.keys(t); const n = Math.max(0, ...cols.map(c => t[c].length)); return `<div class="card"><h3>${esc(name)} <span class="muted">(table)</span></h3>${table(cols.map(esc), [...Array(n).keys()].map(i => `<tr>${cols.map(c => `<td>${esc(fmt(t[c][i]))}</td>`).join("")}</tr>`))}</div>`; }
      if (kind === "row") { const cols = [...new Set(points.flatMap(p => Object.keys(p.value)))]; return `<div class="card"><h3>${esc(name)} <span class="muted">(rows)</span></h3>${table(["step"].concat(cols.map(esc)), points.map(p => `<tr><td>${esc(p.step)}</td>${cols.map(c => `<td>${esc(fmt(p.value[c]))}</td>`).join("")}</tr>`))}</div>`; }
      return `<div class="card"><h3>${esc(name)}</h3>${points.map(p => `<div class="mono">${esc(p.step)}: ${esc(JSON.stringify(p.value))}</div>`).join("")}</div>`;
    }).join("");
    $("entries").innerHTML = html ? `<h2>Logged entries</h2><div class="grid">${html}</div>` : "";
  };

  // -- logs: tabs made once (a click is never lost to a redraw), text appended ---------
  const logs = {}; let logTab = null, chosenByUser = false;
  const preferred = () => (r.status === "Failed" && logs["stderr.txt"] !== undefined ? "stderr.txt" : logs["stdout.txt"] !== undefined ? "stdout.txt" : Object.keys(logs).sort()[0]);
  const selectTab = name => {
    logTab = name;
    document.querySelectorAll("#logtabs button").forEach(b => { const on = b.dataset.log === name; b.classList.toggle("active", on); b.setAttribute("aria-selected", String(on)); });
    showLog(true);
  };
  const showLog = jump => {
    const pre = $("logtext");
    const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 20;
    pre.textContent = logTab ? logs[logTab] : "(no output yet)";
    if (atEnd || jump) pre.scrollTop = pre.scrollHeight;
  };
  const onLogs = chunk => {
    for (const [n, t] of Object.entries(chunk)) {
      if (logs[n] === undefined) {
        logs[n] = "";
        const b = document.createElement("button");
        b.type = "button"; b.dataset.log = n; b.textContent = n; b.setAttribute("role", "tab");
        b.onclick = () => { chosenByUser = true; selectTab(n); };
        const tabs = [...$("logtabs").children];
        const before = tabs.find(x => x.dataset.log.localeCompare(n) > 0);
        $("logtabs").insertBefore(b, before || null);
      }
      logs[n] = (logs[n] + t).slice(-200000);
    }
    if (!chosenByUser && preferred() !== logTab) selectTab(preferred()); else showLog(false);
  };

  const es = new EventSource(`${base}/events`);
  es.addEventListener("run", ev => { const d = JSON.parse(ev.data); Object.assign(r, d); if (!d.damaged) renderInfo(r); if (!chosenByUser && logTab && preferred() !== logTab) selectTab(preferred()); });
  es.addEventListener("series", ev => onSeries(JSON.parse(ev.data)));
  es.addEventListener("metrics", ev => onPoints(JSON.parse(ev.data)));
  es.addEventListener("logs", ev => onLogs(JSON.parse(ev.data)));
  es.addEventListener("end", () => es.close());
  live.push(es);
  showLog(false);
}

