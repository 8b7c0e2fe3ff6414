// Metrics: every instrument a resource reports (GET /api/metrics?resource=NAME), drawn as SVG line charts here
// (no chart library: nothing is loaded from outside the AppHost). Counters show their rate, histograms the mean
// of each export interval, gauges and up-down counters their value.
"use strict";

(function () {
  let resource = "";
  let filter = "";
  let body = null;

  /** The plotted points of one series: [{t (ms), v}]. */
  function plotted(instrument, series) {
    const pts = series.points.map(p => ({ t: new Date(p.time).getTime(), v: p.value, c: p.count }));
    if (instrument.type === "gauge" || !instrument.monotonic) return pts.map(p => ({ t: p.t, v: p.v }));
    const out = [];
    for (let i = 1; i < pts.length; i++) {
      const a = pts[i - 1], b = pts[i];
      const dt = (b.t - a.t) / 1000;
      if (dt <= 0) continue;
      if (instrument.type === "histogram") {
        const dc = (b.c || 0) - (a.c || 0);
        if (dc < 0) continue; // the process restarted: cumulative values began again
        out.push({ t: b.t, v: dc > 0 ? (b.v - a.v) / dc : 0 });
      } else {
        const dv = b.v - a.v;
        out.push({ t: b.t, v: dv < 0 ? b.v / dt : dv / dt });
      }
    }
    return out;
  }

  function label(attributes) {
    const entries = Object.entries(attributes);
    return entries.length === 0 ? "(all)" : entries.map(([k, v]) => `${k}=${v}`).join(", ");
  }

  function fmt(v) {
    const a = Math.abs(v);
    if (a === 0) return "0";
    if (a >= 1e9) return (v / 1e9).toFixed(1) + "G";
    if (a >= 1e6) return (v / 1e6).toFixed(1) + "M";
    if (a >= 1e3) return (v / 1e3).toFixed(1) + "k";
    if (a >= 1) return v.toFixed(a >= 100 ? 0 : 1);
    return v.toPrecision(2);
  }

  function chart(instrument) {
    const W = 560, H = 180, L = 48, R = 8, T = 8, B = 22;
    const lines = instrument.series.map(s => ({ s, pts: plotted(instrument, s) })).filter(x => x.pts.length > 0);
    const all = lines.flatMap(x => x.pts);
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": `${instrument.name} chart` });
    if (all.length === 0) {
      svg.append(el("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "axis" }, "waiting for a second export…"));
      return { svg, lines };
    }
    const t0 = Math.min(...all.map(p => p.t)), t1 = Math.max(...all.map(p => p.t));
    const vmax = Math.max(...all.map(p => p.v), 0), vmin = Math.min(...all.map(p => p.v), 0);
    const span = vmax - vmin || 1;
    const x = t => L + (t1 === t0 ? (W - L - R) : (t - t0) / (t1 - t0) * (W - L - R));
    const y = v => T + (1 - (v - vmin) / span) * (H - T - B);
    for (const f of [0, 0.5, 1]) {
      const v = vmin + f * span;
      svg.append(el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "grid" }),
        el("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end", class: "axis" }, fmt(v)));
    }
    svg.append(el("text", { x: L, y: H - 6, class: "axis" }, new Date(t0).toLocaleTimeString()),
      el("text", { x: W - R, y: H - 6, "text-anchor": "end", class: "axis" }, new Date(t1).toLocaleTimeString()));
    lines.forEach((line, i) => {
      const color = `hsl(${(i * 67) % 360} 60% 42%)`;
      line.color = color;
      const d = line.pts.map((p, j) => `${j ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ");
      svg.append(el("path", { d, fill: "none", stroke: color, "stroke-width": "1.6" }, el("title", {}, label(line.s.attributes))));
      if (line.pts.length === 1) svg.append(el("circle", { cx: x(line.pts[0].t), cy: y(line.pts[0].v), r: 3, fill: color }));
    });
    return { svg, lines };
  }

  function card(instrument) {
    const { svg, lines } = chart(instrument);
    const what = instrument.type === "histogram" ? `mean per interval${instrument.unit ? ` (${instrument.unit})` : ""}`
      : instrument.type === "sum" && instrument.monotonic ? `rate per second${instrument.unit ? ` (${instrument.unit}/s)` : ""}` : (instrument.unit || "value");
    const latest = lines.length === 1 ? fmt(lines[0].pts[lines[0].pts.length - 1].v) : "";
    return el("section", { class: "card metric", "data-instrument": instrument.name },
      el("h2", {}, instrument.name, " ", el("span", { class: "muted" }, latest)),
      el("p", { class: "muted" }, `${instrument.description || ""} · ${instrument.type}, ${what}`),
      svg,
      lines.length > 1 ? el("ul", { class: "series" }, lines.slice(0, 8).map(l =>
        el("li", {}, el("span", { class: "dot", style: { background: l.color } }), label(l.s.attributes)))) : null);
  }

  async function load() {
    if (!body) return;
    if (!resource) {
      body.replaceChildren(el("p", { class: "muted empty" }, "Choose a resource."));
      return;
    }
    try {
      const data = await getJson(`/api/metrics?resource=${encodeURIComponent(resource)}`);
      // The suite's own instruments first (outbox, relay lag...), then HTTP, then the rest.
      const rank = name => name.startsWith("privacysuite.") ? 0 : name.startsWith("http.") ? 1 : 2;
      const shown = data.instruments.filter(i => !filter || i.name.includes(filter))
        .sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
      body.replaceChildren(shown.length === 0
        ? el("p", { class: "muted empty" }, `No metrics from ${resource} in the window yet (services export every few seconds).`)
        : el("div", { class: "cards" }, shown.map(card)));
    } catch (e) {
      body.replaceChildren(el("p", { class: "error" }, e.message));
    }
  }

  registerView({
    id: "metrics",
    title: "Metrics",
    order: 50,
    leave() { body = null; },
    render(container, arg, q) {
      resource = q.get("resource") || resource || (state.resources.find(r => r.type === "Project") || {}).name || "";
      filter = q.get("name") || "";
      body = el("div", {});
      container.replaceChildren(
        el("div", { class: "toolbar" }, el("h1", {}, "Metrics"),
          resourceSelect(resource, v => { resource = v; setQuery({ resource, name: filter }); load(); }, { any: null, projectsOnly: true }),
          el("input", { type: "search", placeholder: "Instrument name", value: filter, "aria-label": "Instrument",
            oninput: e => { filter = e.target.value.trim(); setQuery({ resource, name: filter }); load(); } }),
          telemetryControls(load)),
        body);
      load();
    },
    tick() { if (body && !document.hidden) load(); },
  });
})();
