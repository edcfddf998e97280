// Encaisse service worker: the app shell, and copies of the recent and open documents to read on
// a site without network. Served by /sw.js (blueprints/offline), which prepends self.ENCAISSE:
// {version, shell, offlinePage, documents}. Rules:
// - shell files (content-hashed names): cache first, kept per version, old versions deleted;
// - pages: the network first; without it, the copy saved on this tablet (it says it is a copy
//   and when it was saved), else the offline page;
// - frozen PDFs of issued documents: cache first (their bytes never change);
// - anything else (fragments, forms, JSON): the network only. Nothing is written offline.
"use strict";

var CONFIG = self.ENCAISSE;
var SHELL_CACHE = "encaisse-shell-" + CONFIG.version;
var DOCS_CACHE = "encaisse-docs";
var META_URL = "/__encaisse/offline-meta";
var SYNC_EVERY_MS = 5 * 60 * 1000;
var PDF_PATH = /^\/(invoices|quotes)\/\d+\/pdf$/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) {
    return cache.addAll(CONFIG.shell);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("encaisse-shell-") === 0 && name !== SHELL_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request, { cacheName: SHELL_CACHE }).then(function (hit) {
      return hit || fetch(request);
    }));
  } else if (PDF_PATH.test(url.pathname)) {
    event.respondWith(caches.open(DOCS_CACHE).then(function (cache) {
      return cache.match(url.pathname).then(function (hit) { return hit || fetch(request); });
    }));
  } else if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(function () {
      return caches.open(DOCS_CACHE).then(function (cache) {
        return cache.match(url.pathname);
      }).then(function (copy) {
        return copy || caches.match(CONFIG.offlinePage, { cacheName: SHELL_CACHE });
      });
    }));
  }
});

// --- the copies ----------------------------------------------------------------------------

function readMeta(cache) {
  return cache.match(META_URL).then(function (hit) {
    return hit ? hit.json() : { owner: "", items: {}, syncedAt: 0 };
  });
}

function writeMeta(cache, meta) {
  return cache.put(META_URL, new Response(JSON.stringify(meta), { headers: { "Content-Type": "application/json" } }));
}

// A page kept for offline reading says it is a copy, and when it was saved (offline.js shows it).
function markAsCopy(html, savedAt) {
  return html.replace('<meta name="encaisse-copy" content="">', '<meta name="encaisse-copy" content="' + savedAt + '">');
}

function keepPage(cache, path, savedAt) {
  return fetch(path, { credentials: "same-origin", cache: "no-store", redirect: "error" }).then(function (response) {
    if (!response.ok) throw new Error("page " + path + " " + response.status);
    return response.text();
  }).then(function (html) {
    return cache.put(path, new Response(markAsCopy(html, savedAt), {
      headers: { "Content-Type": "text/html; charset=utf-8" }
    }));
  });
}

function keepPdf(cache, path) {
  return fetch(path, { credentials: "same-origin", redirect: "error" }).then(function (response) {
    if (!response.ok) throw new Error("pdf " + path + " " + response.status);
    return cache.put(path, response);
  });
}

// Two at a time: on one bar of signal, the pages being read now come first.
function runLimited(tasks, limit) {
  var index = 0, failures = 0;
  function next() {
    if (index >= tasks.length) return Promise.resolve();
    var task = tasks[index++];
    return task().catch(function () { failures += 1; }).then(next);
  }
  var runners = [];
  for (var i = 0; i < limit; i++) runners.push(next());
  return Promise.all(runners).then(function () { return failures; });
}

function clearCopies() {
  return caches.delete(DOCS_CACHE);
}

// One bar of signal: a request that fails for want of network is tried again twice (after 1 s,
// then 3 s) before the copies wait for the next sync.
function fetchWithRetry(url, options) {
  var delays = [1000, 3000];
  function attempt() {
    return fetch(url, options).catch(function (error) {
      if (!delays.length) throw error;
      var wait = delays.shift();
      return new Promise(function (resolve) { setTimeout(resolve, wait); }).then(attempt);
    });
  }
  return attempt();
}

var syncing = null;

function sync(force, owner) {
  if (syncing) return syncing;
  syncing = caches.open(DOCS_CACHE).then(function (cache) {
    return readMeta(cache).then(function (meta) {
      if (owner && meta.owner && owner !== meta.owner) {  // another user's page: their copies go now
        return clearCopies().then(function () { syncing = null; return sync(true, owner); });
      }
      if (!force && Date.now() - meta.syncedAt < SYNC_EVERY_MS) {
        return { kept: Object.keys(meta.items).length, syncedAt: meta.syncedAt };
      }
      var loggedOut = {};
      return fetchWithRetry(CONFIG.documents, { credentials: "same-origin", cache: "no-store", redirect: "manual" })
        .then(function (response) {
          // Sent to the login page (or refused): the session is gone. A network failure is not
          // that: the copies stay (they are what the site visit needs).
          var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
          if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) throw loggedOut;
          if (!response.ok || !json) throw new Error("unexpected answer " + response.status);
          return response.json();
        }).then(function (list) {
          var start = meta.owner && meta.owner !== list.owner
            ? clearCopies().then(function () { return caches.open(DOCS_CACHE); })  // another user: nothing of theirs stays
            : Promise.resolve(cache);
          return start.then(function (store) {
            var fresh = meta.owner === list.owner ? meta : { owner: list.owner, items: {}, syncedAt: 0 };
            var savedAt = list.generated_at, wanted = {}, tasks = [];
            list.items.forEach(function (item) {
              wanted[item.page] = true;
              var known = fresh.items[item.page] || {};
              if (known.version !== item.version) {  // new or changed since the last copy
                tasks.push(function () {
                  return keepPage(store, item.page, savedAt).then(function () {
                    var entry = fresh.items[item.page] || {};  // (its PDF may have been kept meanwhile)
                    entry.version = item.version; entry.title = item.title; entry.savedAt = savedAt;
                    fresh.items[item.page] = entry;
                  });
                });
              }
              if (item.pdf) {
                wanted[item.pdf] = true;
                tasks.push(function () {
                  if ((fresh.items[item.page] || {}).pdfVersion === item.pdf_version) return Promise.resolve();
                  return keepPdf(store, item.pdf).then(function () {
                    var entry = fresh.items[item.page] || {};  // (read now: its page may have been kept meanwhile)
                    entry.pdf = item.pdf; entry.pdfVersion = item.pdf_version;
                    fresh.items[item.page] = entry;
                  });
                });
              }
            });
            return runLimited(tasks, 2).then(function (failures) {
              return store.keys().then(function (requests) {  // what is no longer wanted goes
                return Promise.all(requests.map(function (req) {
                  var path = new URL(req.url).pathname;
                  if (path === META_URL || wanted[path]) return null;
                  delete fresh.items[path];
                  return store.delete(req);
                }));
              }).then(function () {
                fresh.syncedAt = failures ? 0 : Date.now();  // a failed fetch is tried again next time
                return writeMeta(store, fresh).then(function () {
                  return { kept: Object.keys(fresh.items).length, syncedAt: fresh.syncedAt };
                });
              });
            });
          });
        }, function (error) {
          if (error === loggedOut) return clearCopies().then(function () { return { kept: 0 }; });  // no copy stays
          return { kept: Object.keys(meta.items).length, syncedAt: meta.syncedAt };  // no network: keep them
        });
    });
  }).finally(function () { syncing = null; });
  return syncing;
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  var source = event.source;
  var done;
  if (data.type === "sync") done = sync(!!data.force, data.owner || "");
  else if (data.type === "clear") done = clearCopies().then(function () { return { kept: 0 }; });
  else return;
  event.waitUntil(done.then(function (result) {
    if (source) source.postMessage({ type: "offline-synced", kept: result.kept, syncedAt: result.syncedAt || 0 });
  }, function () {
    if (source) source.postMessage({ type: "offline-synced", kept: -1 });
  }));
});
