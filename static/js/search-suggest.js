// Suggestions for the search box as the shopper types: asks the shop's suggest URL
// (data-suggest-url on the input) and fills the input's <datalist>, which the browser
// shows as a list under the box. Without script the box is a plain search form.
(function () {
  "use strict";

  var WAIT_MS = 150;
  var MIN_LENGTH = 2;

  function attach(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var url = input.getAttribute("data-suggest-url");
    if (!list || !url || !window.fetch) {
      return;
    }
    var timer = null;
    var pending = null;
    var asked = "";

    function fill(suggestions) {
      list.textContent = "";
      suggestions.forEach(function (suggestion) {
        var option = document.createElement("option");
        option.value = suggestion.text;
        list.appendChild(option);
      });
    }

    function ask() {
      var query = input.value.trim();
      if (query === asked) {
        return;
      }
      asked = query;
      if (pending) {
        pending.abort();
      }
      if (query.length < MIN_LENGTH) {
        fill([]);
        return;
      }
      pending = window.AbortController ? new AbortController() : null;
      fetch(url + "?q=" + encodeURIComponent(query), {
        headers: { Accept: "application/json" },
        signal: pending ? pending.signal : undefined,
      })
        .then(function (response) {
          return response.ok ? response.json() : { suggestions: [] };
        })
        .then(function (body) {
          fill(body.suggestions || []);
        })
        .catch(function () {
          // Aborted by a newer keystroke, or offline: the box still works without them.
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, WAIT_MS);
    });
  }

  document.querySelectorAll("input[data-suggest-url]").forEach(attach);
})();
