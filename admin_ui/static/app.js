// Small enhancements only: every page works without this file.
// Countdowns: <time data-countdown="ISO end"> shows the time left, in the page's language.
(function () {
  function tick() {
    var english = document.documentElement.lang === "en";
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = new Date(el.getAttribute("data-countdown")) - new Date();
      if (isNaN(left)) return;
      if (left <= 0) { el.textContent = english ? "ended" : "已截止"; return; }
      var d = Math.floor(left / 86400000), h = Math.floor(left % 86400000 / 3600000),
          m = Math.floor(left % 3600000 / 60000);
      el.textContent = english ? (d + " d " + h + " h " + m + " min left")
                               : ("剩余 " + d + " 天 " + h + " 小时 " + m + " 分");
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 30000); });
})();
// Print buttons (<button data-print hidden>): shown only where this script runs, since only it can print.
(function () {
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
