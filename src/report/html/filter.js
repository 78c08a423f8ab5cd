(function () {
  "use strict";
  var box = document.getElementById("filterbox");
  var input = document.getElementById("filter");
  var matches = document.getElementById("matches");
  var rows = document.querySelectorAll("main tbody tr");
  var details = document.querySelectorAll("main details");
  function filter() {
    var text = input.value.trim().toLowerCase();
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var hit = text === "" || rows[i].textContent.toLowerCase().indexOf(text) !== -1;
      rows[i].hidden = !hit;
      if (hit) { shown++; }
    }
    if (text !== "") {
      for (var j = 0; j < details.length; j++) { details[j].open = true; }
    }
    matches.textContent = text === "" ? "" : shown + " of the " + rows.length + " rows listed";
  }
  input.addEventListener("input", filter);
  if (location.hash.indexOf("#filter=") === 0) {
    var asked = location.hash.slice("#filter=".length);
    try { input.value = decodeURIComponent(asked); } catch (e) { input.value = asked; }
    filter();
  }
  box.hidden = false;
})();
