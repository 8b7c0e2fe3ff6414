// What both pages of the centre (index.html, receipt.html) build their content with: elements, their text in the
// person's language (i18n.js), and times.
"use strict";

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.setAttribute("class", v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** Replaces what `node` shows with `children` (nested lists flattened, null and false left out). */
function fill(node, ...children) {
  node.replaceChildren(...children.flat(Infinity).filter(c => c !== null && c !== undefined && c !== false));
}

function when(iso) { return iso ? new Date(iso).toLocaleString(language) : ""; }

/** The page's fixed words ([data-t]), its language and title, and the language button, in the language chosen. */
function translateStatic(titleKey) {
  document.documentElement.lang = language;
  document.title = t(titleKey);
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  const toggle = document.getElementById("language");
  toggle.textContent = t("language");
  toggle.lang = language === "en" ? "zh-CN" : "en";
}

/** The other of the two languages, kept in this browser. */
function switchLanguage() {
  language = language === "en" ? "zh-CN" : "en";
  localStorage.setItem("privacy-centre-language", language);
}
