// What every page does in the browser; the pages have no inline script, so that a strict
// Content-Security-Policy (script-src 'self') holds.
(function () {
  // The language switcher changes the language as soon as one is chosen (without
  // JavaScript, its button does).
  var language = document.getElementById("language");
  if (language) {
    language.addEventListener("change", function () {
      language.form.submit();
    });
  }
})();
