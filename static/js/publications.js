// Calendar cards: the publication status of each post (per channel account),
// polled from one small JSON endpoint (one query per poll) every 20 seconds
// while the tab is visible. Without this script the cards show the post's
// status only.
(function () {
  "use strict";

  var script = document.currentScript;
  var url = script && script.getAttribute("data-url");
  if (!url) return;
  var INTERVAL = 20000;

  function cards() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-post]"));
  }

  function summary(rows) {
    var counts = {};
    var order = [];
    rows.forEach(function (row) {
      if (!(row.label in counts)) { counts[row.label] = 0; order.push(row.label); }
      counts[row.label] += 1;
    });
    return order.map(function (label) {
      return counts[label] > 1 ? label + " ×" + counts[label] : label;
    }).join(" · ");
  }

  function apply(data) {
    cards().forEach(function (card) {
      var box = card.querySelector("[data-pub-status]");
      if (!box) return;
      var rows = (data.posts || {})[card.getAttribute("data-post")] || [];
      var text = rows.length ? summary(rows) : "";
      // One state that repeats the post's own status ("Scheduled" twice) says
      // nothing more: show the rows only where they add something.
      var own = card.querySelector(".post-card-status");
      if (!text || (own && own.textContent.trim() === text)) {
        box.hidden = true; box.textContent = ""; return;
      }
      box.hidden = false;
      box.textContent = text;
      box.title = rows.map(function (r) { return r.account + ": " + r.label; }).join("\n");
      var worst = rows.some(function (r) { return r.status === "failed"; }) ? "failed"
        : rows.some(function (r) { return r.status === "unconfirmed"; }) ? "unconfirmed" : "";
      box.setAttribute("data-pub-worst", worst);
    });
  }

  function poll() {
    if (document.hidden) return;
    var ids = cards().map(function (c) { return c.getAttribute("data-post"); });
    if (!ids.length) return;
    fetch(url + "?posts=" + encodeURIComponent(ids.join(",")), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) apply(data); })
      .catch(function () { /* offline: try again at the next tick */ });
  }

  poll();
  window.setInterval(poll, INTERVAL);
  document.addEventListener("visibilitychange", poll);
})();
