// The runs table: a column per chosen metric (last, min or max), param and tag,
// the choice kept in the URL; sort by any header (on the server); filters that
// apply as you type, MLflow's filter expressions; pages with size and jump; running
// rows updated live (status, duration, latest metrics).
import { LIVE, api, debounce, dur, esc, fmt, goalOf, runLink, setQuery, since, status, when } from "./util.js";

const BASE = [["id", "run"], ["experiment", "experiment"], ["status", "status"], ["estimator", "estimator"], ["created", "created"], ["duration", "duration"]];
const SIZES = [25, 50, 100, 200];
export const picked = new Set();  // runs ticked for Compare; survives live redraws

function label(spec) {
  const [kind, ...rest] = spec.split(".");
  const name = rest.join(".");
  if (kind === "metrics") { const [m, agg] = name.split(/:(?=min$|max$)/); return agg ? `${m} (${agg})` : m; }
  if (kind === "params") return name;
  if (kind === "tags") return "tag " + name;
  return spec;
}
function cellValue(run, values, spec) {
  if (values && spec in values) return values[spec];
  if (spec.startsWith("metrics.") && !/:(min|max)$/.test(spec)) return run.metrics[spec.slice(8)];
  if (spec.startsWith("tags.")) return run.tags[spec.slice(5)];
  return undefined;
}

export async function pageRuns(main, query, live) {
  const q = new URLSearchParams(query);
  let data = null, cols = (q.get("cols") || "").split(",").filter(Boolean), colsChosen = q.has("cols");
  main.innerHTML = `<h1>Runs <span class="muted" id="runs-total"></span></h1>
  <form class="filters" id="filters" role="search" aria-label="filter runs">
    <label>search <input id="q" name="q" type="search" placeholder="ids, tags, params" value="${esc(q.get("q") || "")}"></label>
    <label class="wide">filter <input id="filter" name="filter" placeholder="metrics.accuracy > 0.9 and params.lr < 0.01" value="${esc(q.get("filter") || "")}" aria-describedby="filter-error" spellcheck="false"></label>
    <label>experiment <select id="f-experiment" name="experiment"><option value="">any</option></select></label>
    <label>status <select id="f-status" name="status"><option value="">any</option></select></label>
    <label>estimator <select id="f-estimator" name="estimator"><option value="">any</option></select></label>
    <label>tag <input id="f-tag" name="tag" placeholder="KEY[=VALUE]" value="${esc(q.get("tag") || "")}" size="12"></label>
    <label>sweep <input id="f-sweep" name="sweep" placeholder="sweep id" value="${esc(q.get("sweep") || "")}" size="12"></label>
  </form>
  <p id="filter-error" class="error" role="alert"></p>
  <div class="toolbar">
    <details id="columns" class="chooser"><summary>Columns</summary><div id="column-list"></div></details>
    <button type="button" id="compare" disabled>Compare selected</button>
    <span class="muted" id="picked-count"></span>
  </div>
  <div class="table-wrap" id="runs-wrap"><table class="runs" id="runs-table"><caption class="sr-only">runs</caption><thead></thead><tbody></tbody></table></div>
  <nav class="pager" aria-label="pages">
    <button type="button" id="prev">← newer</button>
    <span id="pager-info" class="muted"></span>
    <button type="button" id="next">older →</button>
    <label>page <input id="page-jump" type="number" min="1" value="1"></label>
    <label>rows <select id="page-size">${SIZES.map(n => `<option ${String(n) === (q.get("limit") || "50") ? "selected" : ""}>${n}</option>`).join("")}</select></label>
  </nav>`;
  const $ = id => document.getElementById(id);
  const form = $("filters");

  function request(facets) {
    const r = new URLSearchParams();
    for (const k of ["q", "filter", "experiment", "status", "estimator", "tag", "sweep", "sort", "asc", "offset", "limit"]) if (q.get(k)) r.set(k, q.get(k));
    if (cols.length) r.set("columns", cols.join(","));
    if (!facets) r.set("facets", "0");
    return "/api/runs?" + r.toString();
  }
  async function load(facets = true) {
    let answer;
    try { answer = await api(request(facets)); }
    catch (e) { if (live.closed) return; $("filter-error").textContent = e.message; $("filter").setAttribute("aria-invalid", "true"); return; }
    if (live.closed) return;
    $("filter-error").textContent = ""; $("filter").removeAttribute("aria-invalid");
    if (!answer.facets) answer.facets = data && data.facets;
    data = answer;
    if (facets) drawFacets();
    draw();
  }
  function drawFacets() {
    const f = data.facets;
    for (const name of ["experiment", "status", "estimator"]) {
      const sel = $("f-" + name);
      sel.innerHTML = `<option value="">any</option>` + f[name].map(v => `<option ${q.get(name) === v ? "selected" : ""}>${esc(v)}</option>`).join("");
    }
    if (!colsChosen) {
      const preferred = f.metric.filter(m => !m.startsWith("system/"));
      cols = preferred.slice(0, 3).map(m => "metrics." + m);
    }
    const box = (spec, text) => `<label><input type="checkbox" data-column="${esc(spec)}" ${cols.includes(spec) ? "checked" : ""}> ${esc(text)}</label>`;
    $("column-list").innerHTML = `<fieldset><legend>metrics</legend>${f.metric.map(m => `<div class="metric-choice">${box("metrics." + m, m)} ${box(`metrics.${m}:min`, "min")} ${box(`metrics.${m}:max`, "max")}</div>`).join("") || "<p class=muted>none yet</p>"}</fieldset>
      <fieldset><legend>params</legend>${(f.param || []).map(p => box("params." + p, p)).join("") || "<p class=muted>none</p>"}</fieldset>
      <fieldset><legend>tags</legend>${(f.tag || []).map(t => box("tags." + t, t)).join("") || "<p class=muted>none</p>"}</fieldset>
      <fieldset><legend>attributes</legend>${["compute", "sweep_id", "started", "ended"].map(a => box(a, a)).join("")}</fieldset>`;
    $("column-list").querySelectorAll("input[data-column]").forEach(i => (i.onchange = () => {
      const spec = i.dataset.column;
      cols = i.checked ? cols.concat([spec]) : cols.filter(c => c !== spec);
      colsChosen = true; q.set("cols", cols.join(",")); setQuery("runs", q); load(false);
    }));
  }
  function header() {
    const sort = q.get("sort") || "", asc = !!q.get("asc");
    const th = (spec, text) => {
      const on = sort === spec || (!sort && spec === "created");
      const dir = on ? (sort ? (asc ? "ascending" : "descending") : "descending") : "none";
      return `<th scope="col" data-col="${esc(spec)}" aria-sort="${dir}"><button type="button" class="sort" data-sort="${esc(spec)}" title="sort by ${esc(text)}">${esc(text)}${on ? (dir === "ascending" ? " ▲" : " ▼") : ""}</button></th>`;
    };
    return `<tr><th scope="col" class="pick-col"><span class="sr-only">select</span></th>${BASE.map(([s, t]) => th(s, t)).join("")}${cols.map(c => th(c, label(c))).join("")}<th scope="col">tags</th></tr>`;
  }
  function row(r) {
    const values = data.values[r.id] || {};
    const liveRow = LIVE.includes(r.status);
    const durCell = liveRow && r.started ? `<td class="num" data-col="duration" data-started="${esc(r.started)}">${dur(since(r.started))}</td>` : `<td class="num" data-col="duration">${dur(r.duration_s)}</td>`;
    const chosen = cols.map(c => { const v = cellValue(r, values, c); return `<td class="${typeof v === "number" ? "num" : ""}" data-col="${esc(c)}" title="${esc(fmt(v))}">${esc(fmt(v))}</td>`; }).join("");
    const tags = Object.entries(r.tags || {}).map(([k, v]) => `${k}${v ? "=" + v : ""}`).join(" ");
    return `<tr data-run="${esc(r.id)}" class="${liveRow ? "live" : ""}"><td class="pick-col"><input type="checkbox" class="pick" value="${esc(r.id)}" aria-label="select ${esc(r.id)}" ${picked.has(r.id) ? "checked" : ""}></td>
      <td data-col="id">${runLink(r.id)}</td><td data-col="experiment" title="${esc(r.experiment)}">${esc(r.experiment)}</td><td data-col="status">${status(r.status)}</td>
      <td data-col="estimator">${esc(r.estimator)}</td><td data-col="created">${when(r.created)}</td>${durCell}${chosen}
      <td class="tags" title="${esc(tags)}">${esc(tags)}${r.sweep_id ? ` <a href="#/sweeps/${esc(r.sweep_id)}">sweep</a>` : ""}</td></tr>`;
  }
  function draw() {
    const table = $("runs-table");
    table.tHead.innerHTML = header();
    const damaged = (q.get("offset") || "0") === "0" ? data.damaged.map(d => `<tr class="damaged" data-run="${esc(d.id)}"><td></td><td class="mono">${esc(d.id)}</td><td colspan="${BASE.length + cols.length}">${status("Damaged")} ${esc(d.error)}</td></tr>`) : [];
    table.tBodies[0].innerHTML = data.runs.map(row).join("") + damaged.join("") || `<tr><td colspan="${BASE.length + cols.length + 2}" class="empty">No runs match. Start one with <code>harness train</code>, or clear the filters.</td></tr>`;
    $("runs-total").textContent = `(${data.total})`;
    const size = data.limit, pages = Math.max(1, Math.ceil(data.total / size)), pageNo = Math.floor(data.offset / size) + 1;
    $("pager-info").textContent = `${data.total ? data.offset + 1 : 0}–${Math.min(data.offset + size, data.total)} of ${data.total} · page ${pageNo} of ${pages}`;
    $("prev").disabled = data.offset <= 0; $("next").disabled = data.offset + size >= data.total;
    $("page-jump").max = pages; if (document.activeElement !== $("page-jump")) $("page-jump").value = pageNo;
    table.querySelectorAll("button.sort").forEach(b => (b.onclick = () => {
      const spec = b.dataset.sort;
      if (q.get("sort") === spec) { if (q.get("asc")) q.delete("asc"); else q.set("asc", "1"); }
      else if (spec === "created" && !q.get("sort")) { q.set("sort", "created"); q.set("asc", "1"); }
      else { q.set("sort", spec); if (["id", "experiment", "status", "estimator"].includes(spec) || (spec.startsWith("metrics.") && goalOf(spec) === "min")) q.set("asc", "1"); else q.delete("asc"); }
      q.delete("offset"); setQuery("runs", q); load(false);
    }));
    table.querySelectorAll("input.pick").forEach(i => (i.onchange = () => { if (i.checked) picked.add(i.value); else picked.delete(i.value); syncPicks(); }));
    syncPicks();
  }
  function syncPicks() {
    $("compare").disabled = picked.size < 2 || picked.size > 50;
    $("picked-count").textContent = picked.size ? `${picked.size} selected${picked.size > 50 ? " (50 at most)" : ""}` : "";
  }
  const apply = debounce(() => {
    const fd = new FormData(form);
    for (const k of ["q", "filter", "experiment", "status", "estimator", "tag", "sweep"]) { const v = String(fd.get(k) || "").trim(); if (v) q.set(k, v); else q.delete(k); }
    q.delete("offset"); setQuery("runs", q); load(false);
  }, 250);
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.onsubmit = ev => { ev.preventDefault(); apply(); };
  const go = offset => { if (offset > 0) q.set("offset", offset); else q.delete("offset"); setQuery("runs", q); load(false); };
  $("prev").onclick = () => go(Math.max(0, data.offset - data.limit));
  $("next").onclick = () => go(data.offset + data.limit);
  $("page-jump").onchange = () => { const n = Math.max(1, parseInt($("page-jump").value, 10) || 1); go((n - 1) * data.limit); };
  $("page-size").onchange = () => { q.set("limit", $("page-size").value); go(0); };
  $("compare").onclick = () => { location.hash = "#/compare?ids=" + [...picked].join(","); picked.clear(); };

  await load(true);
  if (live.closed || !data) return;
  // live: a changed run list redraws the rows; running rows tick and refresh
  const es = new EventSource("/api/events/runs?since=" + data.generation);
  es.addEventListener("changed", debounce(() => load(true), 300));  // new names for the menus too
  live.push(es);
  live.push(setInterval(() => {
    document.querySelectorAll("td[data-started]").forEach(td => (td.textContent = dur(since(td.dataset.started))));
  }, 1000));
  live.push(setInterval(() => { if (data && data.runs.some(r => LIVE.includes(r.status))) load(false); }, 2000));
}
