// Notices: those sent to the person (a deletion certificate's, a policy update's, an incident's; a one-time code's
// without its code), and the suite's public bulletins, in the person's language (GET /api/notices, /api/bulletins).
"use strict";

(function () {
  function sentToYou(notices) {
    return table([t("col.when"), t("col.notice"), t("col.channel"), t("col.state")], notices.map(n => {
      const text = n.text[language] ?? n.text.en;
      return el("tr", { "data-notice": n.requestId, "data-type": n.noticeType },
        cell(t("col.when"), when(n.completedAt ?? n.requestedAt)),
        cell(t("col.notice"), text.body ? el("details", {}, el("summary", {}, text.subject), el("p", { class: "policy-text" }, text.body)) : text.subject),
        cell(t("col.channel"), n.channel ? (hasText(`channel.${n.channel}`) ? t(`channel.${n.channel}`) : n.channel) : ""),
        cell(t("col.state"), hasText(`delivery.${n.status}`) ? t(`delivery.${n.status}`) : n.status));
    }), t("notices.noneSent"));
  }

  async function render(body) {
    const bulletins = await api("GET", "/api/bulletins");
    const mine = await api("GET", "/api/notices");
    fill(body,
      el("h1", {}, t("notices.title")),
      el("h2", {}, forWhom("notices.sent")), el("div", { id: "my-notices" }, sentToYou(mine)),
      el("h2", {}, t("notices.public")),
      el("p", {}, t("notices.intro")),
      bulletins.length === 0 ? el("p", { class: "muted" }, t("notices.none")) : null,
      bulletins.map(b => {
        const text = language === "zh-CN" ? b.zhCn : b.en;
        return el("article", { class: "panel", "data-bulletin": b.bulletinId, lang: language },
          el("h3", {}, text.title), el("p", { class: "muted" }, when(b.publishedAt)), el("p", { class: "policy-text" }, text.body));
      }));
  }

  registerView({ id: "notices", title: "nav.notices", order: 50, render });
})();
