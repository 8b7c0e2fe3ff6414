// Queues: per region, each service's outbox backlog (unsent rows of outbox_messages in its database, read-only) and
// the broker's queues: what waits, who consumes, and what failed its retries into an _error queue (each region's
// RabbitMQ management API).
"use strict";

(function () {
  const services = ["consent", "vault", "retention", "incidents", "notifications"];

  function num(value, label, cls = "") { return el("td", { class: `num ${cls}`, "data-label": label }, value); }

  function region(r) {
    const b = r.broker;
    const rows = services.map(service => {
      const resource = `${service}-${r.region}`;
      const outbox = r.outboxes.find(o => o.service === resource);
      const queues = b.queues.filter(q => q.service === service);
      const errors = b.errorQueues.filter(q => q.service === service).reduce((n, q) => n + q.messages, 0);
      const ready = queues.reduce((n, q) => n + q.ready, 0);
      const idle = queues.filter(q => q.consumers === 0).length;
      const backlog = outbox && outbox.backlog !== null ? outbox.backlog : null;
      return el("tr", { "data-service": resource, class: errors > 0 ? "bad-row" : "" },
        el("td", { class: "name", "data-label": "Service" }, resourceBadge(resource)),
        el("td", { class: `num outbox ${backlog > 0 ? "warn" : ""}`, "data-label": "Outbox backlog", "data-backlog": backlog ?? "" },
          backlog ?? el("span", { class: "error", title: outbox ? outbox.error : "" }, "–"),
          outbox && outbox.oldestAt ? el("div", { class: "muted" }, `oldest ${since(outbox.oldestAt)}`) : null),
        num(queues.length, "Queues"),
        num(ready, "Waiting", ready > 0 ? "warn" : ""),
        num(idle, "Without consumer", idle > 0 ? "warn" : ""),
        num(errors, "In error queues", errors > 0 ? "bad" : ""));
    });
    const outboxErrors = r.outboxes.filter(o => o.error);
    return el("section", { class: "card region", "data-region": r.region },
      el("h2", {}, r.region, " ", el("span", { class: "muted" }, b.broker)),
      b.error ? el("p", { class: "error" }, b.error) : null,
      ...outboxErrors.map(o => el("p", { class: "error" }, o.error)),
      table(["Service", "Outbox backlog", "Queues", "Waiting", "Without consumer", "In error queues"], rows, { cls: "services" }),
      el("h3", {}, `Error queues (${b.errorQueues.length})`),
      table(["Queue", "Messages"], b.errorQueues.map(q => el("tr", { "data-queue": q.name },
        el("td", { class: "mono", "data-label": "Queue" }, q.name), num(q.messages, "Messages", q.messages > 0 ? "bad" : ""))),
        { empty: "No error queue: no message has exhausted its retries." }),
      el("details", {}, el("summary", {}, `All queues (${b.queues.length})`),
        table(["Queue", "Ready", "Unacked", "Consumers"], b.queues.map(q => el("tr", { "data-queue": q.name },
          el("td", { class: "mono", "data-label": "Queue" }, q.name),
          num(q.ready, "Ready"), num(q.unacknowledged, "Unacked"), num(q.consumers, "Consumers", q.consumers === 0 ? "warn" : ""))))));
  }

  async function show(body) {
    body.replaceChildren(...(await getJson("/api/queues")).map(region));
  }

  registerPollingView({
    id: "queues",
    title: "Queues",
    order: 20,
    heading: "Outboxes and queues",
    note: "A message that fails its retries lands in its consumer's _error queue; an outbox backlog that grows means a relay cannot publish.",
    bodyClass: "cards wide",
    show,
  });
})();
