// Regions: which region is the primary, how replication stands (mode, lag), the last failover with its steps, and the
// failover and rejoin commands (the same API as `privacy region failover --to REGION`).
"use strict";

(function () {
  let busy = false;

  async function post(path, payload) {
    busy = true;
    try {
      const response = await api(path, {
        method: "POST",
        headers: payload ? { "Content-Type": "application/json" } : {},
        body: payload ? JSON.stringify(payload) : undefined,
      });
      if (!response.ok) {
        const problem = await response.json().catch(() => ({}));
        alert(problem.detail || `${path} answered ${response.status}`);
      }
    } finally {
      busy = false;
      load();
    }
  }

  function failover(region) {
    if (confirm(`Fail over to ${region}? The current primary's database is fenced (killed) and ${region} takes writes.`)) {
      post("/api/regions/failover", { to: region });
    }
  }

  function bytes(n) {
    if (n === null || n === undefined) return "-";
    return n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`;
  }

  function render(body, snapshot) {
    const r = snapshot.replication;
    const modeClass = r.mode === "sync" ? "ok" : r.mode === "async" || r.mode === "sync-waiting" ? "warn" : "muted";
    const regions = table(["Region", "Jurisdiction", "Role", "Database", "Broker", ""], snapshot.regions.map(g => el("tr", { "data-region": g.name },
      el("td", { class: "name", "data-label": "Region" }, g.name),
      cell("Jurisdiction", g.jurisdiction),
      cell("Role", el("span", { class: `badge role-${g.role}` }, g.role)),
      cell("Database", el("span", { class: `badge ${g.database === "healthy" ? "h-Healthy" : "h-Unhealthy"}` }, g.database)),
      cell("Broker", el("span", { class: `badge ${g.broker === "healthy" ? "h-Healthy" : "h-Unhealthy"}` }, g.broker)),
      el("td", { class: "actions", "data-label": "" },
        g.role === "standby"
          ? el("button", { class: "failover", onclick: () => failover(g.name), disabled: busy || snapshot.failoverInProgress || !state.authenticated }, `Fail over to ${g.name}`)
          : null,
        g.role === "standby" && g.database !== "healthy"
          ? el("button", { onclick: () => post(`/api/regions/${encodeURIComponent(g.name)}/rejoin`), disabled: busy || !state.authenticated }, "Rejoin")
          : null))));
    const replication = el("dl", { class: "facts" },
      el("dt", {}, "Replication"), el("dd", { class: modeClass, "data-mode": r.mode }, r.mode),
      el("dt", {}, "Standby"), el("dd", {}, r.standbyState || "not streaming"),
      el("dt", {}, "Lag"), el("dd", { "data-lag": r.lagBytes ?? "" }, bytes(r.lagBytes), r.replayLagSeconds != null ? ` (replay ${ms(r.replayLagSeconds * 1000)})` : ""),
      el("dt", {}, "Since"), el("dd", {}, since(r.modeSince)),
      el("dt", {}, "Epoch"), el("dd", {}, String(snapshot.epoch)),
      r.note ? [el("dt", {}, "Note"), el("dd", { class: "muted" }, r.note)] : null);
    const f = snapshot.lastFailover;
    const lastFailover = f
      ? el("div", { class: "failover-report" },
          el("h2", {}, `Last failover: ${f.from} → ${f.to}, ${f.planned ? "planned" : "unplanned"}, ${f.seconds.toFixed(2)} s, at ${since(f.startedAt)}`),
          el("pre", { class: "mono" }, f.steps.join("\n")))
      : el("p", { class: "muted" }, "No failover since this state folder was created.");
    body.replaceChildren(regions, replication, lastFailover,
      el("p", { class: "muted" }, "Lag and mode are also metrics of the standby cluster (privacysuite.replication.*) in the Metrics view."));
  }

  async function show(body) {
    render(body, await getJson("/api/regions"));
  }

  const load = registerPollingView({
    id: "regions",
    title: "Regions",
    order: 60,
    heading: "Regions",
    note: "Synchronous replication while the standby streams; a failover fences the old primary (INF-1.4, INF-3.2).",
    every: 2000,
    ready: () => !busy,
    show,
  });
})();
