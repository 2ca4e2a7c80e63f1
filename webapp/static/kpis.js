// The figures page's charts (ECharts, served from node_modules): reads the JSON data island #kpi-charts the
// page writes and draws the trend by month and the bars by department. The tables beside them carry the same
// numbers, so without scripts nothing is lost.
(function () {
  "use strict";

  var COLOURS = ["#1f5f8b", "#1c7c46", "#c77c0e", "#6b2d91"];

  function percentAxis(unit) {
    return { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}" + unit } };
  }

  function tooltip(unit) {
    return {
      trigger: "axis",
      valueFormatter: function (value) {
        return value === null || value === undefined ? "—" : value + unit;
      },
    };
  }

  function draw(element, option) {
    if (!element) {
      return null;
    }
    element.textContent = "";
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    chart.setOption(option);
    return chart;
  }

  function start() {
    var island = document.getElementById("kpi-charts");
    if (!island || !window.echarts) {
      return;
    }
    var data = JSON.parse(island.textContent);
    var unit = data.percent;
    var charts = [];
    var trend = data.trend;
    charts.push(
      draw(document.getElementById("chart-trend"), {
        color: COLOURS,
        tooltip: tooltip(unit),
        legend: { top: 0 },
        grid: { left: 44, right: 16, top: 36, bottom: 28 },
        xAxis: { type: "category", data: trend.months, axisLabel: { hideOverlap: true } },
        yAxis: percentAxis(unit),
        series: trend.series.map(function (s) {
          return { name: s.name, type: "line", data: s.data, connectNulls: false, symbolSize: 6 };
        }),
      })
    );
    // Departments' names are long: bars lie down, one row per department, every name shown.
    var bars = data.departments;
    var box = document.getElementById("chart-departments");
    if (box) {
      box.style.height = Math.max(240, 60 + bars.names.length * 36) + "px";
    }
    charts.push(
      draw(box, {
        color: COLOURS,
        tooltip: tooltip(unit),
        legend: { top: 0 },
        grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
        yAxis: { type: "category", data: bars.names.slice().reverse(), axisLabel: { interval: 0 } },
        xAxis: percentAxis(unit),
        series: bars.series.map(function (s) {
          return { name: s.name, type: "bar", data: s.data.slice().reverse(), barMaxWidth: 14 };
        }),
      })
    );
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) {
        if (chart) {
          chart.resize();
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
