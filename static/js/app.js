// AdLoop UI behaviour: small, dependency-free, progressive enhancement only.
// Every page works without it; it adds the mobile menu, copy buttons,
// dismissible messages and a readable message when an HTMX request fails.
(function () {
  "use strict";

  function setNav(open) {
    document.body.classList.toggle("nav-open", open);
    var toggle = document.querySelector("[data-nav-toggle]");
    if (toggle) toggle.setAttribute("aria-expanded", String(open));
    var scrim = document.querySelector("[data-nav-close]");
    if (scrim) scrim.hidden = !open;
  }

  function flash(text, level) {
    var box = document.getElementById("messages");
    if (!box) return;
    var item = document.createElement("div");
    item.className = "flash flash-" + (level || "error");
    item.setAttribute("role", "alert");
    var span = document.createElement("span");
    span.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "flash-close";
    close.setAttribute("data-dismiss", "");
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    item.append(span, close);
    box.append(item);
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    if (target.closest("[data-nav-toggle]")) {
      setNav(!document.body.classList.contains("nav-open"));
      return;
    }
    if (target.closest("[data-nav-close]")) {
      setNav(false);
      return;
    }
    var dismiss = target.closest("[data-dismiss]");
    if (dismiss) {
      dismiss.closest(".flash").remove();
      return;
    }
    var copy = target.closest("[data-copy]");
    if (copy) {
      var source = document.querySelector(copy.getAttribute("data-copy"));
      if (!source) return;
      var done = function () {
        copy.textContent = "Copied";
        setTimeout(function () { copy.textContent = "Copy"; }, 2000);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.textContent.trim()).then(done);
      } else {
        // Plain http (the local demo): select the text so Ctrl+C works.
        var range = document.createRange();
        range.selectNodeContents(source);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        copy.textContent = "Press Ctrl+C";
      }
      return;
    }
    // A click outside the open workspace switcher closes it.
    document.querySelectorAll("details[data-switcher][open]").forEach(function (d) {
      if (!d.contains(target)) d.removeAttribute("open");
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      setNav(false);
      document.querySelectorAll("details[data-switcher][open]").forEach(function (d) {
        d.removeAttribute("open");
      });
    }
  });

  // The Content-Security-Policy forbids style attributes, so values computed
  // on the server (a bar's width, a crop box, a brand colour) arrive as data
  // attributes and are set here through the CSSOM, which the policy allows.
  var PERCENT = ["width", "height", "left", "top"];
  function applyDataStyles(root) {
    if (!root || !root.querySelectorAll) return;
    var selector = PERCENT.map(function (p) { return "[data-pct-" + p + "]"; })
      .concat("[data-bg]").join(",");
    var nodes = Array.prototype.slice.call(root.querySelectorAll(selector));
    if (root.matches && root.matches(selector)) nodes.push(root);
    nodes.forEach(function (el) {
      PERCENT.forEach(function (p) {
        var value = parseFloat(el.getAttribute("data-pct-" + p));
        if (!isNaN(value)) el.style[p] = Math.max(0, Math.min(100, value)) + "%";
      });
      // An invalid colour is ignored by the CSSOM: nothing else is read from it.
      if (el.hasAttribute("data-bg")) el.style.backgroundColor = el.getAttribute("data-bg");
    });
  }
  applyDataStyles(document);
  document.addEventListener("htmx:load", function (event) {
    applyDataStyles(event.detail.elt);
  });

  // 403/404/5xx answers to HTMX requests are not swapped in (see the
  // htmx-config meta tag); say what happened instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    var text =
      status === 403 ? "Your role does not allow this action." :
      status === 404 ? "That item no longer exists. Reload the page." :
      "Something went wrong (" + status + "). Please try again.";
    flash(text, "error");
  });
  document.addEventListener("htmx:sendError", function () {
    flash("The server could not be reached. Check your connection.", "error");
  });
})();
