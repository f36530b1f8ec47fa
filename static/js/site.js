// Send the tally's ETag with each poll, so an unchanged tally answers 304 and
// htmx leaves the page (and the screen reader's live region) alone.
document.addEventListener("htmx:config:request", function (event) {
  var source = event.detail.ctx.sourceElement;
  var etag = source && source.getAttribute("data-etag");
  if (etag) {
    event.detail.ctx.request.headers["If-None-Match"] = '"' + etag + '"';
  }
});
