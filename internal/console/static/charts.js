// Draws the console's charts from the JSON data islands next to them, so
// pages stay free of inline script. Each <div data-chart="id"> is drawn
// from <script type="application/json" id="id">; the tables on the page
// carry the same numbers for readers without JavaScript.
(function () {
  "use strict";
  var colors = ["#1a7f37", "#0b5cad", "#9a6700", "#a4161a", "#6f42c1", "#57606a"];
  var levels = { 1: "Low", 2: "Medium", 3: "High" };

  function width(el) { return Math.max(320, el.clientWidth || 640); }

  function rating(d) {
    var step = uPlot.paths.stepped({ align: 1 });
    return {
      data: [d.x].concat(d.y),
      opts: {
        scales: { y: { range: [0.5, 3.5] } },
        axes: [{}, { size: 70, splits: function () { return [1, 2, 3]; }, values: function (u, v) { return v.map(function (n) { return levels[n] || ""; }); } }],
        series: [{}].concat(d.series.map(function (name, i) {
          return { label: name, stroke: colors[i], width: 2, paths: step, spanGaps: false };
        }))
      }
    };
  }

  // stacked draws bars of running totals, the tallest first, so each
  // class shows as its own band.
  function stacked(d) {
    var sums = [], run = d.x.map(function () { return 0; });
    d.y.forEach(function (ys) {
      run = run.map(function (v, i) { return v + (ys[i] || 0); });
      sums.push(run.slice());
    });
    var bars = uPlot.paths.bars({ size: [0.7, 40] });
    var series = [], data = [d.x];
    for (var i = sums.length - 1; i >= 0; i--) {
      series.push({ label: d.series[i], fill: colors[i % colors.length], stroke: colors[i % colors.length], paths: bars, points: { show: false },
        value: (function (k) { return function (u, v, s, idx) { return idx == null ? "" : d.y[k][idx]; }; })(i) });
      data.push(sums[i]);
    }
    return { data: data, opts: { series: [{}].concat(series), scales: { y: { range: function (u, lo, hi) { return [0, Math.max(1, hi)]; } } } } };
  }

  function lines(d) {
    return {
      data: [d.x].concat(d.y),
      opts: { series: [{}].concat(d.series.map(function (name, i) { return { label: name, stroke: colors[i % colors.length], width: 2 }; })) }
    };
  }

  var kinds = { rating: rating, stacked: stacked, lines: lines };

  function draw(el) {
    var island = document.getElementById(el.getAttribute("data-chart"));
    if (!island) { return; }
    var d = JSON.parse(island.textContent);
    var make = kinds[d.kind];
    if (!make || !d.x || d.x.length === 0) { return; }
    var c = make(d);
    c.opts.width = width(el);
    c.opts.height = 260;
    c.opts.title = d.label;
    new uPlot(c.opts, c.data, el);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), draw);
  });
})();
