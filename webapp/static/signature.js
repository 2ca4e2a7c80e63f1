// The owner's signature drawn with a finger or a stylus, sent with the form as a PNG.
(function () {
  "use strict";
  var form = document.querySelector("form[data-signature-form]");
  if (!form) { return; }
  var canvas = form.querySelector("canvas");
  var field = form.querySelector("input[name=signature]");
  var context = canvas.getContext("2d");
  var drawn = false;
  var last = null;
  context.lineWidth = 4;
  context.lineCap = "round";
  context.lineJoin = "round";
  context.strokeStyle = "#111";

  function point(event) {
    var box = canvas.getBoundingClientRect();
    return { x: (event.clientX - box.left) * canvas.width / box.width, y: (event.clientY - box.top) * canvas.height / box.height };
  }
  canvas.addEventListener("pointerdown", function (event) {
    canvas.setPointerCapture(event.pointerId);
    last = point(event);
    context.beginPath();
    context.arc(last.x, last.y, 1.5, 0, Math.PI * 2);
    context.fill();
    drawn = true;
    event.preventDefault();
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!last) { return; }
    var next = point(event);
    context.beginPath();
    context.moveTo(last.x, last.y);
    context.lineTo(next.x, next.y);
    context.stroke();
    last = next;
    event.preventDefault();
  });
  ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
    canvas.addEventListener(name, function () { last = null; });
  });
  form.querySelector("[data-clear-signature]").addEventListener("click", function () {
    context.clearRect(0, 0, canvas.width, canvas.height);
    drawn = false;
    field.value = "";
  });
  form.addEventListener("submit", function () {
    field.value = drawn ? canvas.toDataURL("image/png") : "";
  });
})();
