// The order page while the bank confirms a payment: asks the server again every few
// seconds and swaps in the confirmed order when it has landed, announced through the
// status message, without reloading the whole page under the shopper (a meta refresh
// does that, and screen readers lose their place: it stays only for those without
// JavaScript, in a <noscript>). A file, not inline: the CSP says so.
(function () {
  "use strict";
  var waiting = document.querySelector("[data-awaiting-confirmation]");
  if (!waiting || !window.fetch || !window.DOMParser) {
    return;
  }
  var every = parseInt(waiting.getAttribute("data-awaiting-confirmation"), 10) || 3;
  var tries = 0;
  var timer = window.setInterval(function () {
    tries += 1;
    if (tries > 40) {
      // Two minutes: something is slow; the link in the message asks again by hand.
      window.clearInterval(timer);
      return;
    }
    window.fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (!html) {
          return;
        }
        var page = new DOMParser().parseFromString(html, "text/html");
        if (page.querySelector("[data-awaiting-confirmation]")) {
          return;
        }
        var fresh = page.querySelector("[data-confirmation]");
        var current = document.querySelector("[data-confirmation]");
        if (fresh && current) {
          window.clearInterval(timer);
          current.replaceWith(document.importNode(fresh, true));
          document.title = page.title;
        }
      })
      .catch(function () { /* offline for a moment: the next round asks again */ });
  }, every * 1000);
})();
