// Datastores (files with preview and download), environments (built ones, their
// packages, the runs that used them) and bench results (with an empty state).
import { lineChart } from "./charts.js";
import { api, esc, fmt, runLink, status, table, when } from "./util.js";
import { showPreview } from "./preview.js";

export async function pageDatastores(main) {
  const items = await api("/api/datastores");
  main.innerHTML = `<h1>Datastores</h1>` + table(["name", "type", "url", "options"], items.map(d => `<tr><td><a href="#/datastores/${encodeURIComponent(d.name)}">${esc(d.name)}</a>${d.default ? ' <span class="pill">default</span>' : ""}</td><td>${esc(d.type)}</td><td class="mono">${esc(d.url)}</td><td class="mono">${esc(JSON.stringify(d.options))}</td></tr>`), "datastores");
}

export async function pageDatastore(main, name, query) {
  const path = query.get("path") || "";
  const base = `/api/datastores/${encodeURIComponent(name)}`;
  const files = await api(`${base}?path=${encodeURIComponent(path)}`);
  const total = files.reduce((n, f) => n + (f.size || 0), 0);
  main.innerHTML = `<h1>Datastore ${esc(name)}</h1><form class="filters" id="dsform"><label>folder <input name="path" placeholder="inside the datastore" value="${esc(path)}" size="30"></label><button>List</button></form>
  <p class="muted">${files.length} files, ${total.toLocaleString()} bytes</p>` + table(["path", "size", "hash", ""], files.map(f => `<tr data-path="${esc(f.path)}"><td class="mono">${esc(f.path)}</td><td class="num">${(f.size ?? 0).toLocaleString()}</td><td class="mono">${esc(f.hash || "(untracked)")}</td><td><button type="button" class="link" data-preview="${esc(f.path)}">preview</button> · <a href="${base}/file?path=${encodeURIComponent(f.path)}&download=1" download>download</a></td></tr>`), "datastore-files") + `<section class="card" id="preview" aria-live="polite"></section>`;
  document.getElementById("dsform").onsubmit = ev => { ev.preventDefault(); location.hash = `#/datastores/${encodeURIComponent(name)}?path=${encodeURIComponent(new FormData(ev.target).get("path"))}`; };
  main.querySelectorAll("button[data-preview]").forEach(b => (b.onclick = () => showPreview(document.getElementById("preview"), `${base}/preview?path=`, b.dataset.preview)));
}

export async function pageEnvironments(main, query) {
  const items = await api("/api/environments");
  const only = query.get("hash");
  const shown = only ? items.filter(e => e.hash === only) : items;
  main.innerHTML = `<h1>Environments <span class="muted">(${shown.length} built)</span></h1>` + (shown.length ? shown.map(e => `<section class="card env" data-hash="${esc(e.hash)}"><h2>${esc(e.name ? `${e.name}:${e.version}` : "(inline definition)")} <span class="mono muted">${esc(e.hash)}</span></h2>
    <p>Python ${esc(e.python)} · built ${when(e.built)}${e.build_s !== null && e.build_s !== undefined ? ` in ${fmt(e.build_s)} s` : ""} · requirements: <span class="mono">${esc((e.requirements || []).join(" ")) || "(none)"}</span></p>
    <details><summary>${e.packages.length} package${e.packages.length === 1 ? "" : "s"}</summary><pre class="mono wrap packages">${esc(e.packages.join("\n"))}</pre></details>
    <h3>Runs that used it (${e.runs.length})</h3><div class="env-runs">${e.runs.slice(0, 50).map(runLink).join(" ") || `<span class="muted">(none recorded)</span>`}${e.runs.length > 50 ? ` <a href="#/runs?filter=${encodeURIComponent("")}">…</a>` : ""}</div></section>`).join("")
    : `<p class="empty">No environment has been built in this workspace yet. A run asks for one with <code>+estimator.environment.pip_packages=[…]</code>, or build one with <code>harness envs create NAME --pip PKG --build</code>.</p>`);
}

export async function pageBenchList(main) {
  const items = await api("/api/bench");
  main.innerHTML = `<h1>Bench results</h1>` + (items.length ? table(["id", "suite", "cells", "target accuracy", "sweep"], items.map(b => `<tr><td><a class="mono" href="#/bench/${esc(b.id)}">${esc(b.id)}</a></td><td>${esc(b.suite)}</td><td class="num">${b.cells}</td><td class="num">${fmt(b.target_accuracy)}</td><td>${b.sweep_id ? `<a href="#/sweeps/${esc(b.sweep_id)}">${esc(b.sweep_id)}</a>` : "-"}</td></tr>`), "bench")
    : `<div class="empty"><p>No bench results in this workspace yet.</p><p>Run the framework benchmark suite: <code>harness bench run ci</code> (a quick suite; <code>harness bench list</code> shows the others). Its results appear here.</p></div>`);
}

export async function pageBench(main, benchId) {
  const doc = await api(`/api/bench/${encodeURIComponent(benchId)}`);
  const n = (v, d) => (v === null || v === undefined ? "-" : (+v).toFixed(d));
  main.innerHTML = `<h1>Bench ${esc(doc.id)} <span class="muted">suite ${esc(doc.suite)}, target accuracy ${fmt(doc.target_accuracy)}</span></h1>` +
    table(["cell", "status", "final accuracy", "time to target (s)", "throughput (samples/s)", "peak RSS (MB)", "GPU peak (MB)", "wall (s)", "run"], doc.cells.map(c => `<tr><td>${esc(c.key)}</td><td>${status(c.status)}</td><td class="num">${n(c.final_accuracy, 4)}</td><td class="num">${n(c.time_to_target_s, 2)}</td><td class="num">${n(c.throughput_samples_per_s, 0)}</td><td class="num">${n(c.peak_rss_mb, 0)}</td><td class="num">${n(c.gpu_peak_mb, 0)}</td><td class="num">${n(c.wall_s, 1)}</td><td>${runLink(c.run_id)}</td></tr>`)) +
    `<h2>Accuracy against training time</h2><div class="card"><div class="chart" id="bench-chart"></div></div>`;
  const series = doc.cells.filter(c => (c.curve || []).length).map(c => ({ label: c.key, xs: c.curve.map(p => p[0]), ys: c.curve.map(p => p[1]) }));
  const times = series.flatMap(s => s.xs).filter(t => t > 0);
  lineChart(document.getElementById("bench-chart"), series, { xLabel: "training time (s)", yLabel: "validation accuracy", height: 320, logX: times.length > 1 && Math.max(...times) / Math.min(...times) > 20 });
}
