// captioner web app: plain JS over the /v1 API (no build step). The API key lives in this browser's localStorage and
// goes out as `Authorization: Bearer`; outputs are fetched with it and shown from blob: URLs (a <video src> cannot
// carry the header). State for tests and screenshots is mirrored in data-* attributes on <body>.
"use strict";

const $ = (sel) => document.querySelector(sel);
const state = { key: localStorage.getItem("captioner.key") || "", preset: "karaoke", presets: [], job: null, timer: null,
  blobs: [] };

function headers(extra) {
  return Object.assign({ Authorization: "Bearer " + state.key }, extra || {});
}

async function api(path, opts) {
  const r = await fetch(path, Object.assign({}, opts, { headers: headers((opts || {}).headers) }));
  if (r.status === 429) {  // rate limited: wait as told, then try again
    const wait = Number(r.headers.get("Retry-After") || "1");
    await new Promise((ok) => setTimeout(ok, wait * 1000));
    return api(path, opts);
  }
  let body = null;
  const type = r.headers.get("content-type") || "";
  if (type.startsWith("application/json")) body = await r.json();
  if (!r.ok) {
    const msg = body && body.error ? body.error.message : r.status + " " + r.statusText;
    const err = new Error(msg);
    err.status = r.status;
    throw err;
  }
  return body;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c && c.nodeType ? c : document.createTextNode(c == null ? "" : String(c)));
  return e;
}

// -- account ------------------------------------------------------------------------------------------------
async function connect() {
  if (!state.key) return;
  try {
    const a = await api("/v1/account");
    $("#account-name").textContent = a.account;
    $("#balance").textContent = a.available_credits;
    $("#account").hidden = false;
    $("#key-form").hidden = true;
    document.body.dataset.account = a.account;
    $("#submit").disabled = false;
    await history();
  } catch (e) {
    $("#form-error").textContent = "API key refused: " + e.message;
    $("#form-error").hidden = false;
  }
}

async function history() {
  const rows = (await api("/v1/jobs?limit=15")).data;
  const body = $("#history-rows");
  body.replaceChildren(...rows.map((j) => el("tr", { "data-job": j.id, onclick: () => follow(j.id) },
    el("td", {}, new Date(j.created_at * 1000).toLocaleString()), el("td", {}, j.client_reference || j.id),
    el("td", {}, j.preset), el("td", { class: "state " + j.state }, j.state), el("td", {}, j.price_credits))));
}

// -- presets ------------------------------------------------------------------------------------------------
async function loadPresets() {
  const data = (await (await fetch("/v1/presets")).json()).data;
  state.presets = data;
  const box = $("#presets");
  box.replaceChildren(...data.map((p) => el("button", {
    type: "button", class: "tile", role: "radio", "aria-checked": String(p.name === state.preset), "data-preset": p.name,
    title: p.description, onclick: () => pick(p.name),
  }, el("img", { "data-src": p.preview, alt: p.name + " preview", width: "90", height: "160" }),
  el("span", {}, p.name), el("small", {}, p.credits ? p.credits + " cr" : "free"))));
  pick(state.preset);
  loadPreviews([...box.querySelectorAll("img[data-src]")]);
}

// Previews are rendered by the server on first request (~1–2 s each, then cached): load them one at a time, so the
// browser's few connections to this host stay free for the upload and the progress polls.
function loadPreviews(imgs) {
  const next = () => {
    const img = imgs.shift();
    if (!img) { document.body.dataset.previews = "loaded"; return; }
    img.addEventListener("load", next, { once: true });
    img.addEventListener("error", next, { once: true });
    img.src = img.dataset.src;
  };
  next();
}

function pick(name) {
  state.preset = name;
  for (const t of document.querySelectorAll(".tile")) t.setAttribute("aria-checked", String(t.dataset.preset === name));
  const p = state.presets.find((x) => x.name === name);
  $("#price").textContent = p ? `— ${name}, ${p.tier}, ${p.credits ? p.credits + " credits" : "free"}` : "";
  document.body.dataset.preset = name;
}

// -- a job --------------------------------------------------------------------------------------------------
async function submit(ev) {
  ev.preventDefault();
  $("#form-error").hidden = true;
  const file = $("#video").files[0];
  if (!file) return;
  const form = new FormData();
  form.append("video", file);
  form.append("script", $("#script").value);
  form.append("language", $("#language").value);
  form.append("preset", state.preset);
  form.append("client_reference", file.name.slice(0, 120));
  $("#submit").disabled = true;
  try {
    const job = await api("/v1/jobs", { method: "POST", body: form, headers: { "Idempotency-Key": crypto.randomUUID() } });
    follow(job.id);
  } catch (e) {
    $("#form-error").textContent = e.message;
    $("#form-error").hidden = false;
  } finally {
    $("#submit").disabled = false;
  }
}

function follow(id) {
  clearTimeout(state.timer);
  for (const u of state.blobs) URL.revokeObjectURL(u);
  state.blobs = [];
  state.job = id;
  $("#job").hidden = false;
  $("#result").hidden = true;
  $("#job-error").hidden = true;
  $("#job-id").textContent = id;
  poll();
}

async function poll() {
  const id = state.job;
  let j;
  try {
    j = await api("/v1/jobs/" + id);
  } catch (e) {
    $("#job-error").textContent = e.message;
    $("#job-error").hidden = false;
    return;
  }
  if (id !== state.job) return;
  document.body.dataset.jobState = j.state;
  document.body.dataset.jobId = j.id;
  $("#job-state").textContent = j.state;
  $("#job-state").className = "state " + j.state;
  $("#bar-fill").style.width = j.progress.percent + "%";
  $(".bar").setAttribute("aria-valuenow", j.progress.percent);
  $("#stages").replaceChildren(...j.progress.stages.map((s) =>
    el("li", { class: s.state, "data-stage": s.name }, s.name + (s.seconds != null ? ` ${s.seconds.toFixed(1)} s` : ""))));
  $("#cancel").hidden = !["queued", "running"].includes(j.state);
  if (j.state === "queued" || j.state === "running") {
    state.timer = setTimeout(poll, 700);
    return;
  }
  if (j.error) {
    $("#job-error").textContent = j.error.message;
    $("#job-error").hidden = false;
  }
  if (j.state === "done") await showResult(j);
  connect();
}

async function blobUrl(path) {
  const r = await fetch(path, { headers: headers() });
  if (!r.ok) throw new Error("download failed: " + r.status);
  const u = URL.createObjectURL(await r.blob());
  state.blobs.push(u);
  return u;
}

async function showResult(j) {
  const findings = j.findings || [];
  $("#findings").replaceChildren(...(findings.length ? findings.map((f) => el("li", { class: f.severity, "data-kind": f.kind },
    el("b", {}, f.severity), f.message)) : [el("li", { class: "info" }, "No findings.")]));
  document.body.dataset.findings = String(findings.length);
  const r = j.receipt || {};
  $("#receipt").textContent = `Receipt: ${r.preset} (${r.tier}) — ${r.credits} credits${r.charged ? ", charged to " + r.account : ""}`;
  const names = { mp4: "Video (MP4)", srt: "SRT", vtt: "WebVTT", ass: "ASS", json: "JSON", qa: "QA report" };
  const links = [];
  for (const [kind, path] of Object.entries(j.outputs)) {
    const a = el("a", { href: "#", "data-kind": kind }, names[kind] || kind);
    a.addEventListener("click", async (ev) => {
      ev.preventDefault();
      const u = await blobUrl(path + "?download=true");
      const dl = el("a", { href: u, download: `${j.client_reference || j.id}.${kind === "qa" ? "md" : kind}` });
      document.body.append(dl); dl.click(); dl.remove();
    });
    links.push(a);
  }
  $("#downloads").replaceChildren(...links);
  $("#result").hidden = false;
  const video = $("#player");
  video.src = await blobUrl(j.outputs.mp4);
  video.addEventListener("playing", () => { document.body.dataset.playing = "true"; }, { once: true });
  video.play().catch(() => {});
  const qa = await fetch(j.outputs.qa, { headers: headers() });
  $("#qa-text").textContent = qa.ok ? await qa.text() : "";
}

async function cancel() {
  if (!state.job) return;
  try { await api("/v1/jobs/" + state.job, { method: "DELETE" }); } catch (e) { /* already finished */ }
}

// -- start --------------------------------------------------------------------------------------------------
$("#key-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  state.key = $("#api-key").value.trim();
  localStorage.setItem("captioner.key", state.key);
  connect();
});
$("#job-form").addEventListener("submit", submit);
$("#cancel").addEventListener("click", cancel);
loadPresets().then(connect);
