// The privacy centre's core: plain JS, no build step, nothing from the internet (the page's CSP allows only its own
// files). Each section is a file in views/ that calls registerView({...}); index.html loads them. Every call goes to the
// centre's own /api, which asks the suite's services for the signed-in person only.
"use strict";

const views = [];
let current = null;
/** The session: who is signed in, and the minor they act for as guardian (null when themselves). */
const session = { subjectId: null, actingFor: null };

function registerView(view) {
  views.push(view);
  views.sort((a, b) => a.order - b.order);
}

/** What went wrong, in the person's language where the suite's reason is known, else the service's own words. */
function problemText(problem, status) {
  if (problem.reason && hasText(`error.${problem.reason}`)) return t(`error.${problem.reason}`);
  const fields = problem.errors ? Object.values(problem.errors).flat().join(" ") : "";
  return fields || problem.detail || problem.title || t("failed", { status });
}

class ApiError extends Error {
  constructor(status, problem) { super(problemText(problem, status)); this.status = status; this.problem = problem; }
}

/** Calls the centre's API; answers the JSON body, or throws an ApiError with the problem's text. 401 shows the sign-in. */
async function api(method, path, body) {
  const response = await fetch(path, {
    method, credentials: "same-origin",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = response.status === 204 ? null : await response.json().catch(() => ({}));
  if (response.status === 401 && !path.startsWith("/api/sign-in")) {
    showSignIn(t("signInAgain"));
    throw new ApiError(401, { detail: t("signInAgain") });
  }
  if (!response.ok) throw new ApiError(response.status, data || {});
  return data;
}

function announce(text) {
  const live = document.getElementById("live");
  live.textContent = "";
  setTimeout(() => { live.textContent = text; }, 50);
}

function cell(label, ...content) { return el("td", { "data-label": label }, ...content); }

function table(columns, rows, empty) {
  if (rows.length === 0) return el("p", { class: "muted" }, empty);
  return el("table", {}, el("thead", {}, el("tr", {}, columns.map(c => el("th", { scope: "col" }, c)))), el("tbody", {}, rows));
}

/**
 * The one-time code step of a request (INF-6.3): a button sends the code to the person's verified contact, then a field
 * takes it and `use(verificationId, code)` runs the request. Errors show under the field.
 */
function codeStep(request, use, { label } = {}) {
  const error = el("p", { class: "error", role: "alert" });
  const status = el("p", { role: "status" });
  const input = el("input", { type: "text", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "6", pattern: "[0-9]{6}", id: `code-${request}` });
  const go = el("button", { type: "submit", class: "primary" }, t("code.go"));
  const form = el("form", { class: "code-step", hidden: true, "data-code-for": request, novalidate: true },
    el("label", { for: `code-${request}` }, t("code.label")), input, go);
  let verificationId = null;
  const send = el("button", { type: "button", class: "primary", "data-send-code": request, onclick: async () => {
    error.textContent = "";
    send.disabled = true;
    try {
      const started = await api("POST", "/api/codes", { request });
      verificationId = started.verificationId;
      status.textContent = t("code.sent", { time: when(started.expiresAt) });
      form.hidden = false;
      input.focus();
    } catch (e) { error.textContent = e.message; } finally { send.disabled = false; }
  } }, label ?? t("code.send"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    if (!/^[0-9]{6}$/.test(input.value.trim())) { error.textContent = t("code.missing"); input.focus(); return; }
    go.disabled = true;
    try {
      await use(verificationId, input.value.trim());
      input.value = "";
      form.hidden = true;
      status.textContent = "";
    } catch (err) { error.textContent = err.message; } finally { go.disabled = false; }
  });
  return el("div", {}, send, status, form, error);
}

// ---- language ----

function translatePage() {
  translateStatic("brand");
  showActing();
}

document.getElementById("language").addEventListener("click", () => {
  switchLanguage();
  translatePage();
  if (current) show(current.id);
});

// ---- sign-in ----

let signIn = null;

function showSignIn(message) {
  current = null;
  Object.assign(session, { subjectId: null, actingFor: null });
  document.getElementById("acting").hidden = true;
  document.getElementById("sign-in").hidden = false;
  document.getElementById("contact-form").hidden = false;
  document.getElementById("code-form").hidden = true;
  document.getElementById("view").hidden = true;
  document.getElementById("nav").hidden = true;
  document.getElementById("sign-out").hidden = true;
  document.getElementById("contact-error").textContent = message ?? "";
}

/** Reads who is signed in and whom they act for, and shows it; false when nobody is. */
async function loadSession() {
  const response = await fetch("/api/session", { credentials: "same-origin" });
  if (!response.ok) return false;
  Object.assign(session, await response.json());
  showActing();
  return true;
}

function showActing() {
  document.getElementById("acting").hidden = !session.actingFor;
  document.getElementById("acting-text").textContent = session.actingFor ? t("actingFor", { id: session.actingFor }) : "";
  renderNav();
}

/** Acts for a minor in the person's care (or, with null, for themselves again), then shows the consents. */
async function actFor(subjectId) {
  const now = subjectId ? await api("POST", "/api/acting-for", { subjectId }) : await api("DELETE", "/api/acting-for");
  Object.assign(session, now);
  showActing();
  announce(session.actingFor ? t("actingFor", { id: session.actingFor }) : t("actingEnded"));
  if (location.hash !== "#/consents") location.hash = "#/consents"; else route();
}

document.getElementById("acting-end").addEventListener("click", () => actFor(null).catch(e => announce(e.message)));

function showCentre() {
  document.getElementById("sign-in").hidden = true;
  document.getElementById("view").hidden = false;
  document.getElementById("nav").hidden = false;
  document.getElementById("sign-out").hidden = false;
  route();
}

document.getElementById("contact-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const error = document.getElementById("contact-error");
  const field = new FormData(e.target).get("field");
  const value = document.getElementById("contact").value.trim();
  error.textContent = "";
  if (!value) { error.textContent = t("contactMissing"); return; }
  try {
    const started = await api("POST", "/api/sign-in", { field, value });
    signIn = started.signInId;
    document.getElementById("contact-form").hidden = true;
    document.getElementById("code-form").hidden = false;
    document.getElementById("code-sent").textContent = t("codeSentTo", { contact: value, time: when(started.expiresAt) });
    document.getElementById("code").focus();
  } catch (err) { error.textContent = err.message; }
});

document.getElementById("code-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const error = document.getElementById("code-error");
  const code = document.getElementById("code").value.trim();
  error.textContent = "";
  if (!/^[0-9]{6}$/.test(code)) { error.textContent = t("codeMissing"); return; }
  try {
    Object.assign(session, await api("POST", `/api/sign-in/${signIn}/code`, { code }));
    document.getElementById("code").value = "";
    showActing();
    showCentre();
  } catch (err) { error.textContent = err.message; }
});

document.getElementById("code-back").addEventListener("click", () => showSignIn());

document.getElementById("sign-out").addEventListener("click", async () => {
  await fetch("/api/sign-out", { method: "POST", credentials: "same-origin" });
  showSignIn(t("signedOut"));
});

// ---- navigation ----

function renderNav() {
  const active = (location.hash.replace(/^#\//, "") || views[0]?.id);
  document.getElementById("nav").replaceChildren(...views.map(v =>
    el("a", { href: `#/${v.id}`, "data-view": v.id, "aria-current": v.id === active ? "page" : false }, forWhom(v.title))));
}

async function show(id) {
  const view = views.find(v => v.id === id) ?? views[0];
  current = view;
  renderNav();
  const container = document.getElementById("view");
  const body = el("div", { class: "view-body", "data-view": view.id, "aria-busy": "true" }, el("p", { class: "muted" }, t("loading")));
  container.replaceChildren(body);
  try {
    await view.render(body, () => show(view.id));
    body.setAttribute("data-loaded", "true");
  } catch (e) {
    if (e.status !== 401) body.replaceChildren(el("p", { class: "error", role: "alert" }, e.message), el("button", { type: "button", onclick: () => show(view.id) }, t("retry")));
  } finally {
    body.removeAttribute("aria-busy");
  }
}

function route() {
  if (document.getElementById("view").hidden) return;
  show(location.hash.replace(/^#\//, "") || views[0].id).then(() => document.getElementById("view").focus({ preventScroll: true }));
}

window.addEventListener("hashchange", route);

document.addEventListener("DOMContentLoaded", async () => {
  translatePage();
  if (await loadSession()) showCentre(); else showSignIn();
});
