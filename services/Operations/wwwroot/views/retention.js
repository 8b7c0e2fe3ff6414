// Retention: the sweeps (the primary region's retention service) with their progress (GET /v1/sweeps) and the legal holds in force (GET /v1/legal-holds).
"use strict";

(function () {
  function progress(fraction) {
    return el("div", { class: "meter" }, el("div", { style: { width: `${Math.round(fraction * 100)}%` } }));
  }

  async function show(body) {
    const data = await getJson("/api/retention");
    const sweeps = [], holds = [];
    for (const a of data.sweeps) for (const s of a.data || []) sweeps.push({ region: a.region, ...s });
    for (const a of data.holds) for (const h of a.data || []) holds.push({ region: a.region, ...h });
    body.replaceChildren(
      ...data.sweeps.filter(a => a.error).map(regionError),
      answeredBy(data.sweeps),
      el("h2", {}, "Sweeps"),
      table(["Started", "Region", "Trigger", "State", "Progress", "Erasure", "Anonymisation", "Held", "Awaiting vault"], sweeps.map(s => el("tr", { "data-sweep": s.id },
        cell("Started", since(s.startedAt)), cell("Region", s.region), cell("Trigger", s.trigger),
        cell("State", el("span", { class: `badge st-${s.state}` }, s.state)),
        el("td", { class: "progress", "data-label": "Progress" }, progress(s.progress), el("span", { class: "muted" }, `${s.subjectsExamined}/${s.subjectsTotal} subjects`)),
        el("td", { class: "num", "data-label": "Erasure" }, s.erasureRequests),
        el("td", { class: "num", "data-label": "Anonymisation" }, s.anonymisationRequests),
        el("td", { class: "num", "data-label": "Held" }, s.subjectsHeld),
        el("td", { class: "num", "data-label": "Awaiting vault" }, s.itemsAwaitingVault))), { empty: "No sweep has run yet." }),
      el("h2", {}, "Active legal holds"),
      ...data.holds.filter(a => a.error).map(regionError),
      table(["Placed", "Region", "Scope", "Reason", "Reference", "Review", "Placed by"], holds.map(h => el("tr", { "data-hold": h.id },
        cell("Placed", since(h.placedAt)), cell("Region", h.region),
        cell("Scope", [h.subjectId ? `subject ${h.subjectId}` : "all subjects", h.category ? ` · ${h.category}` : ""].join("")),
        cell("Reason", h.reasonCode), cell("Reference", h.reference),
        cell("Review", countdown(h.reviewAt, { overdueText: "review overdue by" })), cell("Placed by", h.placedBy))), { empty: "No legal hold is in force." }));
  }

  registerPollingView({
    id: "retention",
    title: "Retention",
    order: 40,
    heading: "Retention sweeps and legal holds",
    show,
  });
})();
