// Subject requests: access, export, rectification and erasure requests waiting in the vault (the primary region's) for the
// subject's verification code, with their age (GET /v1/subject-requests).
"use strict";

(function () {
  async function show(body) {
    const answers = await getJson("/api/subject-requests");
    const rows = [];
    for (const a of answers) for (const r of a.data || []) rows.push({ region: a.region, ...r });
    const open = rows.filter(r => r.state === "open").sort((a, b) => new Date(a.startedAt) - new Date(b.startedAt));
    const counts = ["open", "completed", "expired"].map(s => `${rows.filter(r => r.state === s).length} ${s}`).join(" · ");
    body.replaceChildren(
      ...answers.filter(a => a.error).map(regionError),
      answeredBy(answers),
      el("p", { class: "muted" }, `Latest requests: ${counts}`),
      el("h2", {}, "Waiting for the subject"),
      table(["Request", "Subject", "Region", "Age", "Expires in", "Attempts"], open.map(r => el("tr", { "data-request": r.id },
        cell("Request", el("span", { class: "badge" }, r.request)),
        cell("Subject", el("span", { class: "mono" }, r.subjectId)),
        cell("Region", r.region),
        cell("Age", el("span", { "data-since": r.startedAt }, duration((Date.now() - new Date(r.startedAt)) / 1000))),
        cell("Expires in", countdown(r.expiresAt, { overdueText: "expired" })),
        el("td", { class: "num", "data-label": "Attempts" }, r.attempts))), { empty: "The queue is empty." }),
      el("h2", {}, "Recently closed"),
      table(["Request", "Subject", "Region", "State", "Started", "Completed"],
        rows.filter(r => r.state !== "open").slice(0, 30).map(r => el("tr", {},
          cell("Request", r.request), cell("Subject", el("span", { class: "mono" }, r.subjectId)), cell("Region", r.region),
          cell("State", el("span", { class: `badge st-${r.state}` }, r.state)), cell("Started", since(r.startedAt)),
          cell("Completed", r.completedAt ? new Date(r.completedAt).toLocaleString() : ""))), { empty: "None yet." }));
    tickCountdowns();
  }

  registerPollingView({
    id: "requests",
    title: "Requests",
    order: 30,
    heading: "Subject-request queue",
    show,
  });
})();
