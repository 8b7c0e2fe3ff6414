// The operator dashboard's core: plain JS, no build step, nothing from the internet. Each view is a file in views/
// that calls registerView({...}); the server adds a script tag per file, so a view is added without editing this one.
//
// A view: { id, title, order, render(container, arg, query), tick?() every 1.5 s while shown, refresh?: true to
// re-render on each tick }. Navigation is sorted by order: 10 resources, 20 console, 30 structured logs, 40 traces,
// 50 metrics, 60 regions (the lead's views/regions.js), 70 incidents, 80 queues, 90 subject requests,
// 100 retention, 110 notices.
"use strict";

const views = [];
const state = { authenticated: false, resources: [] };

function registerView(view) {
  views.push(view);
  views.sort((a, b) => (a.order ?? 999) - (b.order ?? 999));
}

/**
 * A view of data polled from the server: a toolbar (heading and note) over a body that `show(body)` fills. It runs on
 * entering the view and again every `every` ms while the view is shown and `ready()` allows; an error replaces the
 * body's content with its message. Returns the loader, for views that reload after a command.
 */
function registerPollingView({ id, title, order, heading, note, bodyClass, every = 5000, ready = () => true, show }) {
  let body = null;
  let last = 0;
  async function load() {
    if (!body) return;
    last = Date.now();
    const target = body;
    try {
      await show(target);
    } catch (e) {
      target.replaceChildren(el("p", { class: "error" }, e.message));
    }
  }

  registerView({
    id, title, order,
    leave() { body = null; },
    render(container) {
      body = el("div", bodyClass ? { class: bodyClass } : {});
      container.replaceChildren(el("div", { class: "toolbar" }, el("h1", {}, heading), note ? el("span", { class: "muted" }, note) : null), body);
      load();
    },
    tick() { if (body && ready() && Date.now() - last > every) load(); },
  });
  return load;
}

function el(tag, attrs = {}, ...children) {
  const svg = ["svg", "path", "line", "rect", "text", "g", "polyline", "circle", "title"].includes(tag);
  const node = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.setAttribute("class", v);
    else if (k === "style") Object.assign(node.style, v); // CSSOM: allowed by the page's CSP, unlike style="..."
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", ...options });
  if (response.status === 401) { showLogin(); throw new Error("login required"); }
  return response;
}

/** GET a JSON API; throws with the problem's detail on an error answer. */
async function getJson(path) {
  const response = await api(path);
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new Error(problem.detail || `${path} answered ${response.status}`);
  }
  return response.json();
}

function setStatus(text) { document.getElementById("status").textContent = text; }

function showLogin() {
  state.authenticated = false;
  document.getElementById("login").hidden = false;
}

async function checkSession() {
  const response = await fetch("/api/session", { credentials: "same-origin" });
  state.authenticated = response.status === 204;
  document.getElementById("login").hidden = state.authenticated;
}

document.getElementById("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const token = document.getElementById("token").value.trim();
  const response = await fetch("/api/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token }) });
  if (response.status === 204) {
    document.getElementById("token").value = "";
    document.getElementById("login-error").textContent = "";
    await checkSession();
    route();
  } else {
    const problem = await response.json().catch(() => ({}));
    document.getElementById("login-error").textContent = problem.detail || "Login failed.";
  }
});

async function refreshResources() {
  try {
    const response = await api("/api/resources");
    state.resources = await response.json();
    const healthy = state.resources.filter(r => r.state === "Running" && r.health === "Healthy").length;
    setStatus(`${healthy}/${state.resources.length} healthy · ${new Date().toLocaleTimeString()}`);
  } catch (e) {
    setStatus("AppHost not reachable");
  }
}

// ---- helpers the views share ----

function since(iso) {
  if (!iso) return "";
  const seconds = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  return `${new Date(iso).toLocaleTimeString()} (${duration(seconds)})`;
}

/** 75 -> "1 min 15 s"; 90000 -> "1 d 1 h". */
function duration(seconds) {
  const s = Math.abs(Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** A countdown to the second, so that it visibly runs: "3 h 07 min 09 s", "2 d 3 h 07 min 09 s". */
function clockText(seconds) {
  const s = Math.abs(Math.floor(seconds));
  const pad = n => String(n).padStart(2, "0");
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return `${d ? `${d} d ` : ""}${h} h ${pad(m)} min ${pad(s % 60)} s`;
}

function ms(value) { return value < 1 ? `${value.toFixed(2)} ms` : value < 1000 ? `${value.toFixed(1)} ms` : `${(value / 1000).toFixed(2)} s`; }

/** A stable colour per resource, so a service looks the same in every view. */
function colorOf(name) {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${h % 360} 55% 45%)`;
}

function resourceBadge(name) { return el("span", { class: "rbadge", style: { borderColor: colorOf(name), color: colorOf(name) } }, name); }

function resourceSelect(selected, onchange, { any = "All resources", projectsOnly = false } = {}) {
  const names = state.resources.filter(r => !projectsOnly || r.type === "Project").map(r => r.name);
  return el("select", { "aria-label": "Resource", onchange: e => onchange(e.target.value) },
    any ? el("option", { value: "" }, any) : null,
    names.map(n => el("option", { value: n, selected: n === selected }, n)));
}

/** Elements with data-until (an ISO time) show a live countdown to it, refreshed every second. */
function countdown(untilIso, { overdueText = "overdue by" } = {}) {
  const node = el("span", { class: "countdown", "data-until": untilIso, "data-overdue": overdueText });
  showCountdown(node);
  return node;
}

function showCountdown(node) {
  const left = (new Date(node.dataset.until).getTime() - Date.now()) / 1000;
  node.textContent = left >= 0 ? clockText(left) : `${node.dataset.overdue} ${clockText(-left)}`;
  node.classList.toggle("overdue", left < 0);
  node.classList.toggle("soon", left >= 0 && left < 6 * 3600);
}

function tickCountdowns() {
  for (const node of document.querySelectorAll("[data-until]")) showCountdown(node);
  for (const node of document.querySelectorAll("[data-since]")) {
    node.textContent = duration((Date.now() - new Date(node.dataset.since).getTime()) / 1000);
  }
}

/** Pause/resume and clear of the telemetry window, shown on the telemetry views. */
function telemetryControls(onChange) {
  const pause = el("button", { class: "pause" }, "Pause");
  const info = el("span", { class: "muted" });
  async function post(verb) {
    const response = await api(`/api/telemetry/${verb}`, { method: "POST" });
    show(await response.json());
    onChange && onChange();
  }
  function show(t) {
    pause.textContent = t.paused ? "Resume" : "Pause";
    pause.classList.toggle("active", t.paused);
    pause.onclick = () => post(t.paused ? "resume" : "pause");
    info.textContent = `${t.spans} spans · ${t.logs} logs · ${t.metricPoints} points${t.paused ? " · paused" : ""}`;
  }
  getJson("/api/telemetry").then(show).catch(() => {});
  const clear = el("button", { class: "clear", onclick: () => { if (confirm("Clear all spans, logs and metrics from the window?")) post("clear"); } }, "Clear");
  return el("span", { class: "telemetry-controls" }, pause, clear, info);
}

/** Renders a per-region answer of the operations API: the region's rows, or why it has none. */
function regionError(answer) {
  return el("p", { class: "error" }, `${answer.region}: ${answer.error}`);
}

function table(headers, rows, { empty = "Nothing here." } = {}) {
  if (rows.length === 0) return el("p", { class: "muted empty" }, empty);
  return el("table", {},
    el("thead", {}, el("tr", {}, headers.map(h => el("th", {}, h)))),
    el("tbody", {}, rows));
}

function cell(label, ...content) { return el("td", { "data-label": label }, ...content); }

function query() {
  const hash = location.hash || "#/resources";
  const q = hash.indexOf("?");
  return new URLSearchParams(q >= 0 ? hash.slice(q + 1) : "");
}

function currentId() {
  const hash = (location.hash || "#/resources").split("?")[0];
  return hash.split("/")[1] || "resources";
}

/** Changes the hash's query without re-rendering (filters keep focus). */
function setQuery(params) {
  const base = (location.hash || "#/resources").split("?")[0];
  const text = new URLSearchParams(Object.entries(params).filter(([, v]) => v)).toString();
  history.replaceState(null, "", text ? `${base}?${text}` : base);
}

// ---- routing ----

let current = null;

function route() {
  const hash = (location.hash || "#/resources").split("?")[0];
  const [, id = "resources", arg] = hash.split("/").map(decodeURIComponent);
  const view = views.find(v => v.id === id) || views[0];
  if (current && current !== view && current.leave) current.leave();
  current = view;
  document.getElementById("nav").replaceChildren(...views.map(v =>
    el("a", { href: `#/${v.id}`, class: v.id === view.id ? "active" : "", "data-view": v.id }, v.title)));
  view.render(document.getElementById("view"), arg, query());
  tickCountdowns();
}

window.addEventListener("hashchange", route);

window.addEventListener("DOMContentLoaded", async () => {
  await checkSession();
  await refreshResources();
  route();
  setInterval(async () => {
    await refreshResources();
    if (!current) return;
    if (current.refresh) current.render(document.getElementById("view"), decodeURIComponent(((location.hash || "").split("?")[0].split("/")[2]) || ""), query());
    else if (current.tick) current.tick();
  }, 1500);
  setInterval(tickCountdowns, 1000);
});
