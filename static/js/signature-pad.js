/*
 * Signature pad: the person signs a release in a canvas with a finger, a pen or the mouse.
 * The project's own code, no library. Loaded with <script src> and the page's CSP nonce; it
 * writes nothing inline. The drawing goes into a hidden input as a PNG data URL; the server
 * checks it is a PNG with something drawn on it.
 *
 * Without a pointer (keyboard only) or without JavaScript, the person signs on paper and the
 * supporter uploads the scan: the pad stays hidden until this script shows it.
 */
(function () {
  "use strict";

  var INK = "#111111";
  var WIDTH = 2.5;

  function setUp(pad) {
    var form = pad.closest("form");
    var canvas = pad.querySelector("[data-signature-canvas]");
    var input = pad.querySelector("input[type=hidden]");
    var clear = pad.querySelector("[data-signature-clear]");
    var status = pad.querySelector("[data-signature-status]");
    var scan = form.querySelector("[data-signature-scan]");
    var context = canvas.getContext("2d");
    var drawing = false;
    var last = null;

    context.lineWidth = WIDTH;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = INK;
    context.fillStyle = INK;

    function point(event) {
      var box = canvas.getBoundingClientRect();
      return {
        x: ((event.clientX - box.left) * canvas.width) / box.width,
        y: ((event.clientY - box.top) * canvas.height) / box.height,
      };
    }

    function dot(at) {
      context.beginPath();
      context.arc(at.x, at.y, WIDTH / 2, 0, 2 * Math.PI);
      context.fill();
    }

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      drawing = true;
      last = point(event);
      dot(last);
    });

    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) {
        return;
      }
      var next = point(event);
      context.beginPath();
      context.moveTo(last.x, last.y);
      context.lineTo(next.x, next.y);
      context.stroke();
      last = next;
    });

    function finish() {
      if (!drawing) {
        return;
      }
      drawing = false;
      input.value = canvas.toDataURL("image/png");
      status.textContent = "Signature drawn. Clear it to sign again.";
    }
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);

    clear.addEventListener("click", function () {
      context.clearRect(0, 0, canvas.width, canvas.height);
      input.value = "";
      status.textContent = "Signature cleared.";
    });

    // The form came back with errors elsewhere: show the signature already drawn.
    if (input.value.indexOf("data:image/png;base64,") === 0) {
      var image = new Image();
      image.addEventListener("load", function () {
        context.drawImage(image, 0, 0);
        status.textContent = "Signature drawn. Clear it to sign again.";
      });
      image.src = input.value;
    }

    // Show the pad or the upload, as the chosen way of signing says.
    var choices = form.querySelectorAll("input[name=signature_kind]");
    function show() {
      var chosen = form.querySelector("input[name=signature_kind]:checked");
      var drawn = !chosen || chosen.value === "drawn";
      pad.hidden = !drawn;
      if (scan) {
        scan.hidden = drawn;
      }
    }
    choices.forEach(function (choice) {
      choice.addEventListener("change", show);
    });
    show();
  }

  document.querySelectorAll("[data-signature-pad]").forEach(setUp);
})();
