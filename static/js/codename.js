// The codename page: a copy button and a print button. Both stay hidden without JavaScript
// (the words are on the page to write down, and the browser's own print works too).
(function () {
  "use strict";
  var status = document.getElementById("codename-copied");
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var words = document.getElementById(button.dataset.copy).textContent.trim();
      navigator.clipboard.writeText(words).then(
        function () { status.textContent = "Copied. Paste it somewhere only you can see."; },
        function () { status.textContent = "Could not copy. Please write the words down."; }
      );
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
