/*
 * The variants panel of the post editor: channel tabs, live counters and
 * previews after each HTMX swap, and "Stream a variant" (EventSource on the
 * SSE view: `delta` events append text, `done` reloads the panel, `error`
 * shows the message). Without JavaScript every channel shows one under another.
 */
(function () {
  "use strict";

  // The network tab chosen, kept across panel swaps; a link to "#tab-<network>"
  // (the publications' "Edit the … copy") opens on that channel's tab.
  var fromHash = /^#tab-([a-z0-9_-]+)$/.exec(window.location.hash || "");
  var active = fromHash ? fromHash[1] : null;

  function showTab(root, network) {
    var tabs = root.querySelectorAll("[data-tab]");
    if (!tabs.length) return;
    var found = false;
    tabs.forEach(function (t) { if (t.dataset.tab === network) found = true; });
    if (!found) network = tabs[0].dataset.tab;
    active = network;
    tabs.forEach(function (tab) {
      var on = tab.dataset.tab === network;
      tab.classList.toggle("is-active", on);
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
    });
    root.querySelectorAll(".tabpanel[data-network]").forEach(function (panel) {
      panel.hidden = panel.dataset.network !== network;
    });
  }

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  function livePreview(root) {
    root.querySelectorAll("[data-preview-source]").forEach(function (field) {
      var card = field.closest("[data-variant]");
      var target = card && card.querySelector("[data-preview-text]");
      if (!target) return;
      field.addEventListener("input", function () {
        target.innerHTML = escapeHtml(field.value);
      });
    });
  }

  function setup(root, counters) {
    if (!root) return;
    var tabs = root.querySelector("[data-variant-tabs]");
    if (tabs) showTab(tabs, active);
    if (counters && window.AdLoopCharcount) window.AdLoopCharcount.bindAll(root);
    livePreview(root);
  }

  function reloadPanel(url) {
    if (window.htmx) {
      window.htmx.ajax("GET", url, { target: "#variants-panel", swap: "outerHTML" });
    } else {
      window.location.reload();
    }
  }

  function stream(box) {
    var out = box.querySelector("[data-stream-out]");
    var status = box.querySelector("[data-stream-status]");
    var button = box.querySelector("[data-stream-start]");
    // The tone and language of this channel's own generate form.
    var tab = box.closest(".tabpanel") || document;
    var tone = tab.querySelector("[name=tone]");
    var language = tab.querySelector("[name=language]");
    var url = box.dataset.streamUrl;
    if (tone && tone.value) url += "&tone=" + encodeURIComponent(tone.value);
    if (language && language.value) {
      url += "&language=" + encodeURIComponent(language.value);
    }
    out.textContent = "";
    out.hidden = false;
    status.textContent = "Writing…";
    status.classList.remove("is-error");
    button.disabled = true;
    var source = new EventSource(url);
    function stop(message, isError) {
      source.close();
      button.disabled = false;
      status.textContent = message;
      status.classList.toggle("is-error", !!isError);
    }
    source.addEventListener("delta", function (event) {
      out.textContent += JSON.parse(event.data).text;
    });
    source.addEventListener("done", function (event) {
      var data = JSON.parse(event.data);
      stop("Variant " + data.label + " saved.", false);
      box.dataset.streamedVariant = data.variant_id;
      setTimeout(function () { reloadPanel(box.dataset.panelUrl); }, 600);
    });
    source.addEventListener("error", function (event) {
      // A named `error` event from the server carries a message; a bare one
      // is the connection failing (EventSource would reconnect: don't).
      var message = "The stream was interrupted; nothing was saved.";
      if (event.data) {
        try { message = JSON.parse(event.data).message || message; } catch (e) {}
      }
      stop(message, true);
    });
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    var tab = target.closest("[data-tab]");
    if (tab) {
      showTab(tab.closest("[data-variant-tabs]"), tab.dataset.tab);
      return;
    }
    var start = target.closest("[data-stream-start]");
    if (start) stream(start.closest("[data-stream-box]"));
  });

  // An outerHTML swap replaces the target: settle on the new element.
  document.addEventListener("htmx:afterSettle", function () {
    var panel = document.getElementById("variants-panel");
    if (panel && !panel.dataset.ready) { panel.dataset.ready = "1"; setup(panel, true); }
  });

  function init() {
    var panel = document.getElementById("variants-panel");
    // charcount.js binds the counters present at load itself.
    if (panel) { panel.dataset.ready = "1"; setup(panel, false); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
