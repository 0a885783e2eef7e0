// The dashboard: a hash-routed page per view (static/js/*.js, ES modules), fed by the
// JSON API (the CLI's JSON objects) and kept live by server-sent events. No framework.
import { pageCompare } from "./js/compare.js";
import { pageBench, pageBenchList, pageDatastore, pageDatastores, pageEnvironments } from "./js/misc.js";
import { pageModel, pageModels } from "./js/models.js";
import { pageRun } from "./js/run.js";
import { pageRuns } from "./js/runs.js";
import { pageService, pageServices } from "./js/services.js";
import { pageSweep, pageSweeps } from "./js/sweeps.js";
import { api, esc, session } from "./js/util.js";

const main = document.getElementById("main");
let live = [];  // EventSources and timers of the current page, closed on navigation

// Each route draws into a view of its own, put in <main> when the route starts: a page
// that is left before its data arrives draws into a view no longer in the document,
// whatever the page (a late answer never draws over the next page). Pages with live
// parts also check live.closed after each await, to stop their timers and streams.
function closeLive() { live.forEach(x => (x.close ? x.close() : clearInterval(x))); live.closed = true; live = []; }
function newView() {
  const view = document.createElement("div");
  view.className = "view";
  view.innerHTML = `<p class="muted">loading…</p>`;
  main.replaceChildren(view);
  return view;
}
function parseHash() {
  const h = location.hash.replace(/^#\/?/, "") || "runs";
  const [path, query] = h.split("?");
  return { parts: path.split("/").map(decodeURIComponent), query: new URLSearchParams(query || "") };
}

async function route() {
  closeLive();
  const { parts, query } = parseHash();
  const section = parts[0] === "compare" ? "runs" : parts[0];
  document.querySelectorAll("header nav a").forEach(a => { const on = a.dataset.nav === section; a.classList.toggle("active", on); if (on) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current"); });
  document.body.dataset.page = "";
  const view = newView();
  try {
    if (parts[0] === "runs" && parts[1]) await pageRun(view, parts[1], live);
    else if (parts[0] === "compare") await pageCompare(view, query, live);
    else if (parts[0] === "sweeps" && parts[1]) await pageSweep(view, parts[1], live);
    else if (parts[0] === "sweeps") await pageSweeps(view);
    else if (parts[0] === "models" && parts[1]) await pageModel(view, parts[1]);
    else if (parts[0] === "models") await pageModels(view);
    else if (parts[0] === "services" && parts[1]) await pageService(view, parts[1], live);
    else if (parts[0] === "services") await pageServices(view, live);
    else if (parts[0] === "datastores" && parts[1]) await pageDatastore(view, parts[1], query);
    else if (parts[0] === "datastores") await pageDatastores(view);
    else if (parts[0] === "environments") await pageEnvironments(view, query);
    else if (parts[0] === "bench" && parts[1]) await pageBench(view, parts[1]);
    else if (parts[0] === "bench") await pageBenchList(view);
    else await pageRuns(view, query, live);
    if (!view.isConnected) return;  // left for another page meanwhile
    document.body.dataset.page = parts[0] + (parts[1] ? "-detail" : "");
    document.title = `harness · ${parts[0]}${parts[1] ? " " + parts[1] : ""}`;
  } catch (e) {
    if (!view.isConnected) return;
    view.innerHTML = `<p class="error" role="alert">${esc(e.message || e)}</p>`; document.body.dataset.page = "error";
  }
}

(async () => {
  try { Object.assign(session, await api("/api/session")); } catch (e) { session.authenticated = false; }
  document.getElementById("session").textContent = (session.home || "") + (session.authenticated ? "" : " · read-only");
  window.addEventListener("hashchange", route);
  route();
})();
