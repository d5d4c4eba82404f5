// The calendar's behaviour: drag a post to another day (or hour) to move it,
// click an empty day to add a post, filters that apply on change.
// Without this script the calendar still works: cards are links, days have
// a "+" link, the filter form has an Apply button.
(function () {
  "use strict";

  var calendar = document.querySelector("[data-calendar]");
  var statusBox = document.querySelector("[data-cal-status]");

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function flash(text, level) {
    var box = document.getElementById("messages");
    if (statusBox) statusBox.textContent = text;
    if (!box) return;
    var item = document.createElement("div");
    item.className = "flash flash-" + level;
    item.setAttribute("role", level === "error" ? "alert" : "status");
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
    if (level !== "error") setTimeout(function () { item.remove(); }, 5000);
  }

  // Filters apply as soon as one changes; the Apply button is for no-JS.
  var filters = document.querySelector("form[data-autosubmit]");
  if (filters) {
    filters.querySelectorAll("[data-autosubmit-hide]").forEach(function (b) { b.hidden = true; });
    filters.addEventListener("change", function () { filters.requestSubmit(); });
  }

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });

  if (!calendar) return;

  // The week view opens at 08:00, or earlier when a post of the week is
  // earlier, with that hour's row (and its label) just below the sticky day
  // header. Positions are measured against the scroll box itself: offsetTop
  // is relative to whichever ancestor happens to be positioned, and scrolling
  // by it hid the morning's rows and posts under the header.
  var wrap = calendar.closest(".cal-week-wrap");
  var scrollHere = calendar.querySelector("[data-scroll-here]");
  if (wrap && scrollHere) {
    var first = null;
    calendar.querySelectorAll(".cal-slot").forEach(function (slot) {
      if (!slot.querySelector(".post-card")) return;
      var hour = Number(slot.getAttribute("data-drop-hour"));
      if (first === null || hour < first) first = hour;
    });
    var hourNow = Number(scrollHere.getAttribute("data-drop-hour"));
    var row = scrollHere;
    if (first !== null && first < hourNow) {
      row = calendar.querySelector('.cal-slot[data-drop-hour="' + first + '"]') || scrollHere;
    }
    var head = calendar.querySelector(".cal-week-day");
    var headHeight = head ? head.getBoundingClientRect().height : 0;
    var offset = row.getBoundingClientRect().top - wrap.getBoundingClientRect().top + wrap.scrollTop;
    wrap.scrollTop = Math.max(0, offset - headHeight);
  }

  var dragged = null; // {card, parent, next}

  calendar.addEventListener("dragstart", function (event) {
    var card = event.target instanceof Element ? event.target.closest(".post-card[draggable=true]") : null;
    if (!card) return;
    dragged = { card: card, parent: card.parentNode, next: card.nextSibling };
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-post"));
    card.classList.add("is-dragging");
  });

  calendar.addEventListener("dragend", function () {
    // `dragged` is already cleared when the drop landed; clear every card.
    calendar.querySelectorAll(".is-dragging").forEach(function (el) { el.classList.remove("is-dragging"); });
    dragged = null;
    calendar.querySelectorAll(".is-drop-target").forEach(function (el) { el.classList.remove("is-drop-target"); });
  });

  function dropTarget(event) {
    return event.target instanceof Element ? event.target.closest("[data-drop-date]") : null;
  }

  calendar.addEventListener("dragover", function (event) {
    var target = dropTarget(event);
    if (!dragged || !target) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    calendar.querySelectorAll(".is-drop-target").forEach(function (el) {
      if (el !== target) el.classList.remove("is-drop-target");
    });
    target.classList.add("is-drop-target");
  });

  // Keeps a week cell's "N posts" count true after a card left or arrived.
  function recount(slot) {
    if (!slot) return;
    var n = slot.querySelectorAll(".post-card").length;
    var count = slot.querySelector("[data-count]");
    if (n > 1 && !count) {
      count = document.createElement("p");
      count.className = "cal-count";
      count.setAttribute("data-count", "");
      slot.prepend(count);
    }
    if (count) {
      if (n > 1) count.textContent = n + " posts";
      else count.remove();
    }
    slot.classList.toggle("is-crowded", n > 1);
  }

  calendar.addEventListener("drop", function (event) {
    var target = dropTarget(event);
    if (!dragged || !target) return;
    event.preventDefault();
    target.classList.remove("is-drop-target");
    var move = dragged;
    dragged = null;
    if (target.contains(move.card)) return; // dropped where it already is
    var list = target.querySelector(".cal-cards") || target;
    list.append(move.card); // optimistic; undone if the server refuses
    move.card.classList.add("is-saving");

    var body = new FormData();
    body.append("date", target.getAttribute("data-drop-date"));
    var hour = target.getAttribute("data-drop-hour");
    if (hour !== null) body.append("hour", hour);

    fetch(move.card.getAttribute("data-move-url"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          return { ok: response.ok, status: response.status, data: data };
        });
      })
      .then(function (result) {
        move.card.classList.remove("is-saving");
        if (!result.ok) {
          move.parent.insertBefore(move.card, move.next);
          flash(result.data.error || "The post could not be moved (" + result.status + ").", "error");
          return;
        }
        recount(move.parent.closest(".cal-slot"));
        recount(target.closest(".cal-slot"));
        var time = move.card.querySelector("[data-time]");
        if (time) {
          time.textContent = result.data.time;
          time.setAttribute("datetime", result.data.scheduled_at);
        }
        var zone = move.card.querySelector("[data-zone]");
        if (zone) zone.textContent = result.data.zone;
        move.card.setAttribute("data-scheduled-at", result.data.scheduled_at);
        flash(result.data.message || "Moved.", "success");
      })
      .catch(function () {
        move.card.classList.remove("is-saving");
        move.parent.insertBefore(move.card, move.next);
        flash("The server could not be reached; the post did not move.", "error");
      });
  });

  // A click on an empty part of a day (not on a post or a link) adds a post.
  calendar.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target || target.closest(".post-card, a, button, summary, .cal-count")) return;
    var day = target.closest("[data-new-url]");
    if (day) window.location.assign(day.getAttribute("data-new-url"));
  });
})();
