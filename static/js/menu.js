// The site menu on a phone: folded behind the "Menu" button in the header, so the page's own
// content starts on the first screen. On a wider screen, and without this script, the menu is
// always shown and the button stays hidden. Escape closes it and gives focus back to the button.
(function () {
  "use strict";
  var button = document.querySelector("[data-menu-button]");
  if (!button) return;
  var menu = document.getElementById(button.getAttribute("aria-controls"));
  var narrow = window.matchMedia("(max-width: 47.99rem)");

  function show(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("site-menu--closed", !open);
  }

  function fit() {
    button.hidden = !narrow.matches;
    show(!narrow.matches);
  }

  button.addEventListener("click", function () {
    show(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && narrow.matches && button.getAttribute("aria-expanded") === "true") {
      show(false);
      button.focus();
    }
  });
  narrow.addEventListener("change", fit);
  fit();
})();
