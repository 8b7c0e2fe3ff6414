// Console logs: a resource's stdout and stderr as the AppHost captured them, followed live (server-sent events).
"use strict";

let logSource = null;

registerView({
  id: "console",
  title: "Console",
  order: 20,
  leave() {
    if (logSource) { logSource.close(); logSource = null; }
    delete document.getElementById("view").dataset.console;
  },
  render(container, arg) {
    const name = arg || (state.resources[0] && state.resources[0].name) || "";
    if (container.dataset.console === name && logSource) return; // already following
    container.dataset.console = name;
    if (logSource) { logSource.close(); logSource = null; }
    const output = el("pre", { class: "console", "aria-live": "off" });
    const follow = el("input", { type: "checkbox", id: "follow", checked: true });
    const select = resourceSelect(name, value => { location.hash = `#/console/${encodeURIComponent(value)}`; }, { any: null });
    container.replaceChildren(
      el("div", { class: "toolbar" }, el("h1", {}, "Console logs"), select,
        el("label", {}, follow, " follow"),
        el("button", { onclick: () => output.replaceChildren() }, "Clear")),
      output);
    if (!name || !state.authenticated) { output.textContent = state.authenticated ? "" : "Log in to see console logs."; return; }
    logSource = new EventSource(`/api/resources/${encodeURIComponent(name)}/logs`);
    logSource.onmessage = (e) => {
      const line = JSON.parse(e.data);
      const isAppHost = line.text.startsWith("[apphost]");
      output.append(el("div", { class: isAppHost ? "a" : "" }, el("span", { class: "t" }, new Date(line.time).toLocaleTimeString() + " "), line.text));
      while (output.childNodes.length > 5000) output.firstChild.remove();
      if (follow.checked) output.scrollTop = output.scrollHeight;
    };
    logSource.onerror = () => setStatus("console stream interrupted; retrying");
  },
});
