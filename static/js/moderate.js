// The /moderate pages. Before each htmx request, remove the notices that earlier
// responses left (flashed successes and errors), so the page shows only the
// notice of the response to this request. Without this, the success notice of
// one reset stays next to the error of the reset after it.
document.addEventListener("htmx:before:request", function (event) {
  var area = event.target.closest && event.target.closest(".moderate");
  if (!area) {
    return;
  }

  var stale = area.querySelectorAll(".notice");
  for (var i = 0; i < stale.length; i++) {
    stale[i].remove();
  }
});
