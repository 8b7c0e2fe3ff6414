// Structured logs: what the services logged through OpenTelemetry (GET /api/logs), filterable by resource,
// minimum level, text and trace id.
"use strict";

(function () {
  const levels = ["Trace", "Debug", "Information", "Warning", "Error", "Critical"];
  let filters = {};
  let body = null;

  async function load() {
    if (!body) return;
    const params = new URLSearchParams({ limit: "300" });
    for (const [k, v] of Object.entries(filters)) if (v) params.set(k, v);
    try {
      const data = await getJson(`/api/logs?${params}`);
      body.replaceChildren(
        table(["Time", "Resource", "Level", "Message", "Trace"], data.logs.map(l => el("tr", { class: `lvl-${l.severity}` },
          cell("Time", new Date(l.time).toLocaleTimeString()),
          cell("Resource", resourceBadge(l.resource.name)),
          cell("Level", el("span", { class: `level l-${l.severity}` }, l.severity)),
          el("td", { class: "message", "data-label": "Message" }, l.message, el("div", { class: "muted" }, l.category)),
          cell("Trace", l.traceId ? el("a", { href: `#/traces/${l.traceId}`, class: "mono" }, l.traceId.slice(0, 12)) : ""))),
          { empty: "No log records match." }),
        el("p", { class: "muted" }, `${data.logs.length} of ${data.total} records${data.paused ? " · telemetry paused" : ""}`));
    } catch (e) {
      body.replaceChildren(el("p", { class: "error" }, e.message));
    }
  }

  registerView({
    id: "logs",
    title: "Logs",
    order: 30,
    leave() { body = null; },
    render(container, arg, q) {
      filters = { resource: q.get("resource") || "", level: q.get("level") || "", text: q.get("text") || "", traceId: q.get("traceId") || "" };
      const update = () => { setQuery(filters); load(); };
      body = el("div", {});
      container.replaceChildren(
        el("div", { class: "toolbar" }, el("h1", {}, "Structured logs"),
          resourceSelect(filters.resource, v => { filters.resource = v; update(); }, { projectsOnly: true }),
          el("select", { "aria-label": "Minimum level", onchange: e => { filters.level = e.target.value; update(); } },
            el("option", { value: "" }, "Any level"), levels.map(l => el("option", { value: l, selected: l === filters.level }, `${l}+`))),
          el("input", { type: "search", placeholder: "Text", value: filters.text, "aria-label": "Text", maxlength: "200",
            oninput: e => { filters.text = e.target.value.trim(); update(); } }),
          el("input", { type: "search", placeholder: "Trace id", value: filters.traceId, "aria-label": "Trace id", class: "mono", maxlength: "32",
            oninput: e => { const v = e.target.value.trim(); if (v === "" || /^[0-9a-fA-F]{32}$/.test(v)) { filters.traceId = v; update(); } } }),
          telemetryControls(load)),
        body);
      load();
    },
    tick() { if (body && !document.hidden) load(); },
  });
})();
