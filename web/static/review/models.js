// The training's progress bar on the « Modèles » page: polls progression.json every second and
// reloads the page when the training is over (the page shows the same without this script).
(function () {
  "use strict";
  var bar = document.getElementById("progression");
  if (!bar) { return; }
  var stage = document.getElementById("etape");
  var percent = document.getElementById("pourcentage");
  var id = bar.getAttribute("data-model");
  function poll() {
    fetch("/console/revue/modeles/progression.json", {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        var t = body && body.training;
        if (!t || String(t.id) !== id) { window.location.reload(); return; }
        bar.value = t.progress;
        bar.textContent = t.progress + " %";
        percent.textContent = t.progress + " %";
        if (stage.textContent !== t.stage) { stage.textContent = t.stage; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
}());
