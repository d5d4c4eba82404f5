// Media library uploads: drop zone + file input, one fetch per file with the
// CSRF token, a line per file saying where it is and, when refused, why (the
// server's own message: files are checked by content). Without this script the
// form posts every file at once and the page answers with a message per file.
(function () {
  "use strict";

  var form = document.querySelector("[data-upload-form]");
  if (!form || !window.fetch || !window.FormData) return;
  var zone = form.querySelector("[data-drop-zone]");
  var input = form.querySelector('input[type="file"]');
  var list = form.querySelector("[data-upload-list]");
  var queue = Promise.resolve();

  function token() {
    var field = form.querySelector('input[name="csrfmiddlewaretoken"]');
    return field ? field.value : "";
  }

  function line(file) {
    var item = document.createElement("li");
    item.className = "upload-item is-waiting";
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    var status = document.createElement("span");
    status.className = "upload-status small";
    status.textContent = "Waiting";
    item.append(name, bar, status);
    list.append(item);
    return { item: item, bar: bar, status: status };
  }

  function settle(row, ok, text) {
    row.item.className = "upload-item " + (ok ? "is-done" : "is-error");
    if (ok) row.bar.value = 100;
    else row.bar.remove();
    row.status.textContent = text;
    if (!ok) row.item.setAttribute("role", "alert");
  }

  function addCard(html, id) {
    var grid = document.querySelector("[data-asset-grid]");
    if (!grid || !html || grid.querySelector('[data-asset="' + id + '"]')) return;
    var empty = grid.querySelector("[data-empty]");
    if (empty) empty.remove();
    var holder = document.createElement("ul");
    holder.innerHTML = html;
    var card = holder.firstElementChild;
    if (card) {
      grid.prepend(card);
      // A card still processing polls for itself (hx-get): htmx must see it.
      if (window.htmx) window.htmx.process(card);
    }
    var count = document.querySelector("[data-asset-count]");
    if (count) count.textContent = String(grid.querySelectorAll("[data-asset]").length);
  }

  function send(file) {
    var row = line(file);
    queue = queue.then(function () {
      row.item.className = "upload-item is-uploading";
      row.status.textContent = "Uploading…";
      var body = new FormData();
      body.append("file", file, file.name);
      ["tags", "alt_text"].forEach(function (name) {
        var field = form.querySelector('[name="' + name + '"]');
        if (field && field.value) body.append(name, field.value);
      });
      return fetch(form.action, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": token(), Accept: "application/json" },
      })
        .then(function (response) {
          return response.json().catch(function () {
            return { ok: false, message: "The server answered " + response.status + "." };
          });
        })
        .then(function (data) {
          if (data.ok) {
            settle(row, true, data.created ? "Uploaded" : "Already in the library");
            addCard(data.card, data.id);
          } else {
            settle(row, false, data.message || "Refused.");
          }
        })
        .catch(function () {
          settle(row, false, "Network error: the file was not sent.");
        });
    });
  }

  function sendAll(files) {
    Array.prototype.forEach.call(files, send);
  }

  input.addEventListener("change", function () {
    sendAll(input.files);
    input.value = "";
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (input.files.length) {
      sendAll(input.files);
      input.value = "";
    }
  });
  if (zone) {
    ["dragenter", "dragover"].forEach(function (kind) {
      zone.addEventListener(kind, function (event) {
        event.preventDefault();
        zone.classList.add("is-over");
      });
    });
    ["dragleave", "drop"].forEach(function (kind) {
      zone.addEventListener(kind, function () { zone.classList.remove("is-over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        sendAll(event.dataTransfer.files);
      }
    });
  }
})();
