// 比较版本: both versions' diagrams drawn with bpmn-js, and bpmn-js-differ's diff of their moddle definitions
// colouring the elements: added green (lintel-added), removed red (lintel-removed), changed orange
// (lintel-changed). The server's own list of changed steps (data-marks) is coloured as well.
import { BpmnModdle } from "bpmn-moddle";
import { diff } from "bpmn-js-differ";

function load(container) {
  return fetch(container.dataset.compare, { credentials: "same-origin" }).then(function (response) {
    if (!response.ok) {
      throw new Error("HTTP " + response.status);
    }
    return response.text();
  });
}

function draw(container, xml, marks) {
  const viewer = new window.BpmnJS({ container: container });
  return viewer.importXML(xml).then(function () {
    const canvas = viewer.get("canvas");
    const registry = viewer.get("elementRegistry");
    Object.keys(marks).forEach(function (id) {
      if (registry.get(id)) {
        canvas.addMarker(id, "lintel-" + marks[id]);
      }
    });
    canvas.zoom("fit-viewport", "auto");
    // A margin round the drawing: fitted exactly, the outermost elements touch the frame.
    const box = canvas.viewbox();
    const margin = 0.06;
    canvas.viewbox({
      x: box.x - box.width * margin,
      y: box.y - box.height * margin,
      width: box.width * (1 + 2 * margin),
      height: box.height * (1 + 2 * margin),
    });
    const status = container.querySelector(".status");
    if (status) {
      status.remove();
    }
    container.dataset.ready = "true";
  });
}

function fail(container) {
  const status = container.querySelector(".status");
  if (status) {
    status.textContent = container.dataset.failed || "";
  }
  container.dataset.ready = "error";
}

document.addEventListener("DOMContentLoaded", function () {
  const old = document.querySelector("[data-compare][data-side='old']");
  const fresh = document.querySelector("[data-compare][data-side='new']");
  if (!old || !fresh || !window.BpmnJS) {
    return;
  }
  const server = JSON.parse(fresh.dataset.marks || "{}");
  Promise.all([load(old), load(fresh)])
    .then(function (xmls) {
      const moddle = new BpmnModdle();
      return Promise.all(xmls.map((xml) => moddle.fromXML(xml))).then(function (parsed) {
        const changes = diff(parsed[0].rootElement, parsed[1].rootElement);
        const marks = Object.assign({}, server);
        Object.keys(changes._changed || {}).forEach((id) => (marks[id] = "changed"));
        Object.keys(changes._added || {}).forEach((id) => (marks[id] = "added"));
        Object.keys(changes._removed || {}).forEach((id) => (marks[id] = "removed"));
        return Promise.all([
          draw(old, xmls[0], marks).catch(() => fail(old)),
          draw(fresh, xmls[1], marks).catch(() => fail(fresh)),
        ]);
      });
    })
    .catch(function () {
      fail(old);
      fail(fresh);
    });
});
