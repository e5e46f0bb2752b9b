// What every page does in the browser; the pages have no inline script and no inline style,
// so that a strict Content-Security-Policy (script-src 'self'; style-src 'self') holds.
(function () {
  "use strict";

  // The language switcher changes the language as soon as one is chosen (without
  // JavaScript, its button does).
  var language = document.getElementById("language");
  if (language) {
    language.addEventListener("change", function () {
      language.form.submit();
    });
  }

  // Layout computed on the server (the timeline's columns) comes in data attributes and is
  // set here through the element's style object, which the policy allows (a style=""
  // attribute it does not):
  //   data-tl-months="48"                 the timeline's number of month columns
  //   data-tl-col="4" [data-tl-span="39"] the grid column an item starts in, and its width
  //   data-tl-left="10"                   how far into its column it sits, in per cent
  function within(root, selector) {
    var found = Array.prototype.slice.call(root.querySelectorAll(selector));
    if (root.matches && root.matches(selector)) found.unshift(root);
    return found;
  }

  function layOut(root) {
    within(root, "[data-tl-months]").forEach(function (element) {
      element.style.setProperty("--tl-months", element.dataset.tlMonths);
    });
    within(root, "[data-tl-col]").forEach(function (element) {
      var data = element.dataset;
      element.style.gridColumn = data.tlSpan ? data.tlCol + " / span " + data.tlSpan : data.tlCol;
      if (data.tlLeft) element.style.left = data.tlLeft + "%";
    });
  }

  layOut(document);
  // Content htmx swaps in is laid out as it arrives.
  document.addEventListener("htmx:load", function (event) {
    layOut(event.detail.elt);
  });
})();
