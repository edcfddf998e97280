// Encaisse: the installable app and its offline copies (static/sw.js). Loaded by app.js after
// the page's `load` (at once on a copy kept on the tablet), off the critical path of the first
// tap: nothing here is needed before the page is usable, except the read-only mode of a copy,
// which this file applies as soon as it runs.
(function () {
  "use strict";
  var DOCS_CACHE = "encaisse-docs";
  var META_URL = "/__encaisse/offline-meta";

  function frenchDate(iso) {
    var d = new Date(iso);
    if (isNaN(d)) return iso;
    return d.toLocaleDateString("fr-FR") + " à " + d.toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit" });
  }

  // A page served from the tablet's copy says so, with the date it was saved, and is read-only:
  // nothing is written offline.
  function copyMode() {
    var meta = document.querySelector('meta[name="encaisse-copy"]');
    var saved = meta && meta.getAttribute("content");
    if (!saved) return false;
    document.documentElement.classList.add("is-copy");
    var banner = document.getElementById("copy-banner");
    if (banner) {
      banner.textContent = "Copie enregistrée le " + frenchDate(saved) + " sur cette tablette : vous lisez la "
        + "dernière version enregistrée. Hors connexion, rien ne peut être modifié ici.";
      banner.hidden = false;
    }
    document.querySelectorAll("form button, form input, form select, form textarea").forEach(function (el) {
      if (!el.closest("[data-logout]")) el.disabled = true;
    });
    document.querySelectorAll("[hx-trigger]").forEach(function (el) {  // no polling from a copy
      if (/every/.test(el.getAttribute("hx-trigger"))) el.removeAttribute("hx-trigger");
    });
    return true;
  }

  function listCopies() {
    var list = document.getElementById("offline-saved-list");
    if (!list || !window.caches) return;
    caches.open(DOCS_CACHE).then(function (cache) { return cache.match(META_URL); }).then(function (hit) {
      return hit ? hit.json() : { items: {} };
    }).then(function (meta) {
      var pages = Object.keys(meta.items || {}).sort(function (a, b) {
        return (meta.items[a].title || "").localeCompare(meta.items[b].title || "", "fr");
      });
      document.getElementById("offline-saved-none").hidden = pages.length > 0;
      if (meta.syncedAt) {
        document.getElementById("offline-saved-when").textContent = "Dernier enregistrement : " + frenchDate(meta.syncedAt) + ".";
      }
      pages.forEach(function (page) {
        var item = meta.items[page];
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.className = "row-link"; a.href = page; a.textContent = item.title || page;
        li.appendChild(a);
        list.appendChild(li);
      });
    });
  }

  // The page says whose session it is: the worker drops another user's copies at once.
  function askSync(force) {
    var owner = document.body && document.body.getAttribute("data-offline-sync");
    if (!owner || !navigator.serviceWorker || !navigator.onLine) return;
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.active) reg.active.postMessage({ type: "sync", force: !!force, owner: owner });
    });
  }

  function start() {
    var isCopy = copyMode();
    listCopies();
    if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "offline-synced") {
        document.documentElement.setAttribute("data-offline-kept", String(event.data.kept));
        document.documentElement.setAttribute("data-offline-synced", String(event.data.syncedAt || 0));
      }
    });
    // After the page has loaded and the tablet is idle: the copies never compete with the page
    // being opened for the one bar of signal.
    var register = function () {
      var later = window.requestIdleCallback || function (fn) { return window.setTimeout(fn, 500); };
      later(function () {
        navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
          if (!isCopy) askSync(false);
        }).catch(function () { /* no offline copies on this browser: the app works as before */ });
      });
    };
    if (document.readyState === "complete") register();
    else window.addEventListener("load", register);
    window.addEventListener("online", function () { askSync(true); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  // Logging out removes this user's copies before anything else (the server's answer also
  // clears the site's storage: Clear-Site-Data).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-logout") || form.dataset.cleared || !window.caches) return;
    event.preventDefault();
    var done = function () { form.dataset.cleared = "1"; form.submit(); };
    var sw = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (sw) sw.postMessage({ type: "clear" });
    caches.delete(DOCS_CACHE).then(done, done);
  }, true);
})();
