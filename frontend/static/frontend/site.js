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

  // What a swap changed is said in the page's polite live region (base.html's #announcer):
  // the swapped content's data-announce (written by the server, in the user's language), else,
  // when the keyboard was in what was swapped (the user's own step), the errors it shows, unless
  // it is a live region of its own. The region is emptied first so that the same words are said
  // again.
  var announcer = document.getElementById("announcer");
  var ERRORS = ".errorlist, [role=alert]";

  function announce(message) {
    if (!announcer || !message) return;
    announcer.textContent = "";
    window.setTimeout(function () {
      announcer.textContent = message;
    }, 50);
  }

  function message(root, hadFocus) {
    var marked = within(root, "[data-announce]")[0];
    if (marked) return marked.getAttribute("data-announce");
    if (!hadFocus || root.closest("[aria-live]") || root.querySelector("[aria-live]")) return "";
    return within(root, ERRORS)
      .map(function (element) {
        return element.textContent.replace(/\s+/g, " ").trim();
      })
      .filter(Boolean)
      .join(" ");
  }

  // Focus after a swap of what the keyboard was in: htmx keeps it on a control with an id that
  // came back; a refused form puts it on its first invalid field (unless the keyboard is in a
  // field already, typing); if the focused control went away with the old content, it goes to
  // what the swapped content marks (data-focus, else its data-announce, else the content
  // itself), never lost to the page's body. When the keyboard was elsewhere (a filter above a
  // list it swaps), it stays there.
  function keepFocus(root, hadFocus) {
    if (!hadFocus) return;
    var active = document.activeElement;
    var gone = !active || active === document.body || !document.contains(active);
    var invalid = within(root, "[aria-invalid=true]")[0];
    if (invalid && (gone || active.type === "submit")) {
      invalid.focus();
      return;
    }
    if (!gone) return; // htmx kept it
    var target = within(root, "[data-focus]")[0] || within(root, "[data-announce]")[0] || root;
    if (target.tabIndex < 0 && !target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus();
  }

  // Whether the keyboard was in what a swap replaces.
  var focusWasIn = false;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var active = document.activeElement;
    focusWasIn = Boolean(target && active && active !== document.body && target.contains(active));
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var root = event.target;
    if (!root || !root.querySelectorAll || !document.contains(root)) return;
    announce(message(root, focusWasIn));
    keepFocus(root, focusWasIn);
  });
})();
