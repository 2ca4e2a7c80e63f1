// Shows a BPMN diagram with bpmn-js (NavigatedViewer, served from node_modules) and marks the steps
// a request waits in (data-current) and the ones it has done (data-done).
(function () {
  "use strict";

  function mark(canvas, registry, ids, marker) {
    ids.forEach(function (id) {
      if (registry.get(id)) {
        canvas.addMarker(id, marker);
      }
    });
  }

  // Loads the container's diagram (data-bpmn) into a viewer, lets `decorate(viewer)` mark it, fits it to the
  // box and says it is ready (data-ready) — or shows the container's data-failed text. The heatmap uses it too.
  function draw(container, decorate) {
    var status = container.querySelector(".status");
    var viewer = new window.BpmnJS({ container: container });
    fetch(container.dataset.bpmn, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (xml) {
        return viewer.importXML(xml);
      })
      .then(function () {
        decorate(viewer);
        viewer.get("canvas").zoom("fit-viewport", "auto");
        if (status) {
          status.remove();
        }
        container.dataset.ready = "true";
      })
      .catch(function () {
        if (status) {
          status.textContent = container.dataset.failed || "";
        }
        container.dataset.ready = "error";
      });
  }

  function show(container) {
    draw(container, function (viewer) {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      mark(canvas, registry, JSON.parse(container.dataset.done || "[]"), "lintel-done");
      mark(canvas, registry, JSON.parse(container.dataset.current || "[]"), "lintel-current");
    });
  }

  window.LintelDiagram = { draw: draw };

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.BpmnJS) {
      return;
    }
    document.querySelectorAll("[data-bpmn]:not([data-heat])").forEach(show);
  });
})();
