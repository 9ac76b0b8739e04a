// The mock's dashboard: plain JS over the admin API (/__mock/*, see /__mock/openapi.json).
// No build step, no dependencies. Polls the journal incrementally (?since=SEQ).
"use strict";

// Opened under a namespace (/__ns/NAME/__mock/), it reads and changes only that namespace.
const API = location.pathname.replace(/\/__mock(\/.*)?$/, "") + "/__mock/";
const JOURNAL_POLL_MS = 250;
const SLOW_POLL_MS = 1500;
const $ = (sel) => document.querySelector(sel);

const state = {
  lastSeq: 0, entries: new Map(), keys: new Set(), selected: null,
  config: null, scenarios: {}, tab: "journal", jobsDirty: true, galleryKeys: "",
  settingsDirty: false, online: null,
};

function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

async function api(method, path, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (method !== "GET") {  // the admin API takes writes as JSON only (no cross-site forms)
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body ?? {});
  }
  const response = await fetch(API + path, init);
  const data = await response.json();
  if (!response.ok) throw new Error(typeof data.message === "string" ? data.message : JSON.stringify(data.message));
  return data;
}

function toast(text, bad) {
  const el = $("#toast");
  el.textContent = text;
  el.className = bad ? "toast bad" : "toast";
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 2500);
}

function setOnline(ok) {
  if (state.online === ok) return;
  state.online = ok;
  const el = $("#live");
  el.textContent = ok ? "● live" : "● disconnected";
  el.className = ok ? "live on" : "live off";
}

function clock(seconds) {
  const d = new Date(seconds * 1000);
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

// ---- journal -------------------------------------------------------------------------

function outcomeClass(entry) {
  const o = entry.outcome || "";
  if (entry.kind === "webhook") return o === "delivered" ? "hook" : "bad";
  if (o === "success") return "ok";
  if (o === "processing") return "wait";
  return "bad";
}

function rowHtml(e) {
  const cls = outcomeClass(e);
  const hook = e.kind === "webhook";
  const path = hook ? (e.url || "") : (e.path || "");
  const status = e.status ?? "";
  const latency = e.latency_ms === undefined ? "" : `${e.latency_ms.toFixed(1)} ms`;
  return `<tr data-seq="${e.seq}" data-cls="${cls}" data-key="${esc(e.key || "")}" data-path="${esc(path.toLowerCase())}">` +
    `<td class="muted">${e.seq}</td><td class="mono muted">${e.time ? clock(e.time) : ""}</td>` +
    `<td>${hook ? "WEBHOOK" : esc(e.method || "")}</td><td class="mono path">${esc(path)}</td>` +
    `<td><span class="badge ${cls}">${esc(status)} ${esc(e.outcome || "")}</span></td>` +
    `<td class="mono muted">${esc(e.key || "")}</td><td class="mono">${esc(e.prefer || "")}</td>` +
    `<td class="num muted">${latency}</td></tr>`;
}

function visible(row) {
  const path = $("#filter-path").value.trim().toLowerCase();
  const status = $("#filter-status").value;
  const key = $("#filter-key").value;
  const cls = row.dataset.cls;
  if (path && !row.dataset.path.includes(path)) return false;
  if (key && row.dataset.key !== key) return false;
  if (status === "ok" && !(cls === "ok" || cls === "wait")) return false;
  if (status === "error" && cls !== "bad") return false;
  if (status === "webhook" && cls !== "hook" && !state.entries.get(+row.dataset.seq)?.url) return false;
  return true;
}

function applyFilters(rows) {
  for (const row of rows) row.hidden = !visible(row);
  const body = $("#journal tbody");
  const shown = body.querySelectorAll("tr:not([hidden])").length;
  $("#shown").textContent = shown === state.entries.size ? "" : `${shown} of ${state.entries.size} shown`;
}

function addEntries(entries) {
  if (!entries.length) return;
  let keysChanged = false;
  for (const e of entries) {
    state.entries.set(e.seq, e);
    state.lastSeq = Math.max(state.lastSeq, e.seq);
    if (e.key && !state.keys.has(e.key)) { state.keys.add(e.key); keysChanged = true; }
  }
  const body = $("#journal tbody");
  const html = entries.slice().reverse().map(rowHtml).join("");
  body.insertAdjacentHTML("afterbegin", html);
  while (body.rows.length > 1000) body.deleteRow(-1);
  for (const row of body.rows) if (!state.entries.has(+row.dataset.seq)) row.remove();
  if (keysChanged) {
    const select = $("#filter-key");
    const current = select.value;
    select.innerHTML = '<option value="">any key</option>' +
      [...state.keys].sort().map((k) => `<option>${esc(k)}</option>`).join("");
    select.value = current;
  }
  applyFilters(Array.from(body.rows).slice(0, entries.length));
  $("#count-journal").textContent = state.entries.size;
  $("#journal-empty").hidden = state.entries.size > 0;
  state.jobsDirty = true;
  document.documentElement.dataset.journalRendered ||= String(performance.now());
}

function clearJournalView() {
  state.entries.clear(); state.keys.clear(); state.lastSeq = 0; state.selected = null;
  $("#journal tbody").innerHTML = "";
  $("#count-journal").textContent = "0";
  $("#journal-empty").hidden = false;
  $("#detail").innerHTML = '<p class="muted">Select a request to see its bodies (keys are redacted).</p>';
}

async function pollJournal() {
  try {
    const page = await api("GET", `journal?since=${state.lastSeq}&limit=1000`);
    if (page.last_seq < state.lastSeq) {  // cleared or reset elsewhere: start over
      clearJournalView();
    } else {
      addEntries(page.entries);
    }
    setOnline(true);
  } catch (err) {
    setOnline(false);
  }
  setTimeout(pollJournal, document.hidden ? SLOW_POLL_MS : JOURNAL_POLL_MS);
}

function pretty(value) {
  if (value === undefined) return "(none)";
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

function showDetail(seq) {
  const e = state.entries.get(seq);
  if (!e) return;
  state.selected = seq;
  for (const row of document.querySelectorAll("#journal tr.selected")) row.classList.remove("selected");
  document.querySelector(`#journal tr[data-seq="${seq}"]`)?.classList.add("selected");
  const facts = [["outcome", e.outcome], ["HTTP status", e.status], ["key", e.key],
    ["Prefer", e.prefer], ["job", e.job], ["rules", e.rules && e.rules.join(", ")],
    ["latency", e.latency_ms === undefined ? undefined : `${e.latency_ms} ms`],
    ["attempts", e.attempts], ["reason", e.reason || e.error]]
    .filter(([, v]) => v !== undefined && v !== null && v !== "");
  const panel = $("#detail");
  panel.innerHTML = `<h3>#${e.seq} ${esc(e.kind === "webhook" ? "webhook" : e.method)} <span class="mono">${esc(e.path || e.url || "")}</span></h3>` +
    `<dl>${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl>` +
    '<h4>Request body</h4><pre class="req"></pre><h4>Response body</h4><pre class="res"></pre>';
  panel.querySelector(".req").textContent = pretty(e.body);
  panel.querySelector(".res").textContent = pretty(e.response);
}

// ---- configuration, scenarios, settings ------------------------------------------------

const SETTINGS = [
  ["queue", "select", "Queue", ["never", "always", "workload"]],
  ["eta", "number", "ETA of a queued job (s)"],
  ["latency", "text", "Latency (ms, uniform:50-200, normal:100,30)"],
  ["failure_rate", "number", "Failure rate (0 to 1)"],
  ["error_mode", "select", "Error mode", ["legacy", "http"]],
  ["rate_limit", "number", "Rate limit (per key per minute; empty: none)"],
  ["quirks", "checkbox", "Real API quirks (messege, output \"\", string ids)"],
  ["seed", "number", "Seed"],
  ["max_jobs", "number", "Most jobs kept"],
  ["job_ttl", "number", "Seconds a job is kept"],
  ["max_body_bytes", "number", "Largest request body (bytes)"],
  ["webhook_hosts", "text", "Webhook hosts (comma-separated)"],
  ["origin", "text", "Origin of links (empty: each request's Host)"],
  ["accepted_keys", "readonly", "Accepted keys"],
  ["store", "readonly", "Job store"],
];
const NULLABLE = new Set(["rate_limit", "latency", "origin"]);

function presetActive(changes) {
  const names = Object.keys(changes);
  return names.length > 0 && state.config && names.every((k) => state.config[k] === changes[k]);
}

function renderScenarios() {
  const box = $("#presets");
  if (!box.children.length) {
    box.innerHTML = Object.entries(state.scenarios).map(([name, changes]) =>
      `<button type="button" class="preset" data-scenario="${esc(name)}" title="${esc(
        Object.keys(changes).length ? JSON.stringify(changes) : "the starting settings")}">${esc(name)}</button>`).join("");
  }
  for (const button of box.children) {
    const active = presetActive(state.scenarios[button.dataset.scenario] || {});
    button.classList.toggle("active", active);
    button.setAttribute("aria-pressed", String(active));
  }
  const c = state.config;
  if (!c) return;
  $("#summary").textContent = `queue ${c.queue} (eta ${c.eta}s) · latency ${c.latency ?? "none"} · ` +
    `failure rate ${c.failure_rate} · errors ${c.error_mode} · rate limit ${c.rate_limit ?? "none"} · ` +
    `quirks ${c.quirks ? "on" : "off"}`;
}

function renderSettings() {
  const form = $("#settings");
  const c = state.config;
  if (!c) return;
  if (!form.children.length) {
    form.innerHTML = SETTINGS.map(([name, type, label, options]) => {
      let input;
      if (type === "select") input = `<select name="${name}">${options.map((o) => `<option>${o}</option>`).join("")}</select>`;
      else if (type === "checkbox") input = `<input type="checkbox" name="${name}">`;
      else if (type === "readonly") input = `<output name="${name}"></output>`;
      else input = `<input type="${type}" name="${name}" ${type === "number" ? 'step="any"' : ""}>`;
      return `<label><span>${esc(label)}</span>${input}</label>`;
    }).join("") + '<div class="actions"><button type="submit">Apply changes</button>' +
      '<button type="button" id="revert" class="quiet">Discard edits</button><span id="settings-msg" class="muted"></span></div>';
    form.addEventListener("input", () => { state.settingsDirty = true; });
    form.addEventListener("submit", (ev) => { ev.preventDefault(); saveSettings(); });
    $("#revert").addEventListener("click", () => { state.settingsDirty = false; renderSettings(); });
  }
  if (state.settingsDirty) return;
  for (const [name, type] of SETTINGS) {
    const el = form.elements[name];
    const value = c[name];
    if (type === "checkbox") el.checked = Boolean(value);
    else if (type === "readonly") el.value = value ?? "any non-empty key";
    else el.value = Array.isArray(value) ? value.join(", ") : (value ?? "");
  }
}

function formValue(name, type, el) {
  if (type === "checkbox") return el.checked;
  const raw = el.value.trim();
  if (name === "webhook_hosts") return raw.split(/[\s,]+/).filter(Boolean);
  if (raw === "" && NULLABLE.has(name)) return null;
  if (type === "number") return Number(raw);
  return raw;
}

async function saveSettings() {
  const form = $("#settings");
  const changes = {};
  for (const [name, type] of SETTINGS) {
    if (type === "readonly") continue;
    const value = formValue(name, type, form.elements[name]);
    if (JSON.stringify(value) !== JSON.stringify(state.config[name])) changes[name] = value;
  }
  const msg = $("#settings-msg");
  try {
    state.config = await api("PATCH", "config", changes);
    state.settingsDirty = false;
    msg.textContent = Object.keys(changes).length ? `applied: ${Object.keys(changes).join(", ")}` : "nothing changed";
    msg.className = "muted";
    renderScenarios(); renderSettings();
  } catch (err) {
    msg.textContent = err.message;
    msg.className = "bad-text";
  }
}

async function applyScenario(name) {
  try {
    const answer = await api("POST", `scenarios/${encodeURIComponent(name)}`);
    state.config = answer.config;
    state.settingsDirty = false;
    renderScenarios(); renderSettings();
    toast(`Scenario ${name} applied`);
  } catch (err) { toast(err.message, true); }
}

async function refreshStatus() {
  try {
    const [health, config] = await Promise.all([api("GET", "health"), api("GET", "config")]);
    $("#stats").textContent = `${health.jobs} jobs · ${health.journal} journal entries · ${health.images_cached} images rendered`;
    state.config = config;
    renderScenarios(); renderSettings();
  } catch (err) { setOnline(false); }
}

async function pollStatus() {
  await refreshStatus();
  setTimeout(pollStatus, SLOW_POLL_MS);
}

// ---- jobs and gallery ----------------------------------------------------------------

function jobRow(j) {
  const open = j.state === "queued" || j.state === "due";
  const due = j.state === "queued" ? `${j.remaining.toFixed(1)} s` : (j.state === "due" ? "now" : "—");
  return `<tr data-job="${j.id}" data-state="${j.state}"><td class="mono">${j.id}</td>` +
    `<td><span class="badge st-${j.state}">${j.state}</span>${j.message ? ` <span class="muted">${esc(j.message)}</span>` : ""}</td>` +
    `<td class="prompt" title="${esc(j.prompt)}">${esc(j.prompt)}</td><td>${j.width}×${j.height}${j.upscale > 1 ? ` ×${j.upscale}` : ""} · ${j.samples}</td>` +
    `<td class="mono">${j.seed}</td><td class="mono muted">${clock(j.created)}</td><td class="num">${due}</td>` +
    `<td class="mono muted">${esc(j.webhook || "")}</td>` +
    `<td class="actions">${open ? `<button type="button" data-action="finish">Finish now</button>` +
      `<button type="button" data-action="fail" class="danger">Fail now</button>` : ""}</td></tr>`;
}

async function refreshJobs() {
  try {
    const data = await api("GET", "jobs");
    $("#jobs tbody").innerHTML = data.jobs.map(jobRow).join("");
    $("#jobs-empty").hidden = data.jobs.length > 0;
    $("#count-jobs").textContent = data.jobs.length;
    $("#job-counts").innerHTML = Object.entries(data.counts).map(([k, n]) =>
      `<span class="badge st-${k}">${n} ${k}</span>`).join(" ");
  } catch (err) { setOnline(false); }
}

async function refreshGallery() {
  try {
    const data = await api("GET", "images");
    $("#count-gallery").textContent = data.images.length;
    $("#gallery-empty").hidden = data.images.length > 0;
    const keys = data.images.map((i) => `${i.job}-${i.index}`).join(",");
    if (keys === state.galleryKeys) return;
    state.galleryKeys = keys;
    $("#gallery").innerHTML = data.images.map((i) => `<figure class="card" data-job="${i.job}">` +
      (i.base64 ? `<a class="b64" href="${esc(i.url)}" target="_blank" rel="noopener">base64 output</a>`
        : `<a href="${esc(i.url)}" target="_blank" rel="noopener"><img src="${esc(i.url)}" alt="${esc(i.prompt)}" loading="lazy"></a>`) +
      `<figcaption><div class="prompt" title="${esc(i.prompt)}">${esc(i.prompt)}</div>` +
      `<div class="muted mono">seed ${i.seed} · ${i.width}×${i.height} · job ${i.job} #${i.index}</div></figcaption></figure>`).join("");
  } catch (err) { setOnline(false); }
}

async function endJob(id, action) {
  try {
    await api("POST", `jobs/${id}/${action}`);
    toast(`Job ${id} ${action === "fail" ? "failed" : "finished"}`);
  } catch (err) { toast(err.message, true); }
  await refreshJobs();
}

async function pollViews() {
  if (state.tab === "jobs") await refreshJobs();
  else if (state.jobsDirty) {
    state.jobsDirty = false;
    await Promise.all([refreshJobs(), refreshGallery(), refreshStatus()]);
  }
  if (state.tab === "gallery") await refreshGallery();
  setTimeout(pollViews, 500);  // cheap on the journal tab: only after new entries
}

// ---- tabs and events -----------------------------------------------------------------

function showTab(name) {
  if (!["journal", "jobs", "gallery", "settings"].includes(name)) name = "journal";
  state.tab = name;
  for (const section of document.querySelectorAll(".tab")) section.hidden = section.id !== `tab-${name}`;
  for (const link of document.querySelectorAll(".tabs a")) link.setAttribute("aria-selected", String(link.dataset.tab === name));
  if (name === "jobs") refreshJobs();
  if (name === "gallery") refreshGallery();
}

function wire() {
  $("#origin").textContent = location.host;
  window.addEventListener("hashchange", () => showTab(location.hash.slice(1)));
  for (const id of ["#filter-path", "#filter-status", "#filter-key"]) {
    $(id).addEventListener("input", () => applyFilters($("#journal tbody").rows));
  }
  $("#journal tbody").addEventListener("click", (ev) => {
    const row = ev.target.closest("tr");
    if (row) showDetail(+row.dataset.seq);
  });
  $("#presets").addEventListener("click", (ev) => {
    const button = ev.target.closest("button[data-scenario]");
    if (button) applyScenario(button.dataset.scenario);
  });
  $("#jobs tbody").addEventListener("click", (ev) => {
    const button = ev.target.closest("button[data-action]");
    if (button) { button.disabled = true; endJob(button.closest("tr").dataset.job, button.dataset.action); }
  });
  $("#reset").addEventListener("click", async () => {
    try { await api("POST", "reset"); clearJournalView(); toast("Mock reset"); } catch (err) { toast(err.message, true); }
  });
  $("#clear-journal").addEventListener("click", async () => {
    try { await api("DELETE", "journal"); clearJournalView(); } catch (err) { toast(err.message, true); }
  });
}

async function start() {
  wire();
  const scenarios = api("GET", "scenarios");
  await pollJournal();  // the journal first: it is what a person looks at (and the largest)
  try { state.scenarios = (await scenarios).scenarios; } catch (err) { setOnline(false); }
  showTab(location.hash.slice(1));
  pollStatus();
  pollViews();
}

start();
