// The dashboards' charts (ECharts, served from node_modules): each element with data-chart="name" is drawn
// from the entry of that name in the JSON data island #dashboard-charts the page writes — a line (trend) or
// bars, in percent where the entry says so. The tables beside them carry the same numbers, so without
// scripts nothing is lost.
(function () {
  "use strict";

  var COLOURS = ["#1f5f8b", "#1c7c46", "#c77c0e", "#6b2d91"];
  var LATE = "#c0392b"; // a chart whose first series is what is overdue draws it in the inbox's red

  function option(spec) {
    var unit = spec.percent ? "%" : "";
    var line = spec.type === "line";
    var lying = lies(spec);
    var colours = spec.late ? [LATE].concat(COLOURS) : COLOURS;
    var valueAxis = { type: "value", minInterval: 1, axisLabel: { formatter: "{value}" + unit } };
    if (spec.percent) {
      valueAxis.min = 0;
      valueAxis.max = 100;
    }
    return {
      color: colours,
      tooltip: {
        trigger: "axis",
        valueFormatter: function (value) {
          return value === null || value === undefined ? "—" : value + unit;
        },
      },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: lying ? valueAxis : { type: "category", data: spec.categories, axisLabel: { interval: line ? "auto" : 0 } },
      yAxis: lying ? { type: "category", data: spec.categories.slice().reverse(), axisLabel: { interval: 0 } } : valueAxis,
      series: spec.series.map(function (s) {
        return line
          ? { name: s.name, type: "line", data: s.data, connectNulls: true, symbolSize: 5 }
          : { name: s.name, type: "bar", data: lying ? s.data.slice().reverse() : s.data, barMaxWidth: lying ? 14 : 28 };
      }),
    };
  }

  // Bars named by departments or projects (long names) lie down, one row each, so that every name shows.
  function lies(spec) {
    return (
      spec.type !== "line" &&
      spec.categories.some(function (name) {
        return String(name).length > 4;
      })
    );
  }

  function start() {
    var island = document.getElementById("dashboard-charts");
    if (!island || !window.echarts) {
      return;
    }
    var data = JSON.parse(island.textContent);
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var spec = data[element.getAttribute("data-chart")];
      if (!spec) {
        return;
      }
      element.textContent = "";
      if (lies(spec)) {
        element.style.height = Math.max(240, 60 + spec.categories.length * 18 * spec.series.length + spec.categories.length * 10) + "px";
      }
      var chart = window.echarts.init(element, null, { renderer: "canvas" });
      chart.setOption(option(spec));
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) {
        chart.resize();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
