// Small helpers every page uses: escaping, number and time formats, the API.
export const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be185d", "#4d7c0f", "#7c3aed", "#b45309"];
export const LIVE = ["Running", "Queued"];
export const session = { authenticated: false, csrf: null, home: "" };

export function esc(v) { return String(v ?? "").replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]); }
export function fmt(v) {
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : String(+v.toPrecision(4));
  }
  if (v === null || v === undefined) return "-";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}
export function when(t) { return t ? esc(String(t).slice(0, 19).replace("T", " ")) : "-"; }
export function dur(s) {
  if (s === null || s === undefined) return "-";
  if (s < 60) return s.toFixed(1) + "s";
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${Math.round(s % 60)}s` : `${Math.floor(m / 60)}h${m % 60}m`;
}
// Seconds since an ISO time (a running run's duration, ticking on the page).
export function since(iso) { return iso ? Math.max(0, (Date.now() - Date.parse(iso)) / 1000) : null; }
export function status(s) { return `<span class="status ${esc(s)}">${esc(s)}</span>`; }
export function runLink(id) { return id ? `<a class="mono" href="#/runs/${encodeURIComponent(id)}">${esc(id)}</a>` : "-"; }
export function pill(text) { return `<span class="pill">${esc(text)}</span>`; }
export function kv(pairs) { return `<dl class="kv">${pairs.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("")}</dl>`; }
export function table(headers, rows, cls = "", caption = "") {
  return `<div class="table-wrap"><table class="${cls}">${caption ? `<caption>${caption}</caption>` : ""}<thead><tr>${headers.map(h => `<th scope="col">${h}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}
export function flatten(obj, prefix = "", out = {}) {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj) || !Object.keys(obj).length) { out[prefix] = obj; return out; }
  for (const [k, v] of Object.entries(obj)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  return out;
}
export function debounce(fn, ms) { let t = null; return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); }; }
// Which way is better for a metric: its name says (loss, error, time… go down).
export function goalOf(name) { return /loss|err|rmse|mae|mse|time|_s$|latency|perplexity|cost/i.test(name) ? "min" : "max"; }
export function fileUrl(base, path, extra = "") { return `${base}/${path.split("/").map(encodeURIComponent).join("/")}${extra}`; }

export async function api(path, opts = {}) {
  const res = await fetch(path, opts);
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) throw new Error((body && body.error) || `${res.status} ${res.statusText}`);
  return body;
}
export async function act(path, payload) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": session.csrf || "" }, body: JSON.stringify(payload || {}) });
}
export function readOnlyNotice() {
  return session.authenticated ? "" : `<p class="notice">Read-only view: open the URL with <code>?token=…</code> that <code>harness ui</code> printed to cancel, tag, rerun or register.</p>`;
}
// The hash's query, changed without a new history entry and without re-routing.
export function setQuery(page, q) {
  const text = q.toString();
  history.replaceState(null, "", `#/${page}${text ? "?" + text : ""}`);
}
