// 流程热力图: draws the process diagram with bpmn-js and, on each step, a badge with the requests waiting
// there (a link to their list) and the share overdue; colours each step by that share or by its
// 90th-percentile time, as the page's colour choice says. The figures come in data-heat (the server's); the
// diagram is loaded by diagram.js's LintelDiagram.draw.
(function () {
  "use strict";

  var TONES = ["heat-0", "heat-1", "heat-2", "heat-3", "heat-none"];

  function badge(step, container) {
    var box = document.createElement("div");
    box.className = "heat-badge" + (step.overdue ? " has-overdue" : "");
    box.title = step.title;
    var count = document.createElement(step.waiting ? "a" : "span");
    count.className = "heat-count";
    count.textContent = String(step.waiting);
    count.setAttribute("aria-label", container.dataset.waitingLabel + " " + step.waiting);
    if (step.waiting) {
      count.href = step.href;
    }
    box.appendChild(count);
    if (step.waiting) {
      var share = document.createElement("span");
      share.className = "heat-share";
      share.textContent = container.dataset.overdueLabel + " " + step.overdue_text;
      box.appendChild(share);
    }
    return box;
  }

  function colour(canvas, registry, steps, by) {
    steps.forEach(function (step) {
      if (!registry.get(step.id)) {
        return;
      }
      TONES.forEach(function (tone) {
        canvas.removeMarker(step.id, tone);
      });
      var tone = by === "time" ? step.tone_time : step.tone_overdue;
      canvas.addMarker(step.id, tone === null || tone === undefined ? "heat-none" : "heat-" + tone);
    });
    document.querySelectorAll("[data-legend]").forEach(function (legend) {
      legend.hidden = legend.dataset.legend !== by;
    });
  }

  function show(container) {
    var steps = JSON.parse(container.dataset.heat || "[]");
    var choice = document.querySelector("[data-heat-colour]");
    window.LintelDiagram.draw(container, function (viewer) {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      var overlays = viewer.get("overlays");
      steps.forEach(function (step) {
        if (registry.get(step.id)) {
          overlays.add(step.id, "heat", {
            position: { top: -26, left: -2 }, // above the step, clear of the labels beside it
            scale: { min: 1 }, // readable however far the diagram is zoomed out
            html: badge(step, container),
          });
        }
      });
      colour(canvas, registry, steps, choice ? choice.value : "overdue");
      if (choice) {
        choice.addEventListener("change", function () {
          colour(canvas, registry, steps, choice.value);
        });
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("heat-diagram");
    if (container && window.BpmnJS && window.LintelDiagram) {
      show(container);
    }
  });
})();
