// Encaisse: the little JavaScript the pages need, loaded as a file (strict CSP, no inline script).
(function () {
  "use strict";

  // --- Feedback on every tap, and never twice ---------------------------------------------
  // Every control that calls the server shows it is working at once (aria-busy, styled in
  // app.css) and cannot fire again until the answer came: a double tap on a slow link added
  // two lines or queued a second request (htmx queues by default).
  var busy = new WeakSet();
  var TAPS = { click: true, submit: true };

  function submitters(elt) {
    if (elt.tagName === "FORM") return Array.prototype.slice.call(elt.querySelectorAll("button[type=submit], button:not([type])"));
    return [elt];
  }
  function setBusy(elt, on) {
    submitters(elt).forEach(function (b) {
      if (on) {
        b.setAttribute("aria-busy", "true");
        if (b.tagName === "BUTTON") { b.dataset.wasDisabled = b.disabled ? "1" : ""; b.disabled = true; }
      } else {
        b.removeAttribute("aria-busy");
        if (b.tagName === "BUTTON" && !b.dataset.wasDisabled) b.disabled = false;
      }
    });
    if (elt.tagName === "FORM") { if (on) elt.setAttribute("aria-busy", "true"); else elt.removeAttribute("aria-busy"); }
    if (on) busy.add(elt); else busy.delete(elt);
  }

  // A plain form (no htmx): disable its buttons until the page changes.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("hx-post") || form.hasAttribute("hx-get")) return;
    if (!navigator.onLine) {  // the browser would show its own error page: say it here instead
      event.preventDefault();
      showActionError(form, offlineMessage(form));
      return;
    }
    window.setTimeout(function () { setBusy(form, true); }, 0);
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("[aria-busy=true]").forEach(function (el) { setBusy(el, false); });
  });

  document.addEventListener("htmx:confirm", function (event) {
    var d = event.detail, type = d.triggeringEvent && d.triggeringEvent.type;
    if (TAPS[type] && busy.has(d.elt)) { event.preventDefault(); return; }  // the second tap
    if (d.verb !== "get" && !navigator.onLine) {  // nothing is written without the network
      event.preventDefault();
      showActionError(d.elt, offlineMessage(d.elt));
    }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var d = event.detail, cfg = d.requestConfig || {}, type = cfg.triggeringEvent && cfg.triggeringEvent.type;
    if (TAPS[type]) setBusy(d.elt, true);
    else if (type) d.elt.setAttribute("aria-busy", "true");  // typing, a change: a quieter indicator
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    setBusy(elt, false);
    if (event.detail.successful) clearActionError(elt);
  });

  // --- Failures next to what was tapped ----------------------------------------------------
  function actionLabel(elt) {
    var b = elt.tagName === "FORM" ? elt.querySelector("button[type=submit], button:not([type])") : elt;
    var text = b ? (b.textContent || "").replace(/\s+/g, " ").trim() : "";
    return text ? "« " + text + " »" : "L'action";
  }
  function offlineMessage(elt) {
    return "Pas de réseau : " + actionLabel(elt) + " n'a pas été fait, rien n'a été enregistré. "
      + "Réessayez quand le réseau revient.";
  }
  function anchorOf(elt) {
    if (!elt || !elt.isConnected) return null;
    if (elt.tagName === "FORM") return elt.querySelector("button[type=submit], button:not([type])") || elt.lastElementChild || elt;
    return elt;
  }
  function clearActionError(elt) {
    var anchor = anchorOf(elt);
    var next = anchor && anchor.nextElementSibling;
    if (next && next.classList.contains("action-error")) next.remove();
  }
  function showActionError(elt, message) {
    var anchor = anchorOf(elt);
    if (!anchor) return;
    var box = anchor.nextElementSibling;
    if (!box || !box.classList.contains("action-error")) {  // one message per control, never a pile
      box = document.createElement("p");
      box.className = "action-error";
      box.setAttribute("role", "alert");
      anchor.insertAdjacentElement("afterend", box);
    }
    box.textContent = message;
    box.scrollIntoView({ block: "nearest" });
  }
  // A poll (hx-trigger "every …") that fails is not something the user did: no message for it.
  function fromPoll(detail) {
    var cfg = detail.requestConfig || {}, elt = detail.elt;
    return !cfg.triggeringEvent && elt && /every/.test(elt.getAttribute("hx-trigger") || "");
  }
  document.addEventListener("htmx:sendError", function (event) {
    if (fromPoll(event.detail)) return;
    showActionError(event.detail.elt, navigator.onLine
      ? "Le serveur ne répond pas : " + actionLabel(event.detail.elt) + " n'a pas été fait. Vérifiez le réseau et réessayez."
      : offlineMessage(event.detail.elt));
  });
  document.addEventListener("htmx:timeout", function (event) {
    if (fromPoll(event.detail)) return;
    showActionError(event.detail.elt, "Pas de réponse du serveur : " + actionLabel(event.detail.elt)
      + " n'est peut-être pas fait. Rechargez la page pour voir où il en est.");
  });
  document.addEventListener("htmx:responseError", function (event) {
    if (fromPoll(event.detail)) return;
    var xhr = event.detail.xhr;
    if (xhr && xhr.status === 403) {  // a role that may not do this (read-only access, not the owner)
      showActionError(event.detail.elt, actionLabel(event.detail.elt) + " n'est pas permis avec votre accès "
        + "(réservé au titulaire du compte, ou accès en lecture seule) : rien n'a changé.");
      return;
    }
    showActionError(event.detail.elt, "Le serveur n'a pas pu faire " + actionLabel(event.detail.elt)
      + " : rien n'a changé. Rechargez la page et réessayez.");
  });

  // --- Offline, said before the tap -------------------------------------------------------
  function showNetworkState() {
    var banner = document.getElementById("offline-banner");
    var offline = !navigator.onLine;
    document.documentElement.classList.toggle("is-offline", offline);
    if (banner) banner.hidden = !offline;
  }
  window.addEventListener("online", showNetworkState);
  window.addEventListener("offline", showNetworkState);
  document.addEventListener("DOMContentLoaded", showNetworkState);

  // --- The offline copies (offline.js), after the page -------------------------------------
  // A copy kept on the tablet needs it at once (it says it is a copy and turns read-only);
  // any other page loads it once everything else has arrived.
  function loadOffline() {
    var meta = document.querySelector('meta[name="encaisse-offline-js"]');
    if (!meta || document.getElementById("offline-js")) return;
    var script = document.createElement("script");
    script.id = "offline-js";
    script.src = meta.getAttribute("content");
    script.async = true;
    document.head.appendChild(script);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var copy = document.querySelector('meta[name="encaisse-copy"]');
    if (copy && copy.getAttribute("content")) loadOffline();
    else if (document.readyState === "complete") loadOffline();
    else window.addEventListener("load", loadOffline);
  });

  // --- Bring the user to what needs reading -------------------------------------------------
  // The first error of a refused form (its field focused), or a section just opened for reading
  // (data-reveal: the letter of a formal notice), is scrolled into view: the message 900 px
  // below a page left at its top was never seen.
  var FIELD_ERROR = ".has-error input:not([type=hidden]), .has-error select, .has-error textarea, [aria-invalid=true]";
  var MESSAGE_ERROR = ".error-box, .form-error, .field .error, .flash-warning, .flash-error";
  function bringTo(target) {
    target.scrollIntoView({ block: "center" });
    if (!/^(INPUT|SELECT|TEXTAREA|BUTTON|A)$/.test(target.tagName) && !target.hasAttribute("tabindex")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus({ preventScroll: true });
  }
  function reveal(root) {
    var opened = document.querySelector("[data-reveal]");
    if (opened) { opened.removeAttribute("data-reveal"); bringTo(opened); return; }
    var target = root && (root.querySelector(FIELD_ERROR) || root.querySelector(MESSAGE_ERROR));
    if (target) bringTo(target);
  }
  document.addEventListener("DOMContentLoaded", function () { reveal(document.getElementById("main")); });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;  // an outerHTML swap replaced it: its successor has its id
    if (target && !target.isConnected) target = target.id ? document.getElementById(target.id) : null;
    reveal(target);
  });

  // Links that lead to a field (data-focus="#amount"): the field gets the focus, ready to type.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-focus]");
    if (!link) return;
    var field = document.querySelector(link.getAttribute("data-focus"));
    if (!field) return;
    event.preventDefault();
    field.scrollIntoView({ block: "center" });
    field.focus({ preventScroll: true });
    if (field.select) field.select();
  });

  // A use of another channel (WhatsApp, SMS, Telegram, a copied link) is recorded in the
  // background once it happened: the link was followed, the text really copied.
  function recordShare(el) {
    var url = el.getAttribute("data-share");
    if (!url || !window.htmx) return;
    var values = {};
    if (el.hasAttribute("data-share-phone")) values.phone = el.getAttribute("data-share-phone");
    window.htmx.ajax("POST", url, { target: "#collections-panel", swap: "outerHTML", values: values });
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-share]");
    if (link) recordShare(link);  // the link itself goes on: it opens the app, not a form
  });

  // Copy buttons (<button data-copy="text">): the Clipboard API; where it is refused, the text
  // is shown selected next to the button, to copy by hand. Nothing is recorded then.
  function copyFallback(btn, text) {
    var box = btn.parentNode.querySelector(".copy-fallback");
    if (!box) {
      box = document.createElement("p");
      box.className = "copy-fallback";
      box.setAttribute("role", "status");
      var input = document.createElement("input");
      input.type = "text"; input.readOnly = true; input.setAttribute("aria-label", "Lien à copier");
      var hint = document.createElement("span");
      hint.className = "hint";
      hint.textContent = "Copie automatique impossible ici : le lien est sélectionné, copiez-le (appui long, puis Copier).";
      box.appendChild(input); box.appendChild(hint);
      btn.insertAdjacentElement("afterend", box);
    }
    var field = box.querySelector("input");
    field.value = text; field.focus(); field.select();
  }
  document.addEventListener("click", function (event) {
    var btn = event.target.closest("[data-copy]");
    if (!btn) return;
    var text = btn.getAttribute("data-copy");
    if (!navigator.clipboard || !window.isSecureContext) { copyFallback(btn, text); return; }
    navigator.clipboard.writeText(text).then(function () {
      var label = btn.textContent;
      btn.textContent = "Copié ✓";
      window.setTimeout(function () { btn.textContent = label; }, 1500);
      recordShare(btn);
    }, function () { copyFallback(btn, text); });
  });
})();

// --- Lines editor (quotes, invoices, credit notes; issue 3) -------------------------------
// Rows are added by htmx (server-rendered fragments); removing and moving them is plain DOM
// work here. Any change re-posts the form to the totals preview (hx-trigger on #doc-totals
// listens for "change" and "lines-changed" from #doc-form): no money arithmetic in JS.
(function () {
  "use strict";

  function linesChanged(el) {
    var form = el && el.closest ? el.closest("form") : null;
    if (form) form.dispatchEvent(new CustomEvent("lines-changed", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var remove = event.target.closest("[data-remove-row]");
    if (remove) {
      var row = remove.closest("[data-line-row]");
      var form = row && row.closest("form");
      if (row) row.remove();
      if (form) form.dispatchEvent(new CustomEvent("lines-changed", { bubbles: true }));
      return;
    }
    var move = event.target.closest("[data-move-row]");
    if (move) {
      var current = move.closest("[data-line-row]");
      if (!current) return;
      if (move.getAttribute("data-move-row") === "up" && current.previousElementSibling) {
        current.parentNode.insertBefore(current, current.previousElementSibling);
      } else if (move.getAttribute("data-move-row") === "down" && current.nextElementSibling) {
        current.parentNode.insertBefore(current.nextElementSibling, current);
      }
      move.focus();
      linesChanged(current);
    }
  });

  // A row just inserted (blank, section or from the catalogue): focus its first field,
  // clear the catalogue search, and refresh the totals.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "line-rows") return;
    var rows = target.querySelectorAll("[data-line-row]");
    var last = rows[rows.length - 1];
    if (last) {
      var input = last.querySelector("input:not([type=hidden])");
      if (input && !input.value) input.focus();
    }
    var search = document.getElementById("catalog-q");
    var results = document.getElementById("catalog-results");
    if (search && results && results.contains(event.detail.requestConfig && event.detail.requestConfig.elt)) {
      search.value = "";
      results.innerHTML = "";
    }
    linesChanged(target);
  });

  // Enter in a line field must not submit the whole document by accident.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    var el = event.target;
    if (el.tagName === "INPUT" && el.closest("[data-line-row]")) event.preventDefault();
    if (el.id === "catalog-q") event.preventDefault();
  });
})();
