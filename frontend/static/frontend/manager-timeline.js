// The timeline scrolls sideways on narrow screens: start with today's month in view.
(function () {
  document.querySelectorAll(".tl-scroll").forEach(function (scroller) {
    var today = scroller.querySelector(".tl-month.is-today");
    if (!today || scroller.scrollWidth <= scroller.clientWidth) return;
    var offset = today.getBoundingClientRect().left - scroller.getBoundingClientRect().left;
    scroller.scrollLeft += offset - scroller.clientWidth / 2;
  });
})();
