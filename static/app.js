// Encaisse: the little JavaScript the pages need, loaded as a file (strict CSP, no inline script).
(function () {
  "use strict";

  // A double tap on a submit button must not post twice: disable it until the page changes.
  // (The server is idempotent anyway; this keeps the tablet calm.)
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("hx-post") || form.hasAttribute("hx-get")) return; // htmx: hx-disabled-elt
    var buttons = form.querySelectorAll("button[type=submit], button:not([type])");
    window.setTimeout(function () {
      buttons.forEach(function (b) { b.disabled = true; b.setAttribute("aria-busy", "true"); });
    }, 0);
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("button[aria-busy=true]").forEach(function (b) {
      b.disabled = false; b.removeAttribute("aria-busy");
    });
  });

  // A failed htmx request (server error, network down in the van) must be visible.
  function showError(message) {
    var box = document.getElementById("flashes");
    if (!box) return;
    var p = document.createElement("p");
    p.className = "flash flash-error";
    p.setAttribute("role", "alert");
    p.textContent = message;
    box.appendChild(p);
  }
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (xhr && xhr.status === 403) {
      showError("Votre accès ne permet pas cette action (réservée au titulaire du compte, ou accès en lecture seule).");
      return;
    }
    showError("L'action n'a pas abouti. Rechargez la page et réessayez.");
  });
  document.addEventListener("htmx:sendError", function () {
    showError("Pas de connexion au serveur : vérifiez le réseau et réessayez.");
  });

  // Copy-to-clipboard buttons: <button data-copy="text">.
  document.addEventListener("click", function (event) {
    var btn = event.target.closest("[data-copy]");
    if (!btn || !navigator.clipboard) return;
    navigator.clipboard.writeText(btn.getAttribute("data-copy")).then(function () {
      var label = btn.textContent;
      btn.textContent = "Copié ✓";
      window.setTimeout(function () { btn.textContent = label; }, 1500);
    });
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
