// Draws each .chart element as a uPlot line chart from the JSON data island
// its data-series attribute names: [[unix seconds...], [values...]]. The
// page carries the same figures in a table, so nothing is lost without it.
(function () {
  "use strict";
  function draw(el) {
    var island = document.getElementById(el.dataset.series);
    if (!island) {
      return;
    }
    var data = JSON.parse(island.textContent);
    var width = Math.max(el.clientWidth, 300);
    new uPlot({
      width: width,
      height: 200,
      series: [{}, { label: el.dataset.label, stroke: "#0b3d2e", fill: "rgba(11,61,46,0.1)", width: 2 }],
      axes: [{}, { size: 50 }],
      scales: { y: { range: function (u, min, max) { return [0, Math.max(max, 1)]; } } },
    }, data, el);
  }
  document.querySelectorAll(".chart[data-series]").forEach(draw);
})();
