// Notices: the notice requests and campaigns with their delivery progress (GET /v1/notices), and the policy
// announcements that ask for them (consent's GET /v1/policy-versions).
"use strict";

(function () {
  // One row per announced version: how many subjects have been asked a notice for, and whether all have.
  function announcements(answers) {
    const rows = [];
    for (const a of answers) for (const v of a.data || []) if (v.announcement) rows.push({ region: a.region, ...v });
    rows.sort((a, b) => new Date(b.publishedAt) - new Date(a.publishedAt));
    const row = v => el("tr", { "data-announcement": `${v.policyId}/${v.version}` },
      cell("Published", since(v.publishedAt)), cell("Region", v.region),
      cell("Policy", el("span", { class: "mono" }, `${v.policyId} ${v.version}`)),
      el("td", { class: "num", "data-label": "Subjects asked" }, v.announcement.subjectsAsked),
      el("td", { class: "num", "data-label": "Pages" }, v.announcement.pages),
      cell("State", v.announcement.finishedAt
        ? el("span", { class: "badge" }, "every subject asked")
        : el("span", { class: "badge" }, "paging through subjects")));
    return table(["Published", "Region", "Policy", "Subjects asked", "Pages", "State"], rows.map(row),
      { empty: "No policy version has been published yet." });
  }

  async function show(body) {
    const [answers, versions] = await Promise.all([getJson("/api/notices"), getJson("/api/policy-announcements")]);
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
      ...versions.filter(a => a.error).map(regionError),
      answeredBy(answers),
      el("h3", {}, "Policy announcements"),
      announcements(versions),
      el("h3", {}, "Campaigns"),
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
