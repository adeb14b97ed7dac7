/* Staff request page: choosing a response template fills the text box (the text stays editable). */
(function () {
  "use strict";
  function start() {
    var select = document.getElementById("act-template");
    if (!select) { return; }
    var target = document.getElementById(select.getAttribute("data-target"));
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      var text = option && option.getAttribute("data-text");
      if (target && text) { target.value = text; target.focus(); }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
