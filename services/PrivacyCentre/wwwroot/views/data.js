// Your data: access (what the vault holds, readable) and export (a JSON file), each after a one-time code to the
// person's verified contact (POST /api/codes, then /api/access or /api/export).
"use strict";

(function () {
  function categoryPanel(category) {
    return el("section", { class: "panel", "data-category": category.category },
      el("h2", {}, t(`cat.${category.category}`)),
      el("dl", { class: "fields" },
        Object.entries(category.fields).map(([name, value]) => [el("dt", {}, name), el("dd", { "data-field": name }, value)]),
        el("dt", {}, t("source")), el("dd", {}, hasText(`source.${category.source}`) ? t(`source.${category.source}`) : category.source),
        el("dt", {}, t("basis")), el("dd", {}, category.legalBasis),
        el("dt", {}, t("updated")), el("dd", {}, when(category.updatedAt))));
  }

  function download(data) {
    const file = `privacy-export-${new Date().toISOString().slice(0, 10)}.json`;
    const link = el("a", { href: URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" })), download: file });
    document.body.append(link);
    link.click();
    link.remove();
    return file;
  }

  async function render(body) {
    const shown = el("div", { id: "my-data", "aria-live": "polite" });
    const exported = el("p", { role: "status", id: "export-done" });
    fill(body, 
      el("h1", {}, forWhom("data.title")),
      el("p", {}, forWhom("data.intro")),
      el("section", { class: "panel", "aria-labelledby": "access-title" },
        el("h2", { id: "access-title" }, forWhom("data.access")),
        codeStep("access", async (verificationId, code) => {
          const data = await api("POST", "/api/access", { verificationId, code });
          fill(shown, data.categories.map(categoryPanel));
          announce(forWhom("data.access"));
        }, { label: forWhom("data.access") }),
        shown),
      el("section", { class: "panel", "aria-labelledby": "export-title" },
        el("h2", { id: "export-title" }, forWhom("data.export")),
        el("p", { class: "muted" }, t("data.exportHelp")),
        codeStep("export", async (verificationId, code) => {
          const data = await api("POST", "/api/export", { verificationId, code });
          exported.textContent = t("downloaded", { file: download(data) });
        }, { label: forWhom("data.export") }),
        exported));
  }

  registerView({ id: "data", title: "nav.data", order: 20, render });
})();
