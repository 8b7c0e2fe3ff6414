// A cancelled account's receipt (IWK-2.5), opened from the link in the cancellation notice without signing in: when the
// data goes, whether a legal hold keeps it, and the certificate of deletion once it is done (GET /api/cancellation-receipts/{id}).
// The receipt's id is the link's fragment, which the browser never sends to a server, so no log holds it.
"use strict";

(function () {
  const body = document.getElementById("receipt");

  function day(iso) { return new Date(iso).toLocaleDateString(language); }

  function certificate(c) {
    return el("section", { class: "panel", "aria-labelledby": "certificate-title", "data-certificate": c.id },
      el("h2", { id: "certificate-title" }, t("receipt.certificate")),
      el("dl", { class: "fields" },
        el("dt", {}, t("receipt.certificateId")), el("dd", { "data-field": "certificateId" }, c.id),
        el("dt", {}, t("receipt.outcome")), el("dd", {}, t(`receipt.outcome.${c.outcome}`)),
        el("dt", {}, t("receipt.completedAt")), el("dd", {}, when(c.completedAt)),
        el("dt", {}, t("receipt.categories")), el("dd", {}, c.categories.map(k => hasText(`cat.${k.toLowerCase()}`) ? t(`cat.${k.toLowerCase()}`) : k).join(", ")),
        el("dt", {}, t("receipt.regions")), el("dd", {}, c.regions.map(r => hasText(`region.${r}`) ? t(`region.${r}`) : r).join(", "))));
  }

  async function render() {
    translateStatic("receipt.title");
    const id = location.hash.slice(1);
    let receipt = null;
    let problem = null;
    if (/^[0-9a-fA-F-]{36}$/.test(id)) {
      const response = await fetch(`/api/cancellation-receipts/${id}`, { credentials: "omit" });
      const data = await response.json().catch(() => ({}));
      if (response.ok) receipt = data;
      else problem = response.status === 404 ? t("receipt.unknown") : (data.detail || t("failed", { status: response.status }));
    } else {
      problem = t("receipt.unknown");
    }

    fill(body,
      el("h1", {}, t("receipt.title")),
      problem ? el("p", { class: "error", role: "alert" }, problem) : [
        el("p", {}, t("receipt.intro")),
        el("dl", { class: "fields" },
          el("dt", {}, t("receipt.cancelledAt")), el("dd", {}, day(receipt.cancelledAt)),
          el("dt", {}, t("receipt.removeAfter")), el("dd", {}, day(receipt.removeAfter))),
        el("p", { class: "panel", role: "status", "data-state": receipt.state },
          t(`receipt.${receipt.state}`, { date: day(receipt.removeAfter), outcome: t(`receipt.action.${receipt.action}`) })),
        receipt.certificate ? certificate(receipt.certificate) : null,
      ]);
    body.removeAttribute("aria-busy");
    body.setAttribute("data-loaded", "true");
  }

  document.getElementById("language").addEventListener("click", () => {
    switchLanguage();
    render();
  });
  window.addEventListener("hashchange", render);
  document.addEventListener("DOMContentLoaded", render);
})();
