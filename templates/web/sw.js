/*
 * Peer Support's service worker: the project's own code, served from /sw.js (scope: the site).
 *
 * THE RULE: this worker caches ONLY the offline page and the static files listed in PRECACHE
 * (stylesheet, icons, the registration script). Every navigation and every other request goes
 * to the network and is never cached, so no page a person saw (an inbox, a request, an
 * escalation) is ever kept on the device. When the network fails for a navigation, the cached
 * offline page is shown instead. docs/threat-model.md, "The installed app", states the same.
 *
 * A push carries a fixed title and body and a path on this site; nothing else is shown.
 */
"use strict";

var CACHE = {{ version_json|safe }};
var PRECACHE = {{ precache_json|safe }};
var OFFLINE = {{ offline_json|safe }};
var ICON = {{ icon_json|safe }};

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      // Without cookies: the offline page is the same for everyone and names no one.
      return cache.addAll(
        PRECACHE.map(function (url) {
          return new Request(url, { credentials: "omit", cache: "reload" });
        })
      );
    }).then(function () {
      return self.skipWaiting();
    })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(
        names.filter(function (name) { return name !== CACHE; }).map(function (name) {
          return caches.delete(name);
        })
      );
    }).then(function () {
      return self.clients.claim();
    })
  );
});

function precached(request) {
  if (request.method !== "GET") {
    return false;
  }
  var url = new URL(request.url);
  return url.origin === self.location.origin && PRECACHE.indexOf(url.pathname) !== -1 &&
    url.search === "";
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.mode === "navigate" && request.method === "GET") {
    // The network only; the offline page when there is none. Nothing is put in the cache.
    // (A form sent while offline is left to the browser, which says it could not be sent.)
    event.respondWith(
      fetch(request).catch(function () {
        return caches.open(CACHE).then(function (cache) {
          return cache.match(OFFLINE);
        });
      })
    );
    return;
  }
  if (precached(request)) {
    event.respondWith(
      caches.open(CACHE).then(function (cache) {
        return cache.match(request.url).then(function (hit) {
          return hit || fetch(request);
        });
      })
    );
  }
  // Anything else: not handled here, so the browser goes to the network as if there were no
  // worker, and nothing is cached.
});

self.addEventListener("push", function (event) {
  var message = { title: "", body: "", path: "/" };
  try {
    message = event.data ? event.data.json() : message;
  } catch (error) {
    // Not ours to show: fall back to the generic words below.
  }
  var path = typeof message.path === "string" && message.path.charAt(0) === "/" &&
    message.path.charAt(1) !== "/" ? message.path : "/";
  event.waitUntil(
    self.registration.showNotification(message.title || "Peer Support", {
      body: message.body || "",
      icon: ICON,
      badge: ICON,
      data: { path: path },
    })
  );
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var path = (event.notification.data && event.notification.data.path) || "/";
  var target = new URL(path, self.location.origin);
  if (target.origin !== self.location.origin) {
    target = new URL("/", self.location.origin);
  }
  // The page behind the path asks the person to sign in and applies the access rules.
  event.waitUntil(self.clients.openWindow(target.href));
});
