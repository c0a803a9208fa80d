/* Presenter mode keys (components/presenter.py): ← / → step through the slides (by clicking the
   slide's own buttons, so the server callbacks do the work); Esc is handled by the modal.
   In an assets file because the Content-Security-Policy allows no inline scripts. */
(function () {
  function open() {
    return !!document.querySelector(".present-modal.show");
  }
  function press(id) {
    var b = document.getElementById(id);
    if (b && !b.disabled) { b.click(); }
  }
  document.addEventListener("keydown", function (e) {
    if (!open() || e.altKey || e.ctrlKey || e.metaKey) { return; }
    if (e.key === "ArrowRight" || e.key === "PageDown" || e.key === " ") {
      press("present-next"); e.preventDefault();
    } else if (e.key === "ArrowLeft" || e.key === "PageUp") {
      press("present-prev"); e.preventDefault();
    }
  });
})();
