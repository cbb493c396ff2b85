// The registrations chart, drawn by Chart.js from the canvas's data attribute.
(function () {
  "use strict";
  var canvas = document.getElementById("registrations");
  if (!canvas || typeof Chart === "undefined") { return; }
  var data = JSON.parse(canvas.getAttribute("data-chart"));
  var colours = ["#1f6feb", "#2da44e", "#d29922", "#cf222e"];
  new Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: data.series.map(function (series, index) {
        var capacity = index === data.series.length - 1;
        return {
          label: series.label,
          data: series.data,
          borderColor: colours[index % colours.length],
          backgroundColor: colours[index % colours.length],
          borderDash: capacity ? [8, 6] : [],
          pointRadius: capacity ? 0 : 3,
          tension: 0
        };
      })
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { y: { beginAtZero: true } },
      plugins: { legend: { position: "bottom" } }
    }
  });
})();
