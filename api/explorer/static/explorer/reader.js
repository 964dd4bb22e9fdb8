/* The report reader: choosing a highlight (click, or Enter / Space on a focused one) opens its claim. */
(function () {
  "use strict";
  var text = document.getElementById("report-text");
  if (!text) { return; }
  var chosen = [];

  function choose(claimId, focusCard) {
    chosen.forEach(function (mark) { mark.classList.remove("chosen"); });
    chosen = Array.prototype.slice.call(text.querySelectorAll('mark.claim[data-claim-id="' + CSS.escape(claimId) + '"]'));
    chosen.forEach(function (mark) { mark.classList.add("chosen"); });
    var card = document.getElementById("about-" + claimId);
    if (card) {
      card.open = true;
      card.scrollIntoView({ block: "nearest" });
      if (focusCard) { card.querySelector("summary").focus(); }
    }
  }

  function innermost(target) {
    return target && target.closest ? target.closest("mark.claim") : null;
  }

  text.addEventListener("click", function (event) {
    var mark = innermost(event.target);
    if (mark) { choose(mark.getAttribute("data-claim-id"), false); }
  });
  text.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" && event.key !== " ") { return; }
    var mark = innermost(event.target);
    if (mark) {
      event.preventDefault();
      choose(mark.getAttribute("data-claim-id"), true);
    }
  });
  document.querySelectorAll(".claim-list a[href^='#claim-']").forEach(function (link) {
    link.addEventListener("click", function () {
      var id = link.getAttribute("href").slice("#claim-".length);
      choose(id, false);
      var first = document.getElementById("claim-" + id);
      if (first) { window.setTimeout(function () { first.focus(); }, 0); }
    });
  });
  if (window.location.hash.indexOf("#claim-") === 0) {
    var wanted = window.location.hash.slice("#claim-".length);
    try { wanted = decodeURIComponent(wanted); } catch (malformed) { return; }
    choose(wanted, false);
  }
})();
