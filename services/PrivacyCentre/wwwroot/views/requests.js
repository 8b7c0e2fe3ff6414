// Corrections and erasure, each after a one-time code, and the person's requests with where each one stands
// (POST /api/rectification, /api/erasure; GET /api/requests).
"use strict";

(function () {
  const CATEGORIES = ["identity", "contact", "device", "usage", "location", "delivery"];

  function field(id, labelKey, input) {
    input.id = id;
    return [el("label", { for: id }, t(labelKey)), input];
  }

  function correction(reload) {
    const category = el("select", {}, CATEGORIES.map(c => el("option", { value: c }, t(`cat.${c}`))));
    const name = el("input", { type: "text", maxlength: "64", autocomplete: "off" });
    const value = el("input", { type: "text", maxlength: "1024", autocomplete: "off" });
    const reason = el("textarea", { maxlength: "500" });
    const done = el("p", { role: "status", class: "ok" });
    const missing = el("p", { class: "error", role: "alert" });
    return el("section", { class: "panel", "aria-labelledby": "correct-title", "data-request": "rectification" },
      el("h2", { id: "correct-title" }, forWhom("requests.correct")),
      el("p", { class: "muted" }, t("requests.correctHelp")),
      field("correct-category", "requests.category", category),
      field("correct-field", "requests.field", name),
      field("correct-value", "requests.value", value),
      field("correct-reason", "requests.reason", reason),
      missing,
      codeStep("rectification", async (verificationId, code) => {
        missing.textContent = "";
        if (!name.value.trim() || !value.value.trim() || !reason.value.trim()) throw new Error(t("requests.formMissing"));
        await api("POST", "/api/rectification", {
          verificationId, code, category: category.value, fields: { [name.value.trim()]: value.value.trim() }, reason: reason.value.trim(),
        });
        done.textContent = t("requests.corrected", { category: t(`cat.${category.value}`) });
        await reload();
      }),
      done);
  }

  function erasure(reload) {
    const reason = el("textarea", { maxlength: "500" });
    const confirm = el("input", { type: "checkbox", id: "erase-confirm" });
    const done = el("p", { role: "status", class: "ok" });
    return el("section", { class: "panel", "aria-labelledby": "erase-title", "data-request": "erasure" },
      el("h2", { id: "erase-title" }, forWhom("requests.erase")),
      el("p", { class: "muted" }, forWhom("requests.eraseHelp")),
      field("erase-reason", "requests.reason", reason),
      el("label", { for: "erase-confirm", class: "row" }, confirm, forWhom("requests.eraseConfirm")),
      codeStep("erasure", async (verificationId, code) => {
        if (!reason.value.trim() || !confirm.checked) throw new Error(t("requests.formMissing"));
        const erased = await api("POST", "/api/erasure", { verificationId, code, reason: reason.value.trim() });
        done.textContent = session.actingFor
          ? t("requests.erasedFor", { id: session.actingFor, cert: erased.deletionCertificateId, time: when(erased.erasedAt) })
          : t("requests.erased", { id: erased.deletionCertificateId, time: when(erased.erasedAt) });
      }),
      done);
  }

  function requestList(requests) {
    return table([t("col.request"), t("col.state"), t("col.started"), t("col.done")],
      requests.map(r => el("tr", { "data-request-id": r.id, "data-state": r.state },
        cell(t("col.request"), hasText(`request.${r.request}`) ? t(`request.${r.request}`) : r.request),
        cell(t("col.state"), el("span", { class: "badge" }, hasText(`state.${r.state}`) ? t(`state.${r.state}`) : r.state)),
        cell(t("col.started"), when(r.startedAt)),
        cell(t("col.done"), when(r.doneAt)))),
      t("requests.none"));
  }

  async function render(body, reload) {
    const list = await api("GET", "/api/requests");
    fill(body, 
      el("h1", {}, forWhom("requests.title")),
      correction(reload),
      erasure(reload),
      el("h2", {}, forWhom("requests.yours")),
      el("div", { id: "my-requests" }, requestList(list)));
  }

  registerView({ id: "requests", title: "nav.requests", order: 30, render });
})();
