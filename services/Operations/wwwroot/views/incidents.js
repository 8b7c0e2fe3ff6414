// Incidents: every open incident (incidents service, GET /v1/incidents: the primary region's, the standby's only when the
// primary's does not answer), with grade and a live countdown to the regulator's report deadline.
"use strict";

(function () {
  function clockCell(c) {
    if (c.firstReportAt) return el("span", { class: "ok" }, `reported ${new Date(c.firstReportAt).toLocaleString()}`);
    if (!c.reportRequired || !c.reportDueAt) return el("span", { class: "muted" }, "no report due (grade first)");
    const elapsed = Math.max(0, Math.min(1, c.fractionElapsed ?? 0));
    const bar = el("div", { class: "meter" + (c.overdue ? " overdue" : elapsed > 0.75 ? " soon" : "") }, el("div", { style: { width: `${elapsed * 100}%` } }));
    return el("div", { class: "deadline" },
      countdown(c.reportDueAt, { overdueText: "overdue by" }),
      el("div", { class: "muted" }, `due ${new Date(c.reportDueAt).toLocaleString()}`), bar);
  }

  const closed = ["Resolved", "Reviewed"];

  // The on-call pages (notifications' GET /v1/pages): open ones first, with the rounds sent and how the last one went.
  function pages(answers) {
    const rows = [];
    for (const a of answers) for (const p of a.data || []) rows.push({ region: a.region, ...p });
    const last = p => p.deliveries.filter(d => d.round === p.rounds);
    const row = p => el("tr", { "data-page": p.pageId, "data-page-reference": p.reference },
      cell("Raised", since(p.raisedAt)),
      el("td", { class: "name", "data-label": "Page" }, p.what, el("div", { class: "muted mono" }, p.kind)),
      el("td", { class: "num", "data-label": "Rounds" }, p.rounds),
      cell("Last round", last(p).map(d => `${d.responder}: ${d.channel || d.status}`).join(", ") || "nobody on the rota"),
      cell("State", p.acknowledgedAt
        ? el("span", { class: "badge" }, `acknowledged by ${p.acknowledgedBy}`)
        : el("span", { class: "badge s-Waiting" }, "open: repeats until acknowledged")));
    return table(["Raised", "Page", "Rounds", "Last round", "State"], rows.map(row), { empty: "No on-call page." });
  }

  async function show(body) {
    const [answers, paged] = await Promise.all([getJson("/api/incidents"), getJson("/api/pages")]);
    const rows = [];
    for (const a of answers) for (const i of a.data || []) if (!closed.includes(i.status)) rows.push({ region: a.region, ...i });
    rows.sort((x, y) => (x.clock.secondsLeft ?? 1e12) - (y.clock.secondsLeft ?? 1e12));
    body.replaceChildren(
      ...answers.filter(a => a.error).map(regionError),
      answeredBy(answers),
      table(["Incident", "Region", "Type", "Status", "Grade", "Aware", "Regulator deadline"], rows.map(i => el("tr", { "data-incident": i.id },
        el("td", { class: "name", "data-label": "Incident" }, i.title, el("div", { class: "muted mono" }, i.id)),
        cell("Region", i.region),
        cell("Type", i.type),
        cell("Status", el("span", { class: "badge" }, i.status)),
        cell("Grade", i.grade ? el("span", { class: `grade g-${i.grade}` }, `Grade ${i.grade}`) : el("span", { class: "muted" }, "ungraded")),
        cell("Aware", since(i.awareAt)),
        el("td", { class: "clock", "data-label": "Deadline" }, clockCell(i.clock)))),
        { empty: "No open incidents.", cls: "incidents" }),
      ...paged.filter(a => a.error).map(regionError),
      el("h3", {}, "On-call pages"),
      pages(paged));
    tickCountdowns();
  }

  registerPollingView({
    id: "incidents",
    title: "Incidents",
    order: 10,
    heading: "Open incidents",
    note: "Countdowns run to the regulator's report deadline (IWK-2.7: grade I/II within hours).",
    show,
  });
})();
