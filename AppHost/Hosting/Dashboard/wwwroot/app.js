// The operator dashboard: plain JS, no build step. Each view registers itself; later views (traces, metrics,
// structured logs) add a registerView(...) call and an API of their own on the same server.
"use strict";

const views = [];
const state = { authenticated: false, resources: [] };

function registerView(view) { views.push(view); }

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) node.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
  return node;
}

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", ...options });
  if (response.status === 401) { showLogin(); throw new Error("login required"); }
  return response;
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

function since(iso) {
  if (!iso) return "";
  const seconds = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  const when = new Date(iso).toLocaleTimeString();
  if (seconds < 60) return `${when} (${seconds} s)`;
  if (seconds < 3600) return `${when} (${Math.floor(seconds / 60)} min)`;
  return `${when} (${Math.floor(seconds / 3600)} h)`;
}

async function command(name, verb) {
  try {
    const response = await api(`/api/resources/${encodeURIComponent(name)}/commands/${verb}`, { method: "POST" });
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      alert(problem.detail || `${verb} failed (${response.status})`);
    }
  } finally {
    refreshResources().then(route);
  }
}

registerView({
  id: "resources",
  title: "Resources",
  render(container) {
    const running = r => ["Running", "Starting", "Waiting"].includes(r.state);
    const rows = state.resources.map(r => el("tr", {},
      el("td", { class: "name", "data-label": "Name" }, el("a", { href: `#/console/${encodeURIComponent(r.name)}`, title: "Console logs" }, r.name)),
      el("td", { "data-label": "Type" }, r.type),
      el("td", { "data-label": "Region" }, r.region),
      el("td", { "data-label": "State" }, el("span", { class: `badge s-${r.state}` }, r.state)),
      el("td", { "data-label": "Health" }, el("span", { class: `badge h-${r.health}` }, r.health)),
      el("td", { class: "endpoints", "data-label": "Endpoints" },
        r.endpoints.map(u => u.startsWith("http") ? el("a", { href: u, target: "_blank", rel: "noopener" }, u) : el("span", {}, u))),
      el("td", { "data-label": "Started" }, since(r.startedAt)),
      el("td", { class: "num", "data-label": "Restarts" }, r.restarts),
      el("td", { class: "actions", "data-label": "" },
        el("button", { onclick: () => command(r.name, "stop"), disabled: !state.authenticated || !running(r), title: "Stop" }, "Stop"),
        el("button", { onclick: () => command(r.name, "start"), disabled: !state.authenticated || running(r), title: "Start" }, "Start"),
        el("button", { onclick: () => command(r.name, "restart"), disabled: !state.authenticated, title: "Restart" }, "Restart"))));
    container.replaceChildren(
      el("h1", {}, "Resources"),
      el("table", {},
        el("thead", {}, el("tr", {}, ["Name", "Type", "Region", "State", "Health", "Endpoints", "Started", "Restarts", ""].map(h => el("th", {}, h)))),
        el("tbody", {}, rows)));
  },
  refresh: true,
});

let logSource = null;

registerView({
  id: "console",
  title: "Console",
  render(container, arg) {
    const name = arg || (state.resources[0] && state.resources[0].name) || "";
    if (container.dataset.console === name && logSource) return; // already following
    container.dataset.console = name;
    if (logSource) { logSource.close(); logSource = null; }
    const output = el("pre", { class: "console", "aria-live": "off" });
    const follow = el("input", { type: "checkbox", id: "follow", checked: true });
    const select = el("select", { "aria-label": "Resource", onchange: e => { location.hash = `#/console/${encodeURIComponent(e.target.value)}`; } },
      state.resources.map(r => el("option", { value: r.name, selected: r.name === name }, r.name)));
    container.replaceChildren(
      el("div", { class: "toolbar" }, el("h1", {}, "Console logs"), select,
        el("label", {}, follow, " follow"),
        el("button", { onclick: () => output.replaceChildren() }, "Clear")),
      output);
    if (!name || !state.authenticated) { output.textContent = state.authenticated ? "" : "Log in to see console logs."; return; }
    logSource = new EventSource(`/api/resources/${encodeURIComponent(name)}/logs`);
    logSource.onmessage = (e) => {
      const line = JSON.parse(e.data);
      const isAppHost = line.text.startsWith("[apphost]");
      output.append(el("div", { class: isAppHost ? "a" : "" }, el("span", { class: "t" }, new Date(line.time).toLocaleTimeString() + " "), line.text));
      while (output.childNodes.length > 5000) output.firstChild.remove();
      if (follow.checked) output.scrollTop = output.scrollHeight;
    };
    logSource.onerror = () => setStatus("console stream interrupted; retrying");
  },
  refresh: false,
});

function route() {
  const [, id = "resources", arg] = (location.hash || "#/resources").split("/").map(decodeURIComponent);
  const view = views.find(v => v.id === id) || views[0];
  if (view.id !== "console" && logSource) { logSource.close(); logSource = null; delete document.getElementById("view").dataset.console; }
  document.getElementById("nav").replaceChildren(...views.map(v =>
    el("a", { href: `#/${v.id}`, class: v.id === view.id ? "active" : "" }, v.title)));
  view.render(document.getElementById("view"), arg);
}

window.addEventListener("hashchange", route);

(async function start() {
  await checkSession();
  await refreshResources();
  route();
  setInterval(async () => {
    await refreshResources();
    const id = (location.hash || "#/resources").split("/")[1] || "resources";
    const view = views.find(v => v.id === id);
    if (view && view.refresh) route();
  }, 1500);
})();
