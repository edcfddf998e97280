// Encaisse: the signature pad of the "bon pour accord" page (vendored signature_pad 5.1.4).
// The canvas follows the screen (portrait or landscape, device pixel ratio) without losing the
// strokes; on submit the drawing goes as a PNG data URL in a hidden field. No inline script.
(function () {
  "use strict";

  function setup() {
    var canvas = document.getElementById("signature-canvas");
    var form = document.getElementById("sign-form");
    if (!canvas || !form || !window.SignaturePad) return;
    var pad = new window.SignaturePad(canvas, { minWidth: 1.2, maxWidth: 3.2, penColor: "#14213d" });
    var missing = document.getElementById("signature-missing");

    function resize() {
      var data = pad.toData();
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      var box = canvas.getBoundingClientRect();
      canvas.width = Math.round(box.width * ratio);
      canvas.height = Math.round(box.height * ratio);
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      if (data.length) pad.fromData(data);
    }
    window.addEventListener("resize", resize);
    resize();

    pad.addEventListener("beginStroke", function () { missing.hidden = true; });
    document.getElementById("signature-clear").addEventListener("click", function () { pad.clear(); });
    form.addEventListener("submit", function (event) {
      if (pad.isEmpty()) {
        event.preventDefault();
        event.stopImmediatePropagation();
        missing.hidden = false;
        missing.scrollIntoView({ block: "center" });
        return;
      }
      form.querySelector("input[name=signature]").value = pad.toDataURL("image/png");
    }, true);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
