// The demo inbox page reloads itself every 15 seconds so a delivery shows up
// without a click (the page is small; nothing is typed on it).
(function () {
  "use strict";
  if (!document.querySelector("[data-demo-refresh]")) return;
  window.setInterval(function () {
    if (document.visibilityState === "visible") window.location.reload();
  }, 15000);
})();
