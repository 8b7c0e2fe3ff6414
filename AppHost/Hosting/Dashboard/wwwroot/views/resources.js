// Resources: every process the AppHost runs, its state and health, and the stop/start/restart commands.
"use strict";

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
  order: 10,
  refresh: true,
  render(container) {
    const running = r => ["Running", "Starting", "Waiting"].includes(r.state);
    const rows = state.resources.map(r => el("tr", { "data-resource": r.name },
      el("td", { class: "name", "data-label": "Name" }, el("a", { href: `#/console/${encodeURIComponent(r.name)}`, title: "Console logs" }, r.name)),
      el("td", { "data-label": "Type" }, r.type),
      el("td", { "data-label": "Region" }, r.region),
      el("td", { "data-label": "State" }, el("span", { class: `badge s-${r.state}` }, r.state)),
      el("td", { "data-label": "Health" }, el("span", { class: `badge h-${r.health}` }, r.health)),
      el("td", { class: "endpoints", "data-label": "Endpoints" },
        r.endpoints.map(u => u.startsWith("http") ? el("a", { href: u, target: "_blank", rel: "noopener" }, u) : el("span", {}, u))),
      el("td", { class: "started", "data-label": "Started", "data-started": r.startedAt || "" }, since(r.startedAt)),
      el("td", { class: "num restarts", "data-label": "Restarts" }, r.restarts),
      el("td", { class: "actions", "data-label": "" },
        el("button", { onclick: () => command(r.name, "stop"), disabled: !state.authenticated || !running(r), title: "Stop" }, "Stop"),
        el("button", { onclick: () => command(r.name, "start"), disabled: !state.authenticated || running(r), title: "Start" }, "Start"),
        el("button", { onclick: () => command(r.name, "restart"), disabled: !state.authenticated, title: "Restart", class: "restart" }, "Restart"))));
    container.replaceChildren(
      el("h1", {}, "Resources"),
      el("table", { class: "resources" },
        el("thead", {}, el("tr", {}, ["Name", "Type", "Region", "State", "Health", "Endpoints", "Started", "Restarts", ""].map(h => el("th", {}, h)))),
        el("tbody", {}, rows)));
  },
});
