// Models: names, versions, aliases (editable: point one at a version, remove it),
// a diff of two versions, the environment the model's run recorded, downloads.
import { act, api, esc, fmt, kv, readOnlyNotice, runLink, session, status, table, when } from "./util.js";

// A version whose model.json cannot be read: one row saying which file and what to do.
const damagedRow = v => `<tr class="damaged" data-version="${esc(v.version)}"><td>${esc(v.name)}</td><td class="num">${esc(v.version)}</td><td colspan="4">${status("Damaged")} <span class="error">${esc(v.error)}</span></td></tr>`;

export async function pageModels(main) {
  const items = await api("/api/models");
  main.innerHTML = `<h1>Models <span class="muted">(${items.length})</span></h1>` + (items.length ? table(["name", "versions", "latest", "aliases", "from run", "created"],
    items.map(m => {
      const readable = m.versions.filter(x => !x.damaged), damaged = m.versions.filter(x => x.damaged);
      const v = readable[readable.length - 1] || {}; const aliases = readable.flatMap(x => (x.aliases || []).map(a => `${a}→${x.version}`));
      const row = readable.length ? `<tr><td><a href="#/models/${encodeURIComponent(m.name)}">${esc(m.name)}</a></td><td class="num">${readable.length}</td><td class="num">${esc(v.version)}</td><td>${aliases.map(a => `<span class="pill">${esc(a)}</span>`).join("")}</td><td>${runLink(v.run_id)}</td><td>${when(v.created)}</td></tr>` : "";
      return row + damaged.map(damagedRow).join("");
    }), "models")
    : `<p class="empty">No models yet. Register one from a run's page, or <code>harness models register NAME --run RUN --path outputs/model.pkl</code>.</p>`);
}

function diffRows(a, b) {
  const rows = [];
  const line = (k, x, y) => rows.push(`<tr class="${JSON.stringify(x) === JSON.stringify(y) ? "" : "changed"}"><th scope="row" class="mono">${esc(k)}</th><td class="mono">${esc(fmt(x))}</td><td class="mono">${esc(fmt(y))}</td></tr>`);
  for (const k of ["run_id", "source_path", "sha256", "size", "created", "description"]) line(k, a[k], b[k]);
  const keys = (f) => [...new Set(Object.keys(a[f] || {}).concat(Object.keys(b[f] || {})))].sort();
  for (const k of keys("metrics")) line("metric " + k, (a.metrics || {})[k], (b.metrics || {})[k]);
  for (const k of keys("tags")) line("tag " + k, (a.tags || {})[k], (b.tags || {})[k]);
  for (const k of keys("files")) line("file " + k, (a.files || {})[k] ?? "(absent)", (b.files || {})[k] ?? "(absent)");
  return rows;
}

export async function pageModel(main, name) {
  const m = await api(`/api/models/${encodeURIComponent(name)}`);
  const versions = m.versions.filter(v => !v.damaged).reverse();
  const damaged = m.versions.filter(v => v.damaged).reverse().map(v => `<section class="card version damaged" data-version="${esc(v.version)}"><h2>version ${esc(v.version)} ${status("Damaged")}</h2><p class="error">${esc(v.error)}</p></section>`).join("");
  const fileUrl = (v, f, dl) => `/api/models/${encodeURIComponent(m.name)}/${v.version}/files/${f.split("/").map(encodeURIComponent).join("/")}${dl ? "?download=1" : ""}`;
  const vopts = sel => versions.map(v => `<option value="${v.version}" ${v.version === sel ? "selected" : ""}>${v.version}</option>`).join("");
  const aliasPills = versions.flatMap(v => (v.aliases || []).map(a => `<span class="pill alias" data-alias="${esc(a)}">@${esc(a)} → ${v.version} <button type="button" class="link remove-alias" data-alias="${esc(a)}" aria-label="remove alias ${esc(a)}" ${session.authenticated ? "" : "disabled"}>×</button></span>`)).join("") || `<span class="muted">(none)</span>`;
  main.innerHTML = `<h1>Model ${esc(m.name)}</h1>${readOnlyNotice()}
  <section class="card"><h2>Aliases</h2><div id="aliases">${aliasPills}</div>
    <form id="alias-form" class="inline"><label>alias <input name="alias" required size="12" placeholder="production"></label> <label>version <select name="version">${vopts(versions[0]?.version)}</select></label> <button ${session.authenticated ? "" : "disabled"}>Set alias</button> <span id="alias-result" role="status"></span></form></section>
  ${versions.length > 1 ? `<section class="card"><h2>Compare versions</h2><form class="inline"><label>from <select id="diff-a">${vopts(versions[1].version)}</select></label> <label>to <select id="diff-b">${vopts(versions[0].version)}</select></label></form><div id="version-diff"></div></section>` : ""}
  ${versions.map(v => `<section class="card version" data-version="${v.version}"><h2>version ${v.version} ${(v.aliases || []).map(a => `<span class="pill">@${esc(a)}</span>`).join("")}</h2>
    ${kv([["from run", `${runLink(v.run_id)} <span class="muted">(experiment ${esc(v.experiment)})</span>`], ["source", `<span class="mono">${esc(v.source_path)}</span>`], ["sha256", `<span class="mono">${esc(v.sha256)}</span>`], ["size", `${v.size} bytes`], ["created", when(v.created)], ["description", esc(v.description) || "-"], ["tags", Object.entries(v.tags || {}).map(([k, x]) => `<span class="pill">${esc(k)}=${esc(x)}</span>`).join("") || "-"], ["metrics", `<span class="mono">${Object.entries(v.metrics || {}).filter(([, x]) => typeof x === "number").map(([k, x]) => `${esc(k)}=${fmt(x)}`).join("  ") || "-"}</span>`]])}
    <h3>Environment</h3><div class="model-env" data-run="${esc(v.run_id)}"><span class="muted">reading the run's provenance…</span></div>
    ${table(["file", "sha256", ""], Object.entries(v.files).map(([f, sha]) => `<tr><td class="mono">${esc(f)}</td><td class="mono">${esc(sha)}</td><td><a class="download" href="${fileUrl(v, f, true)}" download>download</a></td></tr>`))}</section>`).join("")}${damaged}`;
  const result = document.getElementById("alias-result");
  const change = async payload => { try { await act(`/api/models/${encodeURIComponent(m.name)}/aliases`, payload); await pageModel(main, name); } catch (e) { result.textContent = e.message; result.className = "error"; } };
  document.getElementById("alias-form").onsubmit = ev => { ev.preventDefault(); const fd = new FormData(ev.target); change({ alias: fd.get("alias"), version: parseInt(fd.get("version"), 10) }); };
  main.querySelectorAll("button.remove-alias").forEach(b => (b.onclick = () => change({ alias: b.dataset.alias, version: null })));
  const drawDiff = () => {
    const a = versions.find(v => String(v.version) === document.getElementById("diff-a").value), b = versions.find(v => String(v.version) === document.getElementById("diff-b").value);
    document.getElementById("version-diff").innerHTML = table(["", `version ${a.version}`, `version ${b.version}`], diffRows(a, b), "version-diff");
  };
  if (versions.length > 1) { document.getElementById("diff-a").onchange = drawDiff; document.getElementById("diff-b").onchange = drawDiff; drawDiff(); }
  for (const el of main.querySelectorAll(".model-env")) {
    const run = await api(`/api/runs/${encodeURIComponent(el.dataset.run)}?history=0`).catch(() => null);
    const env = run && run.provenance && run.provenance.environment;
    const py = run && run.provenance && (run.provenance.python || run.provenance.python_version);
    el.innerHTML = env ? kv([["name", esc(env.name ? `${env.name}:${env.version}` : "(inline)")], ["hash", `<a class="mono" href="#/environments?hash=${esc(env.hash)}">${esc(env.hash)}</a>`], ["python", esc(env.python)], ["packages", `<details><summary>${(env.packages || []).length} package${(env.packages || []).length === 1 ? "" : "s"}</summary><pre class="mono wrap">${esc((env.packages || []).join("\n"))}</pre></details>`]])
      : run ? `<span class="muted">the run used the harness's own environment${py ? ` (Python ${esc(py)})` : ""}</span>` : `<span class="muted">the run is gone</span>`;
  }
}
