// 工程进度填报: each building's percent can be typed or dragged; the slider and the number follow each other.
(function () {
  "use strict";
  document.querySelectorAll("input[data-percent-for]").forEach(function (slider) {
    var number = document.getElementById(slider.getAttribute("data-percent-for"));
    if (!number) { return; }
    slider.addEventListener("input", function () { number.value = slider.value; });
    number.addEventListener("input", function () {
      var value = parseInt(number.value, 10);
      if (!isNaN(value)) { slider.value = Math.max(0, Math.min(100, value)); }
    });
  });
})();
