/* The filter form folds behind its "Filter" button on a narrow screen, so the table comes first; on a
   wide one it stays open (the button is hidden there). Without this script the form simply stays open. */
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 40rem)");
  var folds = document.querySelectorAll("details.fold");
  function apply() {
    folds.forEach(function (fold) { fold.open = !narrow.matches; });
  }
  apply();
  narrow.addEventListener("change", apply);
})();
