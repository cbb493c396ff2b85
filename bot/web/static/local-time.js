// Beside each time of the meeting's zone, the viewer's own when it differs.
(function () {
  "use strict";
  var script = document.currentScript;
  var label = script ? script.getAttribute("data-label") : "";
  var times = document.querySelectorAll("time[datetime]");
  times.forEach(function (node) {
    var when = new Date(node.getAttribute("datetime"));
    if (isNaN(when.getTime())) { return; }
    var mine = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
    if (mine === node.textContent.trim()) { return; }
    var extra = document.createElement("span");
    extra.className = "viewer-time";
    extra.textContent = " (" + mine + (label ? " " + label : "") + ")";
    node.after(extra);
  });
})();
