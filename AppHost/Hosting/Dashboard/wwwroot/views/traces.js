// Traces: the traces in the telemetry window (GET /api/traces), and one trace as a waterfall across services
// (GET /api/traces/{id}), with each span's attributes and events.
"use strict";

(function () {
  let filters = { resource: "", text: "", all: "" };
  let selectedSpan = null;
  let listBody = null;

  async function loadList() {
    if (!listBody) return;
    const params = new URLSearchParams({ limit: "100" });
    if (filters.resource) params.set("resource", filters.resource);
    if (filters.text) params.set("text", filters.text);
    if (!filters.all) params.set("minSpans", "2"); // background polling makes many one-span traces
    try {
      const data = await getJson(`/api/traces?${params}`);
      listBody.replaceChildren(data.traces.length === 0
        ? el("p", { class: "muted empty" }, "No traces in the window yet: use the suite, or check that telemetry is not paused.")
        : el("table", { class: "traces" },
          el("thead", {}, el("tr", {}, ["Time", "Name", "Resources", "Spans", "Duration", ""].map(h => el("th", {}, h)))),
          el("tbody", {}, data.traces.map(t => el("tr", { class: "clickable", "data-trace": t.traceId, onclick: () => { location.hash = `#/traces/${t.traceId}`; } },
            cell("Time", new Date(t.start).toLocaleTimeString()),
            cell("Name", el("a", { href: `#/traces/${t.traceId}` }, t.name), el("div", { class: "muted mono" }, t.traceId.slice(0, 12))),
            cell("Resources", t.resources.map(resourceBadge)),
            el("td", { class: "num", "data-label": "Spans" }, t.spanCount),
            el("td", { class: "num", "data-label": "Duration" }, ms(t.durationMs)),
            cell("", t.errorCount > 0 ? el("span", { class: "badge h-Unhealthy" }, `${t.errorCount} errors`) : ""))))));
      listBody.append(el("p", { class: "muted" }, `${data.traces.length} of ${data.total} traces${data.paused ? " · telemetry paused" : ""}`));
    } catch (e) {
      listBody.replaceChildren(el("p", { class: "error" }, e.message));
    }
  }

  function renderList(container, q) {
    filters = { resource: q.get("resource") || "", text: q.get("text") || "", all: q.get("all") || "" };
    const text = el("input", { type: "search", placeholder: "Span name or trace id", value: filters.text, "aria-label": "Filter traces",
      oninput: e => { filters.text = e.target.value.trim(); setQuery(filters); loadList(); } });
    listBody = el("div", {});
    container.replaceChildren(
      el("div", { class: "toolbar" }, el("h1", {}, "Traces"),
        resourceSelect(filters.resource, v => { filters.resource = v; setQuery(filters); loadList(); }, { projectsOnly: true }),
        text,
        el("label", { title: "Database polls of the outbox relays and sweepers are traces of one span" },
          el("input", { type: "checkbox", checked: !!filters.all, onchange: e => { filters.all = e.target.checked ? "1" : ""; setQuery(filters); loadList(); } }), " single-span traces"),
        telemetryControls(loadList)),
      listBody);
    loadList();
  }

  /** HTTP spans by method and route (as the API titles traces), others by their name. */
  function title(span) {
    const a = span.attributes;
    const method = a["http.request.method"];
    if (!method) return span.name;
    const target = a["http.route"] || a["url.path"] || (a["url.full"] ? new URL(a["url.full"]).pathname : "");
    return target ? `${method} ${target}` : span.name;
  }

  /** Orders spans depth-first from the roots, so children sit under their parent. */
  function tree(spans) {
    const byParent = new Map();
    const ids = new Set(spans.map(s => s.spanId));
    for (const s of spans) {
      const parent = s.parentSpanId && ids.has(s.parentSpanId) ? s.parentSpanId : "";
      if (!byParent.has(parent)) byParent.set(parent, []);
      byParent.get(parent).push(s);
    }
    const ordered = [];
    (function walk(parent, depth) {
      for (const s of (byParent.get(parent) || []).sort((a, b) => new Date(a.start) - new Date(b.start))) {
        ordered.push({ span: s, depth });
        walk(s.spanId, depth + 1);
      }
    })("", 0);
    return ordered;
  }

  function details(span) {
    if (!span) return el("div", { class: "span-details muted" }, "Select a span to see its attributes.");
    const attrs = Object.entries(span.attributes).sort(([a], [b]) => a.localeCompare(b));
    return el("div", { class: "span-details" },
      el("h2", {}, title(span)),
      title(span) !== span.name ? el("p", { class: "muted mono" }, span.name) : null,
      el("dl", {},
        el("dt", {}, "Resource"), el("dd", {}, resourceBadge(span.resource.name)),
        el("dt", {}, "Kind"), el("dd", {}, span.kind),
        el("dt", {}, "Status"), el("dd", {}, span.status + (span.statusMessage ? `: ${span.statusMessage}` : "")),
        el("dt", {}, "Scope"), el("dd", {}, span.scope),
        el("dt", {}, "Duration"), el("dd", {}, ms(span.durationMs)),
        el("dt", {}, "Span id"), el("dd", { class: "mono" }, span.spanId),
        el("dt", {}, "Parent"), el("dd", { class: "mono" }, span.parentSpanId || "(root)")),
      el("h3", {}, "Attributes"),
      table(["Key", "Value"], attrs.map(([k, v]) => el("tr", {}, cell("Key", el("span", { class: "mono" }, k)), cell("Value", v))), { empty: "No attributes." }),
      span.events.length ? el("h3", {}, "Events") : null,
      span.events.length ? table(["Time", "Name"], span.events.map(e => el("tr", {}, cell("Time", new Date(e.time).toLocaleTimeString()), cell("Name", e.name)))) : null);
  }

  async function renderTrace(container, traceId) {
    container.replaceChildren(el("p", { class: "muted" }, "Loading trace…"));
    let trace;
    try {
      trace = await getJson(`/api/traces/${encodeURIComponent(traceId)}`);
    } catch (e) {
      container.replaceChildren(el("a", { href: "#/traces" }, "← Traces"), el("p", { class: "error" }, e.message));
      return;
    }
    const start = new Date(trace.start).getTime();
    const total = Math.max(trace.durationMs, 0.001);
    const side = el("div", {});
    const rows = tree(trace.spans).map(({ span, depth }) => {
      const offset = (new Date(span.start).getTime() - start) / total * 100;
      const width = Math.max(span.durationMs / total * 100, 0.4);
      const row = el("div", { class: "wf-row" + (span.status === "Error" ? " error" : ""), "data-span": span.spanId, "data-resource": span.resource.name, tabindex: "0" },
        el("div", { class: "wf-label", style: { paddingLeft: `${depth * 14 + 4}px` } },
          el("span", { class: "dot", style: { background: colorOf(span.resource.name) } }),
          el("span", { class: "wf-res" }, span.resource.name), " ", title(span)),
        el("div", { class: "wf-track" },
          el("div", { class: "wf-bar", style: { left: `${Math.min(offset, 99.6)}%`, width: `${Math.min(width, 100 - Math.min(offset, 99.6))}%`, background: colorOf(span.resource.name) } }),
          el("span", { class: "wf-ms" }, ms(span.durationMs))));
      const select = () => {
        selectedSpan = span.spanId;
        for (const r of container.querySelectorAll(".wf-row.selected")) r.classList.remove("selected");
        row.classList.add("selected");
        side.replaceChildren(details(span));
      };
      row.addEventListener("click", select);
      row.addEventListener("keydown", e => { if (e.key === "Enter") select(); });
      return row;
    });
    container.replaceChildren(
      el("div", { class: "toolbar" }, el("a", { href: "#/traces" }, "← Traces"), el("h1", {}, trace.name),
        el("span", { class: "muted" }, `${trace.spanCount} spans · ${ms(trace.durationMs)} · ${new Date(trace.start).toLocaleString()}`),
        el("a", { href: `#/logs?traceId=${trace.traceId}` }, "Logs of this trace")),
      el("div", { class: "legend" }, trace.resources.map(resourceBadge), el("span", { class: "muted mono" }, trace.traceId)),
      el("div", { class: "waterfall-layout" },
        el("div", { class: "waterfall" },
          el("div", { class: "wf-row wf-head" }, el("div", { class: "wf-label" }, "Span"),
            el("div", { class: "wf-track wf-scale" }, [0, 25, 50, 75, 100].map(p => el("span", { style: { left: `${p}%` } }, ms(total * p / 100))))),
          rows),
        side));
    const chosen = trace.spans.find(s => s.spanId === selectedSpan) || null;
    side.replaceChildren(details(chosen));
  }

  registerView({
    id: "traces",
    title: "Traces",
    order: 40,
    leave() { listBody = null; },
    render(container, arg, q) {
      if (arg) { listBody = null; renderTrace(container, arg); } else renderList(container, q);
    },
    tick() { if (listBody && !document.hidden) loadList(); },
  });
})();
