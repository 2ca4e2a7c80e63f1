// The capture page's service worker (served as /capture/sw.js, scope /capture/): the page, its scripts,
// styles and floor plans come from the cache when the tablet has no connection. Pages are asked of the
// network first (they carry the latest units and catalogue); scripts, styles and floor plans of the cache
// first, refreshed in the background. Everything that writes goes straight to the network: the page
// keeps unsent defects in IndexedDB itself.
"use strict";

var CACHE = "lintel-capture-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function cacheable(url) {
  return url.pathname.indexOf("/static/") === 0 || url.pathname.indexOf("/vendor/") === 0 ||
    /^\/records\/layouts\/\d+\/floor-plan$/.test(url.pathname);
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") {
    event.respondWith(
      fetch(request).then(function (response) {
        if (response.ok && !response.redirected && url.pathname.indexOf("/capture/") === 0) {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) { cache.put(url.pathname, copy); });
        }
        return response;
      }).catch(function () {
        return caches.match(url.pathname).then(function (hit) { return hit || Response.error(); });
      })
    );
    return;
  }
  if (!cacheable(url)) { return; }
  event.respondWith(
    caches.open(CACHE).then(function (cache) {
      return cache.match(request).then(function (hit) {
        var fresh = fetch(request).then(function (response) {
          if (response.ok) { cache.put(request, response.clone()); }
          return response;
        });
        if (hit) { fresh.catch(function () {}); return hit; }
        return fresh;
      });
    })
  );
});
