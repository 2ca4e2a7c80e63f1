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
  // The camera's own file input is hidden behind a button in the page's language; say what was chosen.
  document.querySelectorAll("input[type=file][data-chosen]").forEach(function (input) {
    var shown = document.getElementById(input.getAttribute("data-chosen"));
    input.addEventListener("change", function () {
      var count = input.files ? input.files.length : 0;
      shown.textContent = count ? input.getAttribute("data-chosen-text").replace("{n}", String(count)) : "";
    });
  });
})();
