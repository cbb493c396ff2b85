// The public page's figures, asked for again every few seconds while the page is open.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch) { return; }
  var source = script.getAttribute("data-src");
  var every = Number(script.getAttribute("data-every")) * 1000 || 10000;
  function refresh() {
    if (document.hidden) { return; }
    fetch(source, { headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (figures) {
        if (!figures) { return; }
        Object.keys(figures).forEach(function (key) {
          var node = document.getElementById("counter-" + key);
          if (node && node.textContent !== figures[key]) { node.textContent = figures[key]; }
        });
      })
      .catch(function () { /* the next turn tries again */ });
  }
  setInterval(refresh, every);
})();
