// The catalog import's page (admin): keeps its progress bar current while the file is
// checked or imported, and reloads the page for the report when that ends. Without this
// script the page reloads itself every few seconds (a meta refresh inside <noscript>).
(function () {
  "use strict";
  var box = document.querySelector("[data-import-progress]");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-import-progress");
  var bar = box.querySelector("progress");
  var label = box.querySelector("[data-import-label]");
  var status = document.querySelector("[data-import-status]");

  function show(data) {
    if (status && data.label) {
      status.textContent = data.label;
    }
    if (typeof data.percent === "number") {
      bar.value = data.percent;
      bar.textContent = data.percent + "%";
      label.textContent = data.percent + "%";
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("progress answered " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (data.running) {
          window.setTimeout(poll, 1500);
        } else {
          window.location.reload();
        }
      })
      .catch(function () {
        // A worker restart or a lost connection: try again, less often.
        window.setTimeout(poll, 5000);
      });
  }

  window.setTimeout(poll, 1000);
})();
