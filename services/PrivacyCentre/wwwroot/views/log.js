// Who used your data: the vault's access log for the person (IWK-2.3), newest first (GET /api/access-log).
"use strict";

(function () {
  async function render(body) {
    const log = await api("GET", "/api/access-log");
    const entries = log.entries;
    fill(body, 
      el("h1", {}, forWhom("log.title")),
      el("p", {}, forWhom("log.intro")),
      table([t("col.when"), t("col.who"), t("col.what"), t("col.purpose"), t("col.category"), t("col.outcome")],
        entries.map(e => el("tr", { "data-entry": e.position },
          cell(t("col.when"), when(e.at)),
          cell(t("col.who"), e.accessor === session.subjectId ? t("you") : e.accessor === "anonymous" ? t("signInAttempt") : e.accessor),
          cell(t("col.what"), e.action),
          cell(t("col.purpose"), e.purpose ?? ""),
          cell(t("col.category"), e.category ? (hasText(`cat.${e.category}`) ? t(`cat.${e.category}`) : e.category) : ""),
          cell(t("col.outcome"), hasText(`outcome.${e.outcome}`) ? t(`outcome.${e.outcome}`) : e.outcome))),
        t("log.none")));
  }

  registerView({ id: "log", title: "nav.log", order: 40, render });
})();
