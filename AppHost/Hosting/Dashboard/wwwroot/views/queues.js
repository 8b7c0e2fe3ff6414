// Queues: per region and service, the outbox backlog (the relay's privacysuite.outbox.backlog gauge, from
// telemetry) and the broker's queues: what waits, who consumes, and what failed its retries into an _error queue
// (each region's RabbitMQ management API).
"use strict";

(function () {
  const services = ["consent", "vault", "retention", "incidents", "notifications"];

  function num(value, label, cls = "") { return el("td", { class: `num ${cls}`, "data-label": label }, value); }

  function region(r) {
    const rows = services.map(service => {
      const resource = `${service}-${r.region}`;
      const outbox = r.outboxes.find(o => o.resource === resource);
      const queues = r.queues.filter(q => q.service === service);
      const errors = r.errorQueues.filter(q => q.service === service).reduce((n, q) => n + q.messages, 0);
      const ready = queues.reduce((n, q) => n + q.ready, 0);
      const idle = queues.filter(q => q.consumers === 0).length;
      return el("tr", { "data-outbox": outbox ? resource : null, "data-service": service, class: errors > 0 ? "bad-row" : "" },
        el("td", { "data-label": "Service" }, resourceBadge(resource)),
        num(outbox ? outbox.backlog : "–", "Outbox backlog", outbox && outbox.backlog > 0 ? "warn" : ""),
        num(queues.length, "Queues"),
        num(ready, "Waiting", ready > 0 ? "warn" : ""),
        num(idle, "Without consumer", idle > 0 ? "warn" : ""),
        num(errors, "In error queues", errors > 0 ? "bad" : ""));
    });
    return el("section", { class: "card region", "data-region": r.region },
      el("h2", {}, r.region, " ", el("span", { class: "muted" }, r.broker)),
      r.error ? el("p", { class: "error" }, r.error) : null,
      table(["Service", "Outbox backlog", "Queues", "Waiting", "Without consumer", "In error queues"], rows),
      el("p", { class: "muted" }, r.outboxes.length ? `Backlog as of ${since(r.outboxes.map(o => o.at).sort().pop())}` : "No backlog reported yet (relays report every few seconds)."),
      r.errorQueues.length ? el("h3", {}, "Error queues") : null,
      r.errorQueues.length ? table(["Queue", "Messages"], r.errorQueues.map(q => el("tr", {},
        el("td", { class: "mono", "data-label": "Queue" }, q.name), num(q.messages, "Messages", q.messages > 0 ? "bad" : "")))) : null,
      el("details", {}, el("summary", {}, `All queues (${r.queues.length})`),
        table(["Queue", "Ready", "Unacked", "Consumers"], r.queues.map(q => el("tr", {},
          el("td", { class: "mono", "data-label": "Queue" }, q.name),
          num(q.ready, "Ready"), num(q.unacknowledged, "Unacked"), num(q.consumers, "Consumers", q.consumers === 0 ? "warn" : ""))))));
  }

  async function show(body) {
    body.replaceChildren(...(await getJson("/api/operations/queues")).map(region));
  }

  registerPollingView({
    id: "queues",
    title: "Queues",
    order: 80,
    heading: "Outboxes and queues",
    note: "A message that fails five retries lands in its consumer's _error queue.",
    bodyClass: "cards wide",
    show,
  });
})();
