// The dashboard: a hash-routed page per view, fed by the JSON API (the CLI's JSON
// objects) and kept live by server-sent events. No framework: plain DOM.
"use strict";
const main = document.getElementById("main");
let session = { authenticated: false, csrf: null };
let live = [];  // EventSources and timers of the current page, closed on navigation
const picked = new Set();  // runs ticked for Compare on the runs page

function closeLive() { live.forEach(x => (x.close ? x.close() : clearInterval(x))); live = []; }
function esc(v) { return String(v ?? "").replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]); }
function fmt(v) { if (typeof v === "number") return Number.isInteger(v) ? String(v) : (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(3) : (+v.toPrecision(4)).toString()); return v === null || v === undefined ? "-" : String(v); }
function when(t) { return t ? esc(t.slice(0, 19).replace("T", " ")) : "-"; }
function dur(s) { if (s === null || s === undefined) return "-"; if (s < 60) return s.toFixed(1) + "s"; const m = Math.floor(s / 60); return m < 60 ? `${m}m${Math.round(s % 60)}s` : `${Math.floor(m / 60)}h${m % 60}m`; }
function status(s) { return `<span class="status ${esc(s)}">${esc(s)}</span>`; }
function runLink(id) { return id ? `<a class="mono" href="#/runs/${encodeURIComponent(id)}">${esc(id)}</a>` : "-"; }
function scalars(m) { return Object.entries(m || {}).filter(([, v]) => typeof v === "number").map(([k, v]) => `${esc(k)}=${fmt(v)}`).join("  "); }
function flatten(obj, prefix = "", out = {}) {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj) || !Object.keys(obj).length) { out[prefix] = obj; return out; }
  for (const [k, v] of Object.entries(obj)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  return out;
}
function kv(pairs) { return `<div class="kv">${pairs.map(([k, v]) => `<div>${esc(k)}</div><div>${v}</div>`).join("")}</div>`; }
function table(headers, rows, cls = "") { return `<table class="${cls}"><thead><tr>${headers.map(h => `<th>${h}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>`; }

async function api(path, opts = {}) {
  const res = await fetch(path, opts);
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) throw new Error((body && body.error) || `${res.status} ${res.statusText}`);
  return body;
}
async function act(path, payload) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": session.csrf || "" }, body: JSON.stringify(payload || {}) });
}
function showError(e) { main.innerHTML = `<p class="error">${esc(e.message || e)}</p>`; }
function parseHash() {
  const h = location.hash.replace(/^#\/?/, "") || "runs";
  const [path, query] = h.split("?");
  return { parts: path.split("/").map(decodeURIComponent), query: new URLSearchParams(query || "") };
}

// -- runs ---------------------------------------------------------------------------
async function pageRuns(query) {
  const q = new URLSearchParams(query);
  const data = await api("/api/runs?" + q.toString());
  const f = data.facets;
  const opt = (name, values) => `<select name="${name}"><option value="">${name}: any</option>${values.map(v => `<option ${q.get(name) === v ? "selected" : ""}>${esc(v)}</option>`).join("")}</select>`;
  const metricNames = f.metric;
  const rows = data.runs.map(r => `<tr data-run="${esc(r.id)}"><td><input type="checkbox" class="pick" value="${esc(r.id)}"></td><td>${runLink(r.id)}</td><td>${esc(r.experiment)}</td><td>${status(r.status)}</td><td>${esc(r.estimator)}</td><td>${when(r.created)}</td><td class="num">${dur(r.duration_s)}</td><td class="mono">${scalars(r.metrics)}</td><td>${Object.entries(r.tags || {}).map(([k, v]) => `<span class="pill">${esc(k)}${v ? "=" + esc(v) : ""}</span>`).join("")}${r.sweep_id ? `<a class="pill" href="#/sweeps/${esc(r.sweep_id)}">sweep</a>` : ""}</td></tr>`);
  const damaged = data.damaged.map(d => `<tr class="damaged"><td></td><td class="mono">${esc(d.id)}</td><td colspan="7">${status("Damaged")} ${esc(d.error)}</td></tr>`);
  const offset = data.offset, limit = data.limit;
  main.innerHTML = `<h1>Runs <span class="muted">(${data.total})</span></h1>
  <form class="filters" id="filters">
    <input name="q" placeholder="search ids, tags, params" value="${esc(q.get("q") || "")}" size="28">
    ${opt("experiment", f.experiment)} ${opt("status", f.status)} ${opt("estimator", f.estimator)}
    <input name="tag" placeholder="tag KEY[=VALUE]" value="${esc(q.get("tag") || "")}" size="14">
    <input name="sweep" placeholder="sweep id" value="${esc(q.get("sweep") || "")}" size="14">
    <select name="sort"><option value="">newest first</option>${metricNames.map(m => `<option value="${esc(m)}" ${q.get("sort") === m ? "selected" : ""}>sort by ${esc(m)}</option>`).join("")}</select>
    <label><input type="checkbox" name="asc" value="1" ${q.get("asc") ? "checked" : ""}> smallest first</label>
    <button class="primary">Apply</button>
    <button type="button" id="compare" disabled>Compare selected</button>
  </form>
  ${table(["", "id", "experiment", "status", "estimator", "created", "duration", "metrics", "tags"], rows.concat(damaged), "runs")}
  <div class="pager"><button id="prev" ${offset <= 0 ? "disabled" : ""}>← newer</button>
  <span class="muted">${data.total ? offset + 1 : 0}–${Math.min(offset + limit, data.total)} of ${data.total}</span>
  <button id="next" ${offset + limit >= data.total ? "disabled" : ""}>older →</button></div>`;
  const go = (changes) => { for (const [k, v] of Object.entries(changes)) { if (v === "" || v === null) q.delete(k); else q.set(k, v); } location.hash = "#/runs?" + q.toString(); };
  document.getElementById("filters").onsubmit = (ev) => { ev.preventDefault(); const fd = new FormData(ev.target); const ch = { offset: "" }; for (const k of ["q", "experiment", "status", "estimator", "tag", "sweep", "sort", "asc"]) ch[k] = fd.get(k) || ""; go(ch); };
  document.getElementById("prev").onclick = () => go({ offset: Math.max(0, offset - limit) || "" });
  document.getElementById("next").onclick = () => go({ offset: offset + limit });
  // The selection survives the live redraws (a new run must not untick the boxes).
  const compareButton = document.getElementById("compare");
  const syncPicks = () => { compareButton.disabled = picked.size < 2; };
  main.querySelectorAll("input.pick").forEach(i => {
    i.checked = picked.has(i.value);
    i.onchange = () => { if (i.checked) picked.add(i.value); else picked.delete(i.value); syncPicks(); };
  });
  syncPicks();
  compareButton.onclick = () => { location.hash = "#/compare?ids=" + [...picked].join(","); picked.clear(); };
  const es = new EventSource("/api/events/runs?since=" + data.generation);  // no change missed
  let pending = null;
  const redraw = () => {  // not while the user types a filter: try again shortly
    if (document.activeElement && document.activeElement.tagName === "INPUT" && document.activeElement.type !== "checkbox") pending = setTimeout(redraw, 1000);
    else route();
  };
  es.addEventListener("changed", () => { clearTimeout(pending); pending = setTimeout(redraw, 300); });
  live.push(es);
}

// -- one run ----------------------------------------------------------------------
function classify(points) {
  // scalars → charts; {image} → images; {table} → tables; other objects → rows (log_row)
  const kinds = {};
  for (const p of points) {
    const v = p.value;
    const kind = typeof v === "number" ? "scalar" : v && typeof v === "object" ? (v.image ? "image" : v.table ? "table" : "row") : "other";
    (kinds[p.name] ||= { kind, points: [] }).points.push(p);
  }
  return kinds;
}

async function pageRun(runId) {
  const r = await api(`/api/runs/${encodeURIComponent(runId)}`);
  if (r.damaged) {
    main.innerHTML = `<h1 class="mono">${esc(r.id)} ${status("Damaged")}</h1><p class="error">${esc(r.error)}</p><p>The run's files are still in its folder; <code>harness runs show</code> reads the same record.</p>`;
    return;
  }
  const models = await api(`/api/runs/${encodeURIComponent(runId)}/models`).catch(() => []);
  const outputs = r.files.filter(f => f.startsWith("outputs/"));
  const fileUrl = (f, dl) => `/api/runs/${encodeURIComponent(r.id)}/files/${f.split("/").map(encodeURIComponent).join("/")}${dl ? "?download=1" : ""}`;
  const params = flatten(r.params);
  main.innerHTML = `<h1><span class="mono">${esc(r.id)}</span> <span id="run-status">${status(r.status)}</span></h1>
  <div id="run-info"></div>
  <div class="actions" id="actions">
    <button class="danger" id="cancel" ${["Running", "Queued"].includes(r.status) && session.authenticated ? "" : "disabled"}>Cancel run</button>
    <form id="tagform"><input name="key" placeholder="tag key" size="10"> <input name="value" placeholder="value" size="10"> <button ${session.authenticated ? "" : "disabled"}>Tag</button></form>
    <form id="regform"><input name="name" placeholder="model name" size="12"> <select name="path">${outputs.map(f => `<option>${esc(f)}</option>`).join("")}</select> <button ${session.authenticated && outputs.length ? "" : "disabled"}>Register model</button></form>
    <span id="action-result" class="muted"></span>
  </div>
  ${session.authenticated ? "" : `<div class="notice">Read-only view: open the URL with <code>?token=…</code> that <code>harness ui</code> printed to cancel, tag or register.</div>`}
  <h2>Metrics</h2><div class="grid" id="charts"><p class="muted" id="no-metrics">no metrics logged yet</p></div>
  <div id="entries"></div>
  <h2>Logs</h2><div class="tabs" id="logtabs"></div><pre class="log" id="logtext"></pre>
  <div class="grid">
    <div class="card"><h3>Params</h3>${table(["key", "value"], Object.entries(params).map(([k, v]) => `<tr><td class="mono">${esc(k)}</td><td class="mono">${esc(JSON.stringify(v))}</td></tr>`))}</div>
    <div class="card"><h3>Overrides</h3><pre class="mono">${esc((r.overrides || []).join("\n")) || "(none)"}</pre>
      <h3>Tags</h3><div id="tags"></div>
      <h3>Files</h3><ul id="files">${r.files.map(f => `<li><a href="${fileUrl(f)}" target="_blank">${esc(f)}</a> · <a href="${fileUrl(f, true)}" download>download</a></li>`).join("") || "<li class=muted>(none)</li>"}</ul>
      <h3>Models registered from this run</h3>${models.length ? models.map(m => `<div><a href="#/models/${encodeURIComponent(m.name)}">${esc(m.name)}:${m.version}</a> <span class="muted">${esc(m.source_path)}</span></div>`).join("") : `<div class="muted">(none)</div>`}
    </div>
    <div class="card"><h3>Provenance</h3><pre class="mono" style="white-space:pre-wrap;max-height:360px;overflow:auto">${esc(JSON.stringify(r.provenance, null, 2))}</pre></div>
  </div>`;
  const renderInfo = (d) => {
    document.getElementById("run-status").innerHTML = status(d.status);
    document.getElementById("run-info").innerHTML = kv([["experiment", esc(d.experiment)], ["estimator / compute", `${esc(d.estimator)} / ${esc(d.compute)} (world size ${esc(d.world_size)})`],
      ["created · started · ended", `${when(d.created)} · ${when(d.started)} · ${when(d.ended)}`], ["duration", dur(d.duration_s)],
      ["sweep", d.sweep_id ? `<a href="#/sweeps/${esc(d.sweep_id)}">${esc(d.sweep_id)}</a>` : "-"], ["error", d.error ? `<span class="error">${esc(d.error)}</span>` : "-"],
      ["folder", `<span class="mono">${esc(d.path)}</span>`]]);
    document.getElementById("tags").innerHTML = Object.entries(d.tags || {}).map(([k, v]) => `<span class="pill">${esc(k)}=${esc(v)}</span>`).join("") || `<span class="muted">(none)</span>`;
    const cancel = document.getElementById("cancel");
    if (!["Running", "Queued"].includes(d.status)) cancel.disabled = true;
  };
  renderInfo(r);
  const result = document.getElementById("action-result");
  const attempt = async (fn) => { try { result.textContent = await fn(); result.className = "muted"; } catch (e) { result.textContent = e.message; result.className = "error"; } };
  document.getElementById("cancel").onclick = () => attempt(async () => { const x = await act(`/api/runs/${r.id}/cancel`); return x.signalled ? "cancel sent; stopping…" : `run is ${x.status}`; });
  document.getElementById("tagform").onsubmit = (ev) => { ev.preventDefault(); const fd = new FormData(ev.target); attempt(async () => { const x = await act(`/api/runs/${r.id}/tags`, { tags: { [fd.get("key")]: fd.get("value") } }); renderInfo(Object.assign(r, x)); return "tagged"; }); };
  document.getElementById("regform").onsubmit = (ev) => { ev.preventDefault(); const fd = new FormData(ev.target); attempt(async () => { const m = await act(`/api/runs/${r.id}/register`, { name: fd.get("name"), path: fd.get("path") }); return `registered ${m.name} version ${m.version}`; }); };

  // live: status, metric points, log text — all from one event stream
  const charts = {}, entries = {};
  const logs = {}; let logTab = null;
  const drawLogs = () => {
    const names = Object.keys(logs).sort((a, b) => (a === "stdout.txt" ? -1 : b === "stdout.txt" ? 1 : a.localeCompare(b)));
    if (!logTab && names.length) logTab = names[0];
    document.getElementById("logtabs").innerHTML = names.map(n => `<button class="${n === logTab ? "active" : ""}" data-log="${esc(n)}">${esc(n)}</button>`).join("");
    document.querySelectorAll("#logtabs button").forEach(b => (b.onclick = () => { logTab = b.dataset.log; drawLogs(); }));
    const pre = document.getElementById("logtext");
    const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 20;
    pre.textContent = logTab ? logs[logTab] : "(no output yet)";
    if (atEnd) pre.scrollTop = pre.scrollHeight;
  };
  const addPoints = (points) => {
    const kinds = classify(points);
    for (const [name, { kind, points: pts }] of Object.entries(kinds)) {
      if (kind === "scalar") {
        if (!charts[name]) {
          document.getElementById("no-metrics")?.remove();
          const card = document.createElement("div"); card.className = "card";
          card.innerHTML = `<h3>${esc(name)}</h3><div class="chart" data-metric="${esc(name)}"></div>`;
          document.getElementById("charts").appendChild(card);
          charts[name] = new LiveMetricChart(card.querySelector(".chart"), name);
        }
        pts.forEach(p => charts[name].add(p.step, p.value));
        charts[name].draw();
      } else {
        (entries[name] ||= { kind, points: [] }).points.push(...pts);
      }
    }
    drawEntries();
  };
  const drawEntries = () => {
    const html = Object.entries(entries).map(([name, { kind, points }]) => {
      if (kind === "image") return `<div class="card"><h3>${esc(name)} <span class="muted">(image)</span></h3>${points.map(p => `<figure><img class="logged" data-entry="${esc(name)}" src="${fileUrl(p.value.image)}" alt="${esc(name)} step ${p.step}"><figcaption class="muted">step ${p.step} ${esc(p.value.description || "")}</figcaption></figure>`).join("")}</div>`;
      if (kind === "table") { const t = points[points.length - 1].value.table; const cols = Object.keys(t); const n = Math.max(0, ...cols.map(c => t[c].length)); return `<div class="card"><h3>${esc(name)} <span class="muted">(table)</span></h3>${table(cols.map(esc), [...Array(n).keys()].map(i => `<tr>${cols.map(c => `<td>${esc(fmt(t[c][i]))}</td>`).join("")}</tr>`))}</div>`; }
      if (kind === "row") { const cols = [...new Set(points.flatMap(p => Object.keys(p.value)))]; return `<div class="card"><h3>${esc(name)} <span class="muted">(rows)</span></h3>${table(["step"].concat(cols.map(esc)), points.map(p => `<tr><td>${p.step}</td>${cols.map(c => `<td>${esc(fmt(p.value[c]))}</td>`).join("")}</tr>`))}</div>`; }
      return `<div class="card"><h3>${esc(name)}</h3>${points.map(p => `<div class="mono">${p.step}: ${esc(JSON.stringify(p.value))}</div>`).join("")}</div>`;
    }).join("");
    document.getElementById("entries").innerHTML = html ? `<h2>Logged entries</h2><div class="grid">${html}</div>` : "";
  };
  const es = new EventSource(`/api/runs/${encodeURIComponent(r.id)}/events`);
  es.addEventListener("run", (ev) => { const d = JSON.parse(ev.data); Object.assign(r, d); if (!d.damaged) renderInfo(r); });
  es.addEventListener("metrics", (ev) => addPoints(JSON.parse(ev.data)));
  es.addEventListener("logs", (ev) => { for (const [n, t] of Object.entries(JSON.parse(ev.data))) logs[n] = ((logs[n] || "") + t).slice(-200000); drawLogs(); });
  es.addEventListener("end", () => es.close());
  live.push(es);
  drawLogs();
}

// -- compare ------------------------------------------------------------------------
async function pageCompare(query) {
  const ids = (query.get("ids") || "").split(",").filter(Boolean);
  const c = await api("/api/compare?ids=" + ids.map(encodeURIComponent).join(","));
  const head = ["", ...c.runs.map(runLink)];
  const rows = [`<tr><td>status</td>${c.runs.map(id => `<td>${status(c.status[id])}</td>`).join("")}</tr>`]
    .concat(Object.entries(c.params).map(([k, vals]) => `<tr><td class="mono">${esc(k)}</td>${c.runs.map(id => `<td class="mono">${esc(JSON.stringify(vals[id]))}</td>`).join("")}</tr>`))
    .concat(Object.entries(c.metrics).map(([k, vals]) => `<tr><td>metric: ${esc(k)}</td>${c.runs.map(id => `<td class="num">${fmt(vals[id])}</td>`).join("")}</tr>`));
  const names = [...new Set(Object.values(c.history).flatMap(h => Object.entries(h).filter(([, pts]) => pts.length && typeof pts[0].value === "number").map(([n]) => n)))].sort();
  main.innerHTML = `<h1>Compare ${c.runs.length} runs</h1>${table(head, rows, "compare")}<p class="muted">params that differ, and final metrics</p>
  <h2>Curves</h2><div class="grid">${names.map(n => `<div class="card"><h3>${esc(n)}</h3><div class="chart" data-metric="${esc(n)}"></div></div>`).join("")}</div>`;
  names.forEach(n => {
    const el = main.querySelector(`.chart[data-metric="${CSS.escape(n)}"]`);
    const series = c.runs.filter(id => c.history[id][n]).map(id => { const pts = [...c.history[id][n]].sort((a, b) => a.step - b.step); return { label: id, xs: pts.map(p => p.step), ys: pts.map(p => p.value) }; });
    lineChart(el, series, { yLabel: n, legend: true });
  });
}

// -- sweeps -------------------------------------------------------------------------
async function pageSweeps() {
  const items = await api("/api/sweeps");
  main.innerHTML = `<h1>Sweeps <span class="muted">(${items.length})</span></h1>` + table(["id", "status", "experiment", "created", "sweeper / launcher", "runs", "best"],
    items.map(s => `<tr><td><a class="mono" href="#/sweeps/${esc(s.id)}">${esc(s.id)}</a></td><td>${status(s.status)}</td><td>${esc(s.experiment)}</td><td>${when(s.created)}</td><td>${esc(s.sweeper)} / ${esc(s.launcher)}</td><td class="num">${s.counts.total}</td><td>${s.best_run_id ? `${esc(s.metric)}=${fmt(s.best_value)} (${runLink(s.best_run_id)})` : "-"}</td></tr>`));
}

function parseOverrides(list) {
  const out = {};
  for (const o of list || []) { const i = o.indexOf("="); if (i < 0) continue; const k = o.slice(0, i).replace(/^\+*/, ""); const raw = o.slice(i + 1); const n = Number(raw); out[k] = raw !== "" && !isNaN(n) ? n : raw; }
  return out;
}

async function pageSweep(sweepId) {
  const render = (s) => {
    const best = s.best && s.best.run_id;
    const rows = s.runs.map(row => `<tr class="${row.run_id && row.run_id === best ? "best" : ""}" data-run="${esc(row.run_id || "")}"><td>${runLink(row.run_id)}</td><td>${status(row.status)}${row.early_terminated ? ' <span class="pill">early-terminated</span>' : ""}</td><td class="num">${fmt(row.value)}</td><td class="mono">${esc((row.overrides || []).join(" "))}</td><td class="num">${dur(row.duration_s)}</td><td class="error">${esc(row.error || "")}</td></tr>`);
    main.innerHTML = `<h1>Sweep <span class="mono">${esc(s.sweep_id)}</span> ${status(s.status)}</h1>
    ${kv([["primary metric", `${esc(s.metric)} (${esc(s.goal)})`], ["best", best ? `${fmt(s.best.value)} — ${runLink(best)}` : "-"], ["runs", Object.entries(s.counts).filter(([k, v]) => v || k === "total").map(([k, v]) => `${v} ${esc(k.replace("_", " "))}`).join(" · ")]])}
    <p><a href="#/runs?sweep=${esc(s.sweep_id)}">these runs in the runs list</a></p>
    ${table(["run", "status", esc(s.metric || "value"), "overrides", "duration", "reason"], rows, "sweep")}
    <h2>Parameters against ${esc(s.metric)}</h2><div class="grid" id="param-charts"></div>
    <h2>Parallel coordinates</h2><div class="card"><div id="parallel" class="chart"></div></div>`;
    const data = s.runs.map(row => Object.assign(parseOverrides(row.overrides), { [s.metric || "value"]: row.value, best: row.run_id && row.run_id === best }));
    const params = [...new Set(s.runs.flatMap(row => Object.keys(parseOverrides(row.overrides))))].filter(k => new Set(data.map(d => JSON.stringify(d[k]))).size > 1);
    const metricKey = s.metric || "value";
    params.forEach(p => {
      const card = document.createElement("div"); card.className = "card";
      card.innerHTML = `<h3>${esc(p)}</h3><div class="chart" data-param="${esc(p)}"></div>`;
      document.getElementById("param-charts").appendChild(card);
      const done = data.filter(d => d[metricKey] !== null && d[p] !== undefined);
      const numeric = done.every(d => typeof d[p] === "number");
      const cats = numeric ? null : [...new Set(done.map(d => String(d[p])))];
      const pts = done.map(d => [numeric ? d[p] : cats.indexOf(String(d[p])), d[metricKey]]).sort((a, b) => a[0] - b[0]);
      const pos = numeric ? done.map(d => d[p]).filter(v => v > 0) : [];
      const logX = numeric && pos.length === done.length && pos.length > 2 && Math.max(...pos) / Math.min(...pos) > 50;
      lineChart(card.querySelector(".chart"), [{ label: metricKey, xs: pts.map(q => q[0]), ys: pts.map(q => q[1]) }], { scatter: true, xLabel: p, yLabel: metricKey, logX, xValues: cats ? (u, splits) => splits.map(v => cats[v] ?? "") : undefined });
    });
    // runs with a value only: a failed run's parameters would stretch the axes for nothing
    parallelCoordinates(document.getElementById("parallel"), params.concat([metricKey]), data.filter(d => d[metricKey] !== null && d[metricKey] !== undefined), metricKey);
  };
  render(await api(`/api/sweeps/${encodeURIComponent(sweepId)}`));
  const es = new EventSource(`/api/sweeps/${encodeURIComponent(sweepId)}/events`);
  es.addEventListener("sweep", (ev) => render(JSON.parse(ev.data)));
  es.addEventListener("end", () => es.close());
  live.push(es);
}

// -- models -------------------------------------------------------------------------
async function pageModels() {
  const items = await api("/api/models");
  main.innerHTML = `<h1>Models <span class="muted">(${items.length})</span></h1>` + table(["name", "versions", "latest", "aliases", "from run", "created"],
    items.map(m => { const v = m.versions[m.versions.length - 1] || {}; const aliases = m.versions.flatMap(x => (x.aliases || []).map(a => `${a}→${x.version}`)); return `<tr><td><a href="#/models/${encodeURIComponent(m.name)}">${esc(m.name)}</a></td><td class="num">${m.versions.length}</td><td class="num">${esc(v.version)}</td><td>${aliases.map(a => `<span class="pill">${esc(a)}</span>`).join("")}</td><td>${runLink(v.run_id)}</td><td>${when(v.created)}</td></tr>`; }));
}

async function pageModel(name) {
  const m = await api(`/api/models/${encodeURIComponent(name)}`);
  const fileUrl = (v, f, dl) => `/api/models/${encodeURIComponent(m.name)}/${v.version}/files/${f.split("/").map(encodeURIComponent).join("/")}${dl ? "?download=1" : ""}`;
  main.innerHTML = `<h1>Model ${esc(m.name)}</h1>` + m.versions.slice().reverse().map(v => `<div class="card" style="margin-bottom:10px"><h3>version ${v.version} ${(v.aliases || []).map(a => `<span class="pill">@${esc(a)}</span>`).join("")}</h3>
    ${kv([["from run", `${runLink(v.run_id)} <span class="muted">(experiment ${esc(v.experiment)})</span>`], ["source", `<span class="mono">${esc(v.source_path)}</span>`], ["sha256", `<span class="mono">${esc(v.sha256)}</span>`], ["size", `${v.size} bytes`], ["created", when(v.created)], ["description", esc(v.description) || "-"], ["tags", Object.entries(v.tags || {}).map(([k, x]) => `<span class="pill">${esc(k)}=${esc(x)}</span>`).join("") || "-"], ["metrics", `<span class="mono">${scalars(v.metrics) || "-"}</span>`]])}
    ${table(["file", "sha256", ""], Object.entries(v.files).map(([f, sha]) => `<tr><td class="mono">${esc(f)}</td><td class="mono">${esc(sha)}</td><td><a class="download" href="${fileUrl(v, f, true)}" download>download</a></td></tr>`))}</div>`).join("");
}

// -- datastores, bench ----------------------------------------------------------------
async function pageDatastores() {
  const items = await api("/api/datastores");
  main.innerHTML = `<h1>Datastores</h1>` + table(["name", "type", "url", "options"], items.map(d => `<tr><td><a href="#/datastores/${encodeURIComponent(d.name)}">${esc(d.name)}</a>${d.default ? ' <span class="pill">default</span>' : ""}</td><td>${esc(d.type)}</td><td class="mono">${esc(d.url)}</td><td class="mono">${esc(JSON.stringify(d.options))}</td></tr>`));
}

async function pageDatastore(name, query) {
  const path = query.get("path") || "";
  const files = await api(`/api/datastores/${encodeURIComponent(name)}?path=${encodeURIComponent(path)}`);
  const total = files.reduce((n, f) => n + (f.size || 0), 0);
  main.innerHTML = `<h1>Datastore ${esc(name)}</h1><form class="filters" id="dsform"><input name="path" placeholder="folder inside the datastore" value="${esc(path)}" size="30"><button>List</button></form>
  <p class="muted">${files.length} files, ${total.toLocaleString()} bytes</p>` + table(["path", "size", "hash"], files.map(f => `<tr><td class="mono">${esc(f.path)}</td><td class="num">${(f.size ?? 0).toLocaleString()}</td><td class="mono">${esc(f.hash || "(untracked)")}</td></tr>`));
  document.getElementById("dsform").onsubmit = (ev) => { ev.preventDefault(); location.hash = `#/datastores/${encodeURIComponent(name)}?path=${encodeURIComponent(new FormData(ev.target).get("path"))}`; };
}

async function pageBenchList() {
  const items = await api("/api/bench");
  main.innerHTML = `<h1>Bench results</h1>` + table(["id", "suite", "cells", "target accuracy", "sweep"], items.map(b => `<tr><td><a class="mono" href="#/bench/${esc(b.id)}">${esc(b.id)}</a></td><td>${esc(b.suite)}</td><td class="num">${b.cells}</td><td class="num">${fmt(b.target_accuracy)}</td><td>${b.sweep_id ? `<a href="#/sweeps/${esc(b.sweep_id)}">${esc(b.sweep_id)}</a>` : "-"}</td></tr>`));
}

async function pageBench(benchId) {
  const doc = await api(`/api/bench/${encodeURIComponent(benchId)}`);
  const n = (v, d) => v === null || v === undefined ? "-" : (+v).toFixed(d);
  main.innerHTML = `<h1>Bench ${esc(doc.id)} <span class="muted">suite ${esc(doc.suite)}, target accuracy ${fmt(doc.target_accuracy)}</span></h1>` +
    table(["cell", "status", "final accuracy", "time to target (s)", "throughput (samples/s)", "peak RSS (MB)", "GPU peak (MB)", "wall (s)", "run"], doc.cells.map(c => `<tr><td>${esc(c.key)}</td><td>${status(c.status)}</td><td class="num">${n(c.final_accuracy, 4)}</td><td class="num">${n(c.time_to_target_s, 2)}</td><td class="num">${n(c.throughput_samples_per_s, 0)}</td><td class="num">${n(c.peak_rss_mb, 0)}</td><td class="num">${n(c.gpu_peak_mb, 0)}</td><td class="num">${n(c.wall_s, 1)}</td><td>${runLink(c.run_id)}</td></tr>`)) +
    `<h2>Accuracy against training time</h2><div class="card"><div class="chart" id="bench-chart"></div></div>`;
  const series = doc.cells.filter(c => (c.curve || []).length).map(c => ({ label: c.key, xs: c.curve.map(p => p[0]), ys: c.curve.map(p => p[1]) }));
  const times = series.flatMap(s => s.xs).filter(t => t > 0);
  lineChart(document.getElementById("bench-chart"), series, { xLabel: "training time (s)", yLabel: "validation accuracy", legend: true, height: 320, logX: times.length > 1 && Math.max(...times) / Math.min(...times) > 20 });
}

// -- router ---------------------------------------------------------------------------
async function route() {
  closeLive();
  const { parts, query } = parseHash();
  document.querySelectorAll("header nav a").forEach(a => a.classList.toggle("active", a.dataset.nav === (parts[0] === "compare" ? "runs" : parts[0])));
  try {
    if (parts[0] === "runs" && parts[1]) await pageRun(parts[1]);
    else if (parts[0] === "compare") await pageCompare(query);
    else if (parts[0] === "sweeps" && parts[1]) await pageSweep(parts[1]);
    else if (parts[0] === "sweeps") await pageSweeps();
    else if (parts[0] === "models" && parts[1]) await pageModel(parts[1]);
    else if (parts[0] === "models") await pageModels();
    else if (parts[0] === "services" && parts[1]) await pageService(parts[1]);  // services.js
    else if (parts[0] === "services") await pageServices();
    else if (parts[0] === "datastores" && parts[1]) await pageDatastore(parts[1], query);
    else if (parts[0] === "datastores") await pageDatastores();
    else if (parts[0] === "bench" && parts[1]) await pageBench(parts[1]);
    else if (parts[0] === "bench") await pageBenchList();
    else await pageRuns(query);
    document.body.dataset.page = parts[0] + (parts[1] ? "-detail" : "");
  } catch (e) { showError(e); }
}

(async () => {
  try { session = await api("/api/session"); } catch (e) { session = { authenticated: false }; }
  document.getElementById("session").textContent = (session.home || "") + (session.authenticated ? "" : " · read-only");
  window.addEventListener("hashchange", route);
  route();
})();
