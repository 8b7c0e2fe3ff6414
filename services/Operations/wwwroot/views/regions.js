// Regions: per PostgreSQL cluster, whether it is the primary or a standby (pg_is_in_recovery()), and on the primary
// each standby's replication state and lag (pg_stat_replication). Failover and rejoin are commands on the clusters in
// the Aspire dashboard, not here: the console only looks.
"use strict";

(function () {
  function bytes(n) {
    if (n === null || n === undefined) return "–";
    return n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`;
  }

  function cluster(c) {
    const facts = c.role === "primary"
      ? table(["Standby", "State", "Sync", "Lag", "Replay lag"], c.replication.map(r => el("tr", { "data-standby": r.standby },
          el("td", { class: "name", "data-label": "Standby" }, r.standby),
          cell("State", r.state),
          cell("Sync", el("span", { class: `badge sync-${r.syncState}`, "data-sync": r.syncState }, r.syncState)),
          el("td", { class: "num", "data-label": "Lag", "data-lag": r.lagBytes ?? "" }, bytes(r.lagBytes)),
          el("td", { class: "num", "data-label": "Replay lag" }, r.replayLagSeconds != null ? ms(r.replayLagSeconds * 1000) : "–"))),
          { empty: "No standby is streaming from this primary: writes are not replicated." })
      : c.role === "standby"
        ? el("dl", { class: "facts" },
            el("dt", {}, "Receiving"), el("dd", {}, c.receiverStatus),
            el("dt", {}, "Last replayed"), el("dd", {}, c.replayDelaySeconds != null ? `${duration(c.replayDelaySeconds)} ago` : "nothing yet"))
        : null;
    return el("section", { class: "card", "data-cluster": c.cluster, "data-role": c.role },
      el("h2", {}, c.region, " ", el("span", { class: `badge role-${c.role}` }, c.role), " ", el("span", { class: "muted" }, c.cluster)),
      c.error ? el("p", { class: "error" }, c.error) : null,
      facts);
  }

  async function show(body) {
    body.replaceChildren(...(await getJson("/api/regions")).map(cluster));
  }

  registerPollingView({
    id: "regions",
    title: "Regions",
    order: 60,
    heading: "Regions",
    note: "Failover, rejoin and kill-region are commands on the clusters in the Aspire dashboard.",
    bodyClass: "cards",
    every: 3000,
    show,
  });
})();
