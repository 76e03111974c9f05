// A listing's filters are open for everyone (and stay open without JavaScript); on a
// narrow screen they are folded at load, so the products are on the first screen and the
// "Filter and sort" summary opens them. A file, not inline: the CSP says so.
(function () {
  "use strict";
  var panel = document.querySelector("details[data-fold-below]");
  if (!panel || !window.matchMedia) {
    return;
  }
  var width = panel.getAttribute("data-fold-below");
  if (window.matchMedia("(max-width: " + width + ")").matches) {
    panel.open = false;
  }
})();
