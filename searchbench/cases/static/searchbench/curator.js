// The try form's curator variables as sliders: each variable whose value is a number (or a
// numeric string) gets a range input beside the JSON textarea, which stays the one value the
// form posts. Moving a slider rewrites the JSON (a string stays a string, a number a number);
// typing in the JSON rebuilds the sliders. Without JavaScript the textarea works alone.
(function () {
  "use strict";
  var area = document.getElementById("id_curator_vars");
  if (!area) return;
  var box = document.createElement("div");
  box.id = "curator-sliders";
  box.className = "curator-sliders";
  area.parentNode.insertBefore(box, area.nextSibling);

  function parsed() {
    try {
      var value = JSON.parse(area.value.trim() || "{}");
      return value && typeof value === "object" && !Array.isArray(value) ? value : null;
    } catch (e) {
      return null;
    }
  }

  function numeric(value) {
    if (typeof value === "number") return isFinite(value);
    return typeof value === "string" && value.trim() !== "" && isFinite(Number(value));
  }

  // A range around the value: 0 to twice it (at least 10), in steps of the value's decimals.
  function range(number) {
    var text = String(number);
    var decimals = text.indexOf(".") < 0 ? 0 : text.length - text.indexOf(".") - 1;
    var step = Math.pow(10, -Math.min(decimals, 3));
    var low = Math.min(0, number);
    var high = Math.max(10, Math.abs(number) * 2);
    return { min: low, max: high, step: step };
  }

  function build() {
    var vars = parsed();
    box.textContent = "";
    if (!vars) return;
    Object.keys(vars).forEach(function (name) {
      var value = vars[name];
      if (!numeric(value)) return;
      var number = Number(value);
      var bounds = range(number);
      var id = "curator-" + name.replace(/[^A-Za-z0-9_-]/g, "_");
      var row = document.createElement("div");
      row.className = "curator-slider";
      var label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = name;
      var slider = document.createElement("input");
      slider.type = "range";
      slider.id = id;
      slider.dataset.name = name;
      slider.min = bounds.min;
      slider.max = bounds.max;
      slider.step = bounds.step;
      slider.value = number;
      var shown = document.createElement("output");
      shown.htmlFor = id;
      shown.textContent = String(value);
      slider.addEventListener("input", function () {
        var current = parsed();
        if (!current) return;
        var next = Number(slider.value);
        current[name] = typeof current[name] === "string" ? String(next) : next;
        shown.textContent = String(current[name]);
        area.value = JSON.stringify(current, null, 2);
      });
      row.appendChild(label);
      row.appendChild(slider);
      row.appendChild(shown);
      box.appendChild(row);
    });
  }

  area.addEventListener("input", build);
  build();
})();
