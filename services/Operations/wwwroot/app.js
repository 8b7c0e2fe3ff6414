// The operations console's core: plain JS, no build step, nothing from the internet (the page's CSP allows only its
// own files). Each view is a file in views/ that calls registerPollingView({...}); index.html loads them.
//
// Navigation is sorted by order: 10 incidents, 20 queues, 30 subject requests, 40 retention, 50 notices, 60 regions.
"use strict";

const views = [];
const state = { authenticated: false };

function registerView(view) {
  views.push(view);
  views.sort((a, b) => (a.order ?? 999) - (b.order ?? 999));
}

/**
 * A view of data polled from the console's API: a toolbar (heading and note) over a body that `show(body)` fills. It
 * runs on entering the view and again every `every` ms while the view is shown; an error replaces the body's content
 * with its message.
 */
function registerPollingView({ id, title, order, heading, note, bodyClass, every = 5000, show }) {
  let body = null;
  let last = 0;
  async function load() {
    if (!body || !state.authenticated) return;
    last = Date.now();
    const target = body;
    try {
      await show(target);
      target.dataset.loaded = "true";
    } catch (e) {
      target.replaceChildren(el("p", { class: "error" }, e.message));
    }
  }

  registerView({
    id, title, order,
    leave() { body = null; },
    render(container) {
      body = el("div", bodyClass ? { class: `view-body ${bodyClass}` } : { class: "view-body" });
      container.replaceChildren(el("div", { class: "toolbar" }, el("h1", {}, heading), note ? el("span", { class: "muted" }, note) : null), body);
      load();
    },
    tick() { if (body && Date.now() - last > every) load(); },
  });
  return load;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
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
  if (response.status === 401) { showLogin(); throw new Error("Sign-in required."); }
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
  document.getElementById("view").hidden = true;
  document.getElementById("nav").hidden = true;
  document.getElementById("logout").hidden = true;
  setStatus("");
}

function showConsole() {
  state.authenticated = true;
  document.getElementById("login").hidden = true;
  document.getElementById("view").hidden = false;
  document.getElementById("nav").hidden = false;
  document.getElementById("logout").hidden = false;
}

async function checkSession() {
  const response = await fetch("/api/session", { credentials: "same-origin" });
  if (response.status === 204) showConsole(); else showLogin();
}

document.getElementById("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const input = document.getElementById("password");
  const response = await fetch("/api/login", {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json" }, body: JSON.stringify({ password: input.value }),
  });
  if (response.status === 204) {
    input.value = "";
    document.getElementById("login-error").textContent = "";
    showConsole();
    route();
  } else {
    const problem = await response.json().catch(() => ({}));
    document.getElementById("login-error").textContent = problem.detail || `Sign-in failed (${response.status}).`;
  }
});

document.getElementById("logout").addEventListener("click", async () => {
  await fetch("/api/logout", { method: "POST", credentials: "same-origin" });
  showLogin();
});

// ---- helpers the views share ----

function since(iso) {
  if (!iso) return "";
  const seconds = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  return `${new Date(iso).toLocaleTimeString()} (${duration(seconds)} ago)`;
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
  return `hsl(${h % 360} 55% 40%)`;
}

function resourceBadge(name) { return el("span", { class: "rbadge", style: { borderColor: colorOf(name), color: colorOf(name) } }, name); }

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

/** Why a region's service gave no rows. */
function regionError(answer) {
  return el("p", { class: "error" }, `${answer.region}: ${answer.error}`);
}

/** Which region answered: the primary's service, or the standby's when the primary's did not. */
function answeredBy(answers) {
  const ok = answers.find(a => !a.error);
  return ok ? el("p", { class: "muted source" }, `From ${ok.resource}.`) : null;
}

function table(headers, rows, { empty = "Nothing here.", cls } = {}) {
  if (rows.length === 0) return el("p", { class: "muted empty" }, empty);
  return el("table", cls ? { class: cls } : {},
    el("thead", {}, el("tr", {}, headers.map(h => el("th", {}, h)))),
    el("tbody", {}, rows));
}

function cell(label, ...content) { return el("td", { "data-label": label }, ...content); }

// ---- routing ----

let current = null;

function route() {
  const hash = (location.hash || "#/incidents").split("?")[0];
  const [, id = "incidents"] = hash.split("/").map(decodeURIComponent);
  const view = views.find(v => v.id === id) || views[0];
  if (current && current !== view && current.leave) current.leave();
  current = view;
  document.getElementById("nav").replaceChildren(...views.map(v =>
    el("a", { href: `#/${v.id}`, class: v.id === view.id ? "active" : "", "data-view": v.id }, v.title)));
  if (state.authenticated) view.render(document.getElementById("view"));
  tickCountdowns();
}

window.addEventListener("hashchange", route);

window.addEventListener("DOMContentLoaded", async () => {
  await checkSession();
  route();
  setInterval(() => {
    if (!current || !state.authenticated) return;
    if (current.tick) current.tick();
    setStatus(`Updated ${new Date().toLocaleTimeString()}`);
  }, 1500);
  setInterval(tickCountdowns, 1000);
});
