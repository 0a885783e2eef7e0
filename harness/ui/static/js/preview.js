// A file shown inside the page from the server's JSON preview: CSV/TSV as a table,
// JSON pretty, text with line numbers, images at any size (click: actual size),
// HTML only in a sandboxed frame (no scripts, no same origin), others to download.
import { api, esc, fmt } from "./util.js";

export async function showPreview(box, previewBase, path) {
  box.innerHTML = `<p class="muted">loading ${esc(path)}…</p>`;
  let p;
  try { p = await api(previewBase.includes("?") ? previewBase + encodeURIComponent(path) : `${previewBase}/${path.split("/").map(encodeURIComponent).join("/")}`); }
  catch (e) { box.innerHTML = `<p class="error">${esc(e.message)}</p>`; return; }
  const head = `<h2>${esc(p.name)} <span class="muted">${fmt(p.size)} bytes</span> <a href="${esc(p.download)}" download>download</a></h2>`;
  const more = p.truncated ? `<p class="muted">showing the start of the file</p>` : "";
  const of = `data-preview-of="${esc(path)}" data-kind="${esc(p.kind)}"`;
  let body;
  if (p.kind === "table") body = `<div class="table-wrap preview-scroll"><table class="preview-table" ${of}><thead><tr>${p.columns.map(c => `<th scope="col">${esc(c)}</th>`).join("")}</tr></thead><tbody>${p.rows.map(r => `<tr>${r.map(c => `<td>${esc(c)}</td>`).join("")}</tr>`).join("")}</tbody></table></div>`;
  else if (p.kind === "json") body = `<pre class="code preview-scroll" ${of}>${esc(p.text)}</pre>`;
  else if (p.kind === "text") body = `<ol class="lines preview-scroll" ${of}>${p.lines.map(l => `<li>${esc(l) || " "}</li>`).join("")}</ol>`;
  else if (p.kind === "image") body = `<div class="preview-scroll"><img class="preview-img" ${of} src="${esc(p.url)}" alt="${esc(p.name)}" title="click for actual size"></div>`;
  else if (p.kind === "html") body = `<p class="muted">HTML is shown sandboxed: no scripts, no access to this page.</p><iframe class="preview-frame" ${of} sandbox="" referrerpolicy="no-referrer" src="${esc(p.sandbox_url)}" title="${esc(p.name)} (sandboxed)"></iframe>`;
  else body = `<p ${of}>No preview for this kind of file: <a href="${esc(p.download)}" download>download it</a>.</p>`;
  box.innerHTML = head + more + body;
  const img = box.querySelector("img.preview-img");
  if (img) img.onclick = () => img.classList.toggle("actual");
  box.scrollIntoView({ block: "nearest" });
}
