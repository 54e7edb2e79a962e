/*
 * Registers the service worker (/sw.js) that makes Peer Support installable and shows an
 * offline page when the network is gone. The project's own code; loaded with <script src> and
 * the page's CSP nonce. The worker's address comes from the script tag's data-sw attribute.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !("serviceWorker" in navigator)) {
    return;
  }
  var url = script.getAttribute("data-sw");
  window.addEventListener("load", function () {
    navigator.serviceWorker.register(url, { scope: "/" }).catch(function () {
      // No worker (a private window, a locked-down browser): the site works the same without.
    });
  });
})();
