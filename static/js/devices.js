/*
 * The devices page: adds this browser for push alerts. The project's own code, loaded with
 * <script src> and the page's CSP nonce.
 *
 * When the person sends the form, the browser is asked for permission, subscribed with this
 * server's public VAPID key (the form's data-vapid-key), and the subscription (the push
 * service's address and the browser's keys, nothing else) goes into the form's hidden fields;
 * the form is then posted as usual, with its CSRF token. Without JavaScript or the Push API the
 * form explains that this browser cannot get alerts.
 */
(function () {
  "use strict";

  function bytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4))
      .replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      out[i] = raw.charCodeAt(i);
    }
    return out;
  }

  function sameKey(buffer, expected) {
    if (!buffer) {
      return false;
    }
    var given = new Uint8Array(buffer);
    if (given.length !== expected.length) {
      return false;
    }
    for (var i = 0; i < given.length; i++) {
      if (given[i] !== expected[i]) {
        return false;
      }
    }
    return true;
  }

  function setUp(form) {
    var status = form.querySelector("[data-push-status]");
    var button = form.querySelector("button[type=submit]");
    var key = form.getAttribute("data-vapid-key");
    var worker = form.getAttribute("data-sw");

    function say(text) {
      status.textContent = text;
      status.hidden = false;
    }

    if (!("serviceWorker" in navigator) || !("PushManager" in window) ||
        !("Notification" in window)) {
      say("This browser cannot receive push alerts. Try another browser, or add the site to " +
        "your home screen first on a phone.");
      button.disabled = true;
      return;
    }

    form.addEventListener("submit", function (event) {
      if (form.elements.endpoint.value) {
        return; // filled in: post it
      }
      event.preventDefault();
      if (!form.elements.label.value.trim()) {
        form.submit(); // the server says what is missing
        return;
      }
      button.disabled = true;
      say("Asking this browser for permission…");
      Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") {
          throw new Error("denied");
        }
        return navigator.serviceWorker.register(worker, { scope: "/" });
      }).then(function () {
        return navigator.serviceWorker.ready;
      }).then(function (registration) {
        var serverKey = bytes(key);
        return registration.pushManager.getSubscription().then(function (existing) {
          if (existing && sameKey(existing.options.applicationServerKey, serverKey)) {
            return existing;
          }
          // None yet, or one made for another server key (the key was changed): a new one.
          return (existing ? existing.unsubscribe() : Promise.resolve()).then(function () {
            return registration.pushManager.subscribe({
              userVisibleOnly: true,
              applicationServerKey: serverKey,
            });
          });
        });
      }).then(function (subscription) {
        var data = subscription.toJSON();
        form.elements.endpoint.value = data.endpoint;
        form.elements.p256dh.value = data.keys.p256dh;
        form.elements.auth.value = data.keys.auth;
        say("Saving this device…");
        form.submit();
      }).catch(function (error) {
        button.disabled = false;
        say(error && error.message === "denied"
          ? "Alerts are blocked for this site. Allow notifications in the browser's settings, " +
            "then try again."
          : "This browser could not be set up for alerts. Try again, or use another browser.");
      });
    });
  }

  document.querySelectorAll("form[data-push-form]").forEach(setUp);
})();
