// Services (harness models serve / Model.deploy): status, URL, models, requests, log.
import { act, api, esc, kv, session, status, table, when } from "./util.js";

function models(s) { return (s.models || []).map(m => `<a href="#/models/${encodeURIComponent(m.name)}">${esc(m.name)}:${esc(m.version)}</a>`).join(", "); }
function requests(s) { const r = s.requests || {}; return `${esc(r.requests ?? 0)}${r.errors ? ` <span class="error">(${esc(r.errors)} errors)</span>` : ""}`; }
const LIVE_STATES = ["Starting", "Healthy", "Unhealthy"];

// Redrawn every 2 s while the page is open (live holds the timer; app.js clears it).
function every(live, draw) { live.push(setInterval(() => { if (!live.closed) draw().catch(() => {}); }, 2000)); }

export async function pageServices(main, live) {
  const draw = async () => {
    const items = await api("/api/services");
    if (live.closed) return;
    const rows = items.map(s => s.status === "damaged"
      ? `<tr class="damaged"><td class="mono">${esc(s.name)}</td><td colspan="6">${status("Damaged")} ${esc(s.error)}</td></tr>`
      : `<tr data-service="${esc(s.name)}"><td><a href="#/services/${encodeURIComponent(s.name)}">${esc(s.name)}</a></td><td>${status(s.status)}</td><td class="mono">${esc(s.scoring_uri)}</td><td>${models(s)}</td><td class="num">${requests(s)}</td><td>${when(s.created)}</td><td>${esc(s.error || "")}</td></tr>`);
    main.innerHTML = `<h1>Services <span class="muted">(${items.length})</span></h1>` + (items.length
      ? table(["name", "status", "scoring URI", "models", "requests", "created", "error"], rows, "services")
      : `<p class="empty">No services. Start one with <code>harness models serve NAME</code>.</p>`);
  };
  await draw();
  every(live, draw);
}

export async function pageService(main, name, live) {
  const path = `/api/services/${encodeURIComponent(name)}`;
  const draw = async () => {
    const [s, logs] = await Promise.all([api(path), api(path + "/logs?tail=200")]);
    if (live.closed) return;
    const env = s.environment ? `${esc(s.environment.name || "(inline)")} <span class="mono">${esc(s.environment.hash)}</span>` : "the harness's own";
    const r = s.requests || {};
    const mean = r.mean_ms === null || r.mean_ms === undefined ? "-" : (+r.mean_ms).toFixed(2) + " ms";
    const recent = (r.recent || []).map(q => `<tr><td>${esc(new Date(q.time * 1000).toISOString().slice(11, 23))}</td><td>${esc(q.method)} ${esc(q.path)}</td><td class="num">${esc(q.status)}</td><td class="num">${(+q.ms).toFixed(2)}</td><td class="num">${esc(q.bytes)}</td></tr>`);
    const stop = LIVE_STATES.includes(s.status) ? `<button class="danger" id="stop" ${session.authenticated ? "" : "disabled title='needs the token'"}>Stop</button>` : "";
    main.innerHTML = `<h1>Service ${esc(s.name)} ${status(s.status)}</h1>
      ${s.error ? `<p class="error" id="service-error" role="alert">${esc(s.error)}</p>` : ""}
      <div class="actions">${stop}</div>
      <section class="card">${kv([
        ["scoring URI", `<span class="mono" id="scoring-uri">${esc(s.scoring_uri)}</span>`],
        ["MLflow clients", `<span class="mono">${esc(s.url)}invocations</span>`],
        ["models", models(s)],
        ["served by", s.entry_script ? `entry script <span class="mono">${esc(s.entry_script)}</span>` : `estimator ${esc(s.estimator)}`],
        ["environment", env], ["workers", esc(s.workers)], ["pid", esc(s.pid ?? "-")],
        ["key required", s.auth ? "yes" : "no"], ["created", when(s.created)],
        ["requests", `<span id="requests">${esc(r.requests ?? 0)}</span> (errors ${esc(r.errors ?? 0)}, mean ${esc(mean)})`],
      ])}</section>
      <h2>Recent requests</h2>${recent.length ? table(["time (UTC)", "request", "status", "ms", "bytes"], recent, "recent") : `<p class="muted">none yet</p>`}
      <h2>Log</h2><pre class="log" id="service-log">${esc(logs.text)}</pre>`;
    const button = document.getElementById("stop");
    if (button) button.onclick = async () => { button.disabled = true; try { await act(path + "/stop"); await draw(); } catch (e) { main.insertAdjacentHTML("afterbegin", `<p class="error" role="alert">${esc(e.message)}</p>`); } };
  };
  await draw();
  every(live, draw);
}
