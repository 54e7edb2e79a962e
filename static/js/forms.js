// Forms as keyboard users expect them.
// - A page shown again with mistakes has an error summary at the top (templates/web/
//   _error_summary.html): it takes focus, so its heading and list are read first, and each of
//   its links moves focus to the field it names, with the field's label in view.
// - Enter on a radio button or a checkbox chooses it; it does not send a long form half filled
//   in (browsers submit on Enter there; Space already toggles).
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (summary && document.activeElement !== summary) summary.focus();

  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-error-link]");
    if (!link) return;
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    var group = field.closest("fieldset");
    var label = (group && group.querySelector("legend")) || document.querySelector("label[for='" + field.id + "']");
    (label || field).scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || !(target instanceof HTMLInputElement)) return;
    if (target.type !== "radio" && target.type !== "checkbox") return;
    event.preventDefault();
    if (target.type === "checkbox" || !target.checked) target.click();
  });
})();
