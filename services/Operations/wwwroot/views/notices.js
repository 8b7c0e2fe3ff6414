// Notices: the notice requests and campaigns with their delivery progress (GET /v1/notices).
"use strict";

(function () {
  async function show(body) {
    const answers = await getJson("/api/notices");
    const rows = [];
    for (const a of answers) for (const n of a.data || []) rows.push({ region: a.region, ...n });
    rows.sort((a, b) => new Date(b.requestedAt) - new Date(a.requestedAt));
    const row = n => {
      const pct = v => `${n.total === 0 ? 0 : Math.round(v / n.total * 100)}%`;
      return el("tr", { "data-notice": n.requestId },
        cell("Requested", since(n.requestedAt)), cell("Region", n.region),
        cell("Notice", el("span", { class: "mono" }, n.noticeType)),
        el("td", { class: "num", "data-label": "Subjects" }, n.total),
        el("td", { class: "progress", "data-label": "Progress" }, el("div", { class: "meter stacked", title: `${n.delivered} delivered, ${n.failed} failed` },
          el("div", { class: "delivered", style: { width: pct(n.delivered) } }), el("div", { class: "failed", style: { width: pct(n.failed) } }))),
        el("td", { class: "num", "data-label": "Delivered" }, n.delivered),
        el("td", { class: "num" + (n.failed > 0 ? " bad" : ""), "data-label": "Failed" }, n.failed),
        el("td", { class: "num", "data-label": "Pending" }, n.pending),
        cell("", n.paused ? el("span", { class: "badge s-Waiting" }, "paused") : ""));
    };
    const headers = ["Requested", "Region", "Notice", "Subjects", "Progress", "Delivered", "Failed", "Pending", ""];
    const campaigns = rows.filter(n => n.total > 1), single = rows.filter(n => n.total <= 1);
    body.replaceChildren(
      ...answers.filter(a => a.error).map(regionError),
      answeredBy(answers),
      table(headers, campaigns.map(row), { empty: "No campaign has been requested yet." }),
      el("details", {}, el("summary", {}, `Single notices (${single.length}): verification codes and other one-subject notices`),
        table(headers, single.map(row))));
  }

  registerPollingView({
    id: "notices",
    title: "Notices",
    order: 50,
    heading: "Notice campaigns",
    show,
  });
})();
