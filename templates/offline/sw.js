// The portal's service worker (served at /sw.js by visits/offline.py, never cached).
// Static files come from the cache first (their names carry their content's hash); the member's
// own pages are fetched from the network first, with a short timeout, and kept for offline use.
// Partial (htmx) answers, the API, downloads and sign-in pages are never kept. A new version
// waits until the page tells it no form is being edited ("skip-waiting").
"use strict";
const VERSION = "{{ version|escapejs }}";
const SHELL_CACHE = "portal-shell-" + VERSION;
const PAGE_CACHE = "portal-pages";
const SHELL = {{ shell|safe }};
const NETWORK_TIMEOUT_MS = 3000;
const KEPT_PAGES = [/^\/my\/$/, /^\/visits\/new\/$/, /^\/meetings\/\d+\/$/];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((names) => Promise.all(
      names.filter((name) => name.startsWith("portal-shell-") && name !== SHELL_CACHE)
        .map((name) => caches.delete(name))
    )).then(() => self.clients.claim())
  );
});

self.addEventListener("message", (event) => {
  if ((event.data || {}).type === "skip-waiting") self.skipWaiting();
});

function keepable(response) {
  // A redirect (to the login page) or an error is not the member's page.
  return response.ok && !response.redirected && response.type === "basic";
}

function isKeptPage(url) {
  return KEPT_PAGES.some((pattern) => pattern.test(url.pathname));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.headers.get("HX-Request")) return;  // partial answers are never kept
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(fromCacheFirst(request));
  } else if (request.mode === "navigate" && isKeptPage(url) && !url.searchParams.has("format")) {
    event.respondWith(fromNetworkFirst(request));
  }
});

async function fromCacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) {
    const cache = await caches.open(SHELL_CACHE);
    cache.put(request, response.clone());
  }
  return response;
}

async function fromNetworkFirst(request) {
  const cache = await caches.open(PAGE_CACHE);
  try {
    const response = await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
    if (keepable(response)) cache.put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(request);
    if (cached) return cached;
    return new Response(
      "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><title>Ngoại tuyến</title>" +
      "<p>Trang này chưa được tải để dùng ngoại tuyến. / This page was not kept for offline use.</p>" +
      "<p><a href=\"/my/\">Việc của tôi / My work</a></p></html>",
      {status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}}
    );
  }
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); },
                 (error) => { clearTimeout(timer); reject(error); });
  });
}
