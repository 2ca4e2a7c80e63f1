// The printable defect list: its print button (the pages allow no inline scripts).
(function () {
  "use strict";
  var button = document.querySelector("[data-print]");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
})();
