// Notices: the suite's public bulletins (incidents, policy changes, the end of a service), in the person's language.
"use strict";

(function () {
  async function render(body) {
    const bulletins = await api("GET", "/api/bulletins");
    fill(body, 
      el("h1", {}, t("notices.title")),
      el("p", {}, t("notices.intro")),
      bulletins.length === 0 ? el("p", { class: "muted" }, t("notices.none")) : null,
      bulletins.map(b => {
        const text = language === "zh-CN" ? b.zhCn : b.en;
        return el("article", { class: "panel", "data-bulletin": b.bulletinId, lang: language },
          el("h2", {}, text.title), el("p", { class: "muted" }, when(b.publishedAt)), el("p", { class: "policy-text" }, text.body));
      }));
  }

  registerView({ id: "notices", title: "nav.notices", order: 50, render });
})();
