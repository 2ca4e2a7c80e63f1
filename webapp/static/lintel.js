// Small conveniences without inline scripts (the pages' Content-Security-Policy allows none):
// selects that submit their form, and forms that ask for confirmation first.
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
      target.form.requestSubmit ? target.form.requestSubmit() : target.form.submit();
    }
  });

  // The top bar's menus: one open at a time, closed by a click elsewhere or Escape.
  document.addEventListener("click", function (event) {
    var menus = document.querySelectorAll("nav details.menu[open]");
    Array.prototype.forEach.call(menus, function (menu) {
      if (!menu.contains(event.target)) { menu.removeAttribute("open"); }
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    Array.prototype.forEach.call(document.querySelectorAll("nav details.menu[open]"), function (menu) {
      menu.removeAttribute("open");
    });
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // The inbox by keyboard: J/K (or the arrow keys) move between rows, Enter or O opens the task,
  // C claims it, X ticks it for a bulk action. Keys typed into a field are left alone.
  var table = document.querySelector("table[data-keyboard]");
  if (table) {
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr"));
    var current = -1;
    var focus = function (index) {
      if (!rows.length) { return; }
      index = Math.max(0, Math.min(rows.length - 1, index));
      if (current >= 0 && rows[current]) { rows[current].classList.remove("focused"); }
      current = index;
      rows[current].classList.add("focused");
      rows[current].scrollIntoView({ block: "nearest" });
    };
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.ctrlKey || event.metaKey || event.altKey) { return; }
      if (target && target.closest && target.closest("input, textarea, select, [contenteditable]")) { return; }
      var key = event.key;
      var row = current >= 0 ? rows[current] : null;
      if (key === "j" || key === "J" || key === "ArrowDown") {
        focus(current + 1);
      } else if (key === "k" || key === "K" || key === "ArrowUp") {
        focus(current - 1);
      } else if ((key === "Enter" || key === "o" || key === "O") && row) {
        var open = row.querySelector("a[data-open]");
        if (open) { window.location.href = open.href; }
      } else if ((key === "c" || key === "C") && row) {
        var claim = row.querySelector("form[data-claim]");
        if (claim) { claim.requestSubmit ? claim.requestSubmit() : claim.submit(); }
      } else if ((key === "x" || key === "X") && row) {
        var box = row.querySelector("input[type=checkbox]");
        if (box) { box.checked = !box.checked; }
      } else {
        return;
      }
      event.preventDefault();
    });
  }
})();

// A character counter: a field with data-counter="ID" keeps the element #ID showing its length, marked
// when it passes the element's data-max.
(function () {
  "use strict";
  document.addEventListener("input", function (event) {
    var field = event.target;
    var id = field.getAttribute && field.getAttribute("data-counter");
    var counter = id && document.getElementById(id);
    if (!counter) { return; }
    var length = Array.from(field.value).length;
    counter.textContent = String(length);
    var max = parseInt(counter.getAttribute("data-max") || "0", 10);
    counter.classList.toggle("late", max > 0 && length > max);
  });
})();
