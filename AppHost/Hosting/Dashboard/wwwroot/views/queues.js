// Queues: per region, each service's outbox backlog (the relay's privacysuite.outbox.backlog gauge, from telemetry)
// and the broker's error queues and queue depths (RabbitMQ management API).
"use strict";

(function () {
  let body = null;
  let last = 0;

  async function load() {
    if (!body) return;
    last = Date.now();
    try {
      const regions = await getJson("/api/operations/queues");
      body.replaceChildren(...regions.map(r => el("section", { class: "card region", "data-region": r.region },
        el("h2", {}, r.region, " ", el("span", { class: "muted" }, r.broker)),
        r.error ? el("p", { class: "error" }, r.error) : null,
        el("h3", {}, "Outbox backlog"),
        table(["Service", "Unsent events", "As of"], r.outboxes.map(o => el("tr", { "data-outbox": o.resource },
          cell("Service", resourceBadge(o.resource)),
          el("td", { class: "num" + (o.backlog > 0 ? " warn" : ""), "data-label": "Unsent" }, o.backlog),
          cell("As of", since(o.at)))), { empty: "No backlog reported yet (relays report every few seconds)." }),
        el("h3", {}, "Error queues"),
        table(["Queue", "Service", "Messages"], r.errorQueues.map(q => el("tr", { class: q.messages > 0 ? "bad-row" : "" },
          cell("Queue", el("span", { class: "mono" }, q.name)), cell("Service", q.service),
          el("td", { class: "num" + (q.messages > 0 ? " bad" : ""), "data-label": "Messages" }, q.messages))),
          { empty: "No error queues: no message has failed its retries." }),
        el("details", {}, el("summary", {}, `All queues (${r.queues.length})`),
          table(["Queue", "Ready", "Unacked", "Consumers"], r.queues.map(q => el("tr", {},
            cell("Queue", el("span", { class: "mono" }, q.name)),
            el("td", { class: "num", "data-label": "Ready" }, q.ready),
            el("td", { class: "num", "data-label": "Unacked" }, q.unacknowledged),
            el("td", { class: "num" + (q.consumers === 0 ? " warn" : ""), "data-label": "Consumers" }, q.consumers))))))));
    } catch (e) {
      body.replaceChildren(el("p", { class: "error" }, e.message));
    }
  }

  registerView({
    id: "queues",
    title: "Queues",
    order: 80,
    leave() { body = null; },
    render(container) {
      body = el("div", { class: "cards wide" });
      container.replaceChildren(el("div", { class: "toolbar" }, el("h1", {}, "Outboxes and queues")), body);
      load();
    },
    tick() { if (body && Date.now() - last > 5000) load(); },
  });
})();
