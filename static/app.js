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
  document.addEventListener("htmx:responseError", function () {
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
