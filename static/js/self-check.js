/*
 * The private self-check: adds up the answers in the browser and shows the result on the page.
 *
 * The project's own code, no library. Loaded with <script src> and the page's CSP nonce; it
 * writes nothing inline. It never sends anything (no fetch, no XMLHttpRequest, no form
 * submission, no beacon) and never stores anything (no cookies, no localStorage or
 * sessionStorage): the answers live in the form's radio buttons until the page is cleared or
 * closed. The points are each answer's value and the cut-offs are written into the page by
 * the server (peersupport/resources/selfcheck.py), so this file holds no clinical numbers.
 *
 * Without this script the submit button stays disabled and hidden, so nothing can send the
 * answers anywhere; the page tells the person how to score it on paper.
 */
(function () {
  "use strict";

  function answer(form, name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    return checked ? Number(checked.value) : null;
  }

  function setUp(form) {
    var submit = form.querySelector("[data-self-check-submit]");
    var clear = form.querySelector("[data-self-check-clear]");
    var result = document.querySelector("[data-self-check-result]");
    var errors = document.querySelector("[data-self-check-errors]");
    var errorList = errors.querySelector("[data-self-check-error-list]");
    var afterEvent = form.querySelector("[data-after-event]");
    var eventQuestion = form.querySelector("[data-event-question]");
    var eventName = eventQuestion.getAttribute("data-question");
    var pairFlag = Number(form.getAttribute("data-phq4-pair-flag"));
    var crisisFrom = Number(form.getAttribute("data-phq4-crisis-from"));
    var ptsdFlag = Number(form.getAttribute("data-pcptsd5-flag"));
    var distressFrom = Number(form.getAttribute("data-phq4-distress-from"));
    var title = document.title;

    function eventAnswer() {
      return answer(form, eventName);
    }

    // The five questions about the past month follow only a "yes" to the first.
    function showFollowUp() {
      afterEvent.hidden = eventAnswer() !== 1;
    }

    function questions() {
      var all = Array.prototype.slice.call(form.querySelectorAll("[data-question]"));
      return all.filter(function (fieldset) {
        return !afterEvent.contains(fieldset) || eventAnswer() === 1;
      });
    }

    function markError(fieldset, missing) {
      var message = document.getElementById(fieldset.id + "-error");
      var described = (fieldset.getAttribute("aria-describedby") || "")
        .split(" ")
        .filter(function (id) { return id && id !== message.id; });
      if (missing) {
        described.push(message.id);
      }
      message.hidden = !missing;
      fieldset.classList.toggle("self-check__question--error", missing);
      fieldset.setAttribute("aria-describedby", described.join(" "));
    }

    function clearErrors() {
      Array.prototype.forEach.call(form.querySelectorAll("[data-question]"), function (fieldset) {
        markError(fieldset, false);
      });
      errorList.textContent = "";
      errors.hidden = true;
      document.title = title;
    }

    function showErrors(missing) {
      errorList.textContent = "";
      missing.forEach(function (fieldset) {
        markError(fieldset, true);
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = "#" + fieldset.id;
        link.textContent = "Answer “" + fieldset.querySelector("legend").textContent.trim() + "”";
        link.addEventListener("click", function (event) {
          event.preventDefault();
          fieldset.scrollIntoView();
          fieldset.querySelector("input").focus();
        });
        item.appendChild(link);
        errorList.appendChild(item);
      });
      errors.hidden = false;
      document.title = "Error: " + title;
      errors.focus();
    }

    function show(name, on) {
      Array.prototype.forEach.call(result.querySelectorAll('[data-show="' + name + '"]'), function (el) {
        el.hidden = !on;
      });
    }

    function output(name, value) {
      result.querySelector('[data-out="' + name + '"]').textContent = String(value);
    }

    function score() {
      var total = 0;
      var pairs = { anxiety: 0, mood: 0 };
      Array.prototype.forEach.call(form.querySelectorAll('[data-instrument="phq4"]'), function (fieldset) {
        var points = answer(form, fieldset.getAttribute("data-question"));
        total += points;
        pairs[fieldset.getAttribute("data-pair")] += points;
      });
      var ptsd = 0;
      if (eventAnswer() === 1) {
        Array.prototype.forEach.call(form.querySelectorAll('[data-instrument="pcptsd5"]'), function (fieldset) {
          ptsd += answer(form, fieldset.getAttribute("data-question"));
        });
      }
      return { total: total, anxiety: pairs.anxiety, mood: pairs.mood, ptsd: ptsd };
    }

    function showResult(scores) {
      output("phq4-total", scores.total);
      output("anxiety", scores.anxiety);
      output("mood", scores.mood);
      output("pcptsd5", scores.ptsd);
      Array.prototype.forEach.call(result.querySelectorAll("[data-band-low]"), function (el) {
        var low = Number(el.getAttribute("data-band-low"));
        var high = Number(el.getAttribute("data-band-high"));
        el.hidden = !(low <= scores.total && scores.total <= high);
      });
      var anxiety = scores.anxiety >= pairFlag;
      var mood = scores.mood >= pairFlag;
      var ptsd = scores.ptsd >= ptsdFlag;
      var crisis = scores.total >= crisisFrom;
      show("crisis", crisis);
      show("anxiety", anxiety);
      show("mood", mood);
      show("ptsd", ptsd);
      show("no-event", eventAnswer() === 0);
      var some = anxiety || mood || ptsd || crisis || scores.total >= distressFrom;
      show("some", some);
      show("low", !some);
      result.hidden = false;
      clear.hidden = false;
      result.focus();
    }

    form.addEventListener("submit", function (event) {
      // The answers never leave the page: the form is never submitted.
      event.preventDefault();
      var missing = questions().filter(function (fieldset) {
        return answer(form, fieldset.getAttribute("data-question")) === null;
      });
      clearErrors();
      if (missing.length) {
        result.hidden = true;
        showErrors(missing);
        return;
      }
      showResult(score());
    });

    // Enter on an answer chooses it, as people expect; it does not submit the form.
    form.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target.type === "radio") {
        event.preventDefault();
        event.target.checked = true;
        event.target.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });

    form.addEventListener("change", function (event) {
      if (event.target.name === eventName) {
        showFollowUp();
      }
      var fieldset = event.target.closest("[data-question]");
      if (fieldset) {
        markError(fieldset, false);
      }
      // A result shown belongs to the answers it was worked out from.
      result.hidden = true;
    });

    clear.addEventListener("click", function () {
      form.reset();
      clearErrors();
      showFollowUp();
      result.hidden = true;
      clear.hidden = true;
      form.querySelector("input").focus();
    });

    Array.prototype.forEach.call(document.querySelectorAll("[data-no-script-only]"), function (el) {
      el.hidden = true;
    });
    showFollowUp();
    submit.disabled = false;
    submit.hidden = false;
  }

  document.querySelectorAll("[data-self-check]").forEach(setUp);
})();
