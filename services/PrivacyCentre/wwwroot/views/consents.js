// Consents: each purpose of the person's policy, what the consent check allows now and why, with withdrawal of what is
// not essential, consent again after a policy change, and the policy text (GET /api/consents, /api/purposes).
"use strict";

(function () {
  const AGREEABLE = ["no-consent", "consent-withdrawn", "policy-changed"];

  function nameOf(purpose) { return language === "zh-CN" ? purpose.names.zhCn : purpose.names.en; }

  function stateOf(decision) {
    const cls = decision.allowed ? "st-allowed" : decision.reason === "policy-changed" ? "st-attention" : "st-off";
    const basis = decision.basis && hasText(`basis.${decision.basis}`) ? t(`basis.${decision.basis}`) : decision.basis ?? "";
    return el("p", { class: `state ${cls}` }, t(`reason.${decision.reason}`, { version: decision.policyVersion ?? "", basis }));
  }

  function purposePanel(purpose, decision, minorSelf, reload) {
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

    const guardianAgrees = session.actingFor && decision.reason === "guardian-consent-required";
    // A minor's own consent is their guardian's to give: no button for them, one for the guardian acting for them.
    if (!decision.allowed && !minorSelf && (AGREEABLE.includes(decision.reason) || guardianAgrees) && decision.policyVersion) {
      const label = decision.reason === "policy-changed" ? t("agreeAgain", { version: decision.policyVersion }) : t("agree", { version: decision.policyVersion });
      const consent = { purpose: purpose.code, policyVersion: decision.policyVersion };
      if (session.actingFor) {
        // A guardian's consent for the minor: a code to the guardian's own contact first (IWK-3.1).
        panel.append(guardianStep(purpose.code, label, async (verificationId, code) => {
          await api("POST", "/api/consents", { ...consent, guardianCode: { verificationId, code } });
          announce(t("agreed", { name }));
          await reload();
        }));
      } else {
        actions.append(el("button", { type: "button", class: "primary", "data-action": "agree",
          onclick: () => act("POST", "/api/consents", consent, t("agreed", { name })) }, label));
      }
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

  /** A guardian's agreement: a code to the guardian's own verified contact, then the consent with it. */
  function guardianStep(code, label, use) {
    const error = el("p", { class: "error", role: "alert" });
    const status = el("p", { role: "status" });
    const input = el("input", { type: "text", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "6", id: `guardian-code-${code}` });
    const form = el("form", { class: "code-step", hidden: true, "data-guardian-code-for": code, novalidate: true },
      el("label", { for: `guardian-code-${code}` }, t("guardianCode")), input, el("button", { type: "submit", class: "primary" }, t("code.go")));
    let verificationId = null;
    const start = el("button", { type: "button", class: "primary", "data-action": "agree", onclick: async () => {
      error.textContent = "";
      try {
        const started = await api("POST", "/api/guardian-codes");
        verificationId = started.verificationId;
        status.textContent = t("guardianCodeSent", { time: when(started.expiresAt) });
        form.hidden = false;
        input.focus();
      } catch (e) { error.textContent = e.message; }
    } }, label);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      error.textContent = "";
      if (!/^[0-9]{6}$/.test(input.value.trim())) { error.textContent = t("code.missing"); return; }
      try { await use(verificationId, input.value.trim()); } catch (err) { error.textContent = err.message; }
    });
    return el("div", { class: "guardian-step" }, start, status, form, error);
  }

  /** The minors in the person's care, each with a button to act for them while they need a guardian's consent. */
  async function wards() {
    if (session.actingFor) return null;
    const mine = await api("GET", "/api/wards");
    if (mine.length === 0) return null;
    return el("section", { class: "panel wards", "aria-labelledby": "wards-title" },
      el("h2", { id: "wards-title" }, t("wards.title")),
      el("p", { class: "muted" }, t("wards.intro")),
      el("ul", {}, mine.map(w => el("li", { "data-ward": w.subjectId },
        el("span", { class: "mono" }, w.subjectId),
        w.needsGuardianConsent
          ? el("button", { type: "button", "data-action": "act-for", onclick: () => actFor(w.subjectId).catch(e => announce(e.message)) }, t("wards.actFor"))
          : el("span", { class: "muted" }, t("wards.adult"))))));
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
    fill(body, 
      el("h1", {}, forWhom("consents.title")),
      el("p", {}, forWhom("consents.intro")),
      await wards(),
      mine.subject.needsGuardianConsent && !session.actingFor ? el("p", { class: "panel st-attention" }, t("consents.guardian")) : null,
      purposes.filter(p => decisions.has(p.code))
        .map(p => purposePanel(p, decisions.get(p.code), mine.subject.needsGuardianConsent && !session.actingFor, reload)),
      policyText(mine.subject.policyId));
  }

  registerView({ id: "consents", title: "nav.consents", order: 10, render });
})();
