// Consents: each purpose of the person's policy, what the consent check allows now and why, with withdrawal of what is
// not essential, consent again after a policy change, and the policy text (GET /api/consents, /api/purposes).
"use strict";

(function () {
  const AGREEABLE = ["no-consent", "consent-withdrawn", "policy-changed"];

  function nameOf(purpose) { return language === "zh-CN" ? purpose.names.zhCn : purpose.names.en; }

  function stateOf(decision) {
    const cls = decision.allowed ? "st-allowed" : decision.reason === "policy-changed" ? "st-attention" : "st-off";
    return el("p", { class: `state ${cls}` }, t(`reason.${decision.reason}`, { version: decision.policyVersion ?? "", basis: decision.basis ?? "" }));
  }

  function purposePanel(purpose, decision, consent, reload) {
    const name = nameOf(purpose);
    const actions = el("div", { class: "actions" });
    const error = el("p", { class: "error", role: "alert" });
    const panel = el("section", { class: "panel purpose", "data-purpose": purpose.code, "aria-labelledby": `p-${purpose.code}` },
      el("h2", { id: `p-${purpose.code}` }, name, " ", el("span", { class: "badge" }, t(purpose.essential ? "essential" : "optional"))),
      stateOf(decision), actions);

    async function act(method, path, body, done) {
      error.textContent = "";
      try {
        await api(method, path, body);
        announce(done);
        await reload();
      } catch (e) { error.textContent = e.message; }
    }

    if (decision.allowed && decision.reason === "consent-granted" && !purpose.essential) {
      const ask = el("div", { class: "row", hidden: true, role: "group", "aria-label": t("withdraw") },
        el("span", {}, t("withdraw.ask", { name })),
        el("button", { type: "button", class: "danger", "data-action": "confirm-withdraw",
          onclick: () => act("DELETE", `/api/consents/${encodeURIComponent(purpose.code)}`, undefined, t("withdrawn", { name })) }, t("confirmWithdraw")),
        el("button", { type: "button", onclick: () => { ask.hidden = true; withdraw.hidden = false; withdraw.focus(); } }, t("cancel")));
      const withdraw = el("button", { type: "button", "data-action": "withdraw",
        onclick: () => { withdraw.hidden = true; ask.hidden = false; ask.querySelector("button").focus(); } }, t("withdraw"));
      actions.append(withdraw);
      panel.append(ask);
    }

    if (!decision.allowed && AGREEABLE.includes(decision.reason) && decision.policyVersion) {
      const label = decision.reason === "policy-changed" ? t("agreeAgain", { version: decision.policyVersion }) : t("agree", { version: decision.policyVersion });
      actions.append(el("button", { type: "button", class: "primary", "data-action": "agree",
        onclick: () => act("POST", "/api/consents", { purpose: purpose.code, policyVersion: decision.policyVersion }, t("agreed", { name })) }, label));
    }

    for (const category of (decision.allowed ? decision.sensitiveCategories : []) ?? []) {
      actions.append(el("button", { type: "button", "data-action": `stop-${category}`,
        onclick: () => act("DELETE", `/api/consents/${encodeURIComponent(purpose.code)}/sensitive-categories/${category}`, undefined,
          t("stoppedSharing", { name, category: t(`category.${category}`) })) }, t("stopSharing", { category: t(`category.${category}`) })));
    }

    if (decision.allowed && decision.sensitiveCategories?.length) {
      panel.append(el("p", { class: "muted" }, t("separately", { categories: decision.sensitiveCategories.map(c => t(`category.${c}`)).join(", ") })));
    }

    panel.append(error);
    return panel;
  }

  function policyText(policyId) {
    const text = el("div", { class: "policy-text", tabindex: "0" }, t("loading"));
    const details = el("details", { class: "policy" }, el("summary", {}, t("readPolicy")), text);
    details.addEventListener("toggle", async () => {
      if (!details.open || details.dataset.loaded) return;
      try {
        const policy = await api("GET", `/api/policies/${encodeURIComponent(policyId)}/current`);
        text.replaceChildren(el("h2", {}, t("policyVersion", { version: policy.version })),
          policy.text ? (language === "zh-CN" ? policy.text.zhCn : policy.text.en) : t("noPolicyText"));
        details.dataset.loaded = "true";
      } catch (e) { text.textContent = e.message; }
    });
    return details;
  }

  async function render(body, reload) {
    const mine = await api("GET", "/api/consents");
    const purposes = await api("GET", `/api/purposes?policyId=${encodeURIComponent(mine.subject.policyId)}`);
    const decisions = new Map(mine.decisions.map(d => [d.purpose, d]));
    const consents = new Map(mine.consents.map(c => [c.purpose, c]));
    fill(body, 
      el("h1", {}, t("consents.title")),
      el("p", {}, t("consents.intro")),
      mine.subject.needsGuardianConsent ? el("p", { class: "panel st-attention" }, t("consents.guardian")) : null,
      purposes.filter(p => decisions.has(p.code)).map(p => purposePanel(p, decisions.get(p.code), consents.get(p.code), reload)),
      policyText(mine.subject.policyId));
  }

  registerView({ id: "consents", title: "nav.consents", order: 10, render });
})();
