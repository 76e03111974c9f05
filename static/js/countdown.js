// Counts down to a sale's start from the seconds the server rendered into the page
// (data-seconds on [data-countdown]), and reloads the page at zero, when the server
// shows the sale. The client's clock is never trusted: only the time elapsed here.
(function () {
  "use strict";

  function two(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function left(seconds) {
    var days = Math.floor(seconds / 86400);
    var rest = seconds % 86400;
    var clock = two(Math.floor(rest / 3600)) + ":" + two(Math.floor((rest % 3600) / 60)) + ":" + two(rest % 60);
    return days > 0 ? days + (days === 1 ? " day " : " days ") + clock : clock;
  }

  function start(element) {
    var seconds = parseInt(element.getAttribute("data-seconds"), 10);
    var text = element.querySelector("[data-countdown-left]");
    if (!(seconds > 0) || !text) {
      return;
    }
    var deadline = performance.now() + seconds * 1000;
    text.hidden = false;

    function tick() {
      var remaining = Math.ceil((deadline - performance.now()) / 1000);
      if (remaining <= 0) {
        text.textContent = " — starting now";
        window.location.reload();
        return;
      }
      text.textContent = " — in " + left(remaining);
      window.setTimeout(tick, ((deadline - performance.now()) % 1000) || 1000);
    }

    tick();
  }

  document.querySelectorAll("[data-countdown]").forEach(start);
})();
