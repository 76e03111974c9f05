// The waiting room's countdown. The page's <noscript> meta refresh reloads it without JavaScript;
// this shows the seconds left and reloads on time (a file, not inline: the CSP says so).
(function () {
  "use strict";
  var room = document.querySelector("[data-waiting-room]");
  if (!room) {
    return;
  }
  var left = parseInt(room.getAttribute("data-refresh-seconds"), 10);
  var url = room.getAttribute("data-retry-url") || window.location.href;
  var shown = room.querySelector("[data-countdown]");
  if (!(left >= 0)) {
    return;
  }
  var timer = window.setInterval(function () {
    left -= 1;
    if (shown) {
      shown.textContent = String(Math.max(left, 0));
    }
    if (left <= 0) {
      window.clearInterval(timer);
      window.location.replace(url);
    }
  }, 1000);
})();
