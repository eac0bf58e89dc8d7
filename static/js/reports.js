/* Progress of a report artefact: polls its JSON status until it is done or failed.
   Served as a static file (the CSP forbids inline scripts). */
(function () {
  "use strict";
  var box = document.getElementById("report-status");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var delay = 1000;

  function field(name) { return box.querySelector('[data-field="' + name + '"]'); }

  function show(s) {
    var badge = field("status_label");
    badge.textContent = s.status_label;
    badge.className = "badge report-" + s.status;
    field("note").textContent = s.note || "";
    field("progress").value = s.progress;
    field("percent").textContent = s.progress + "%";
    var error = field("error");
    error.textContent = s.error || "";
    error.hidden = !s.error;
    if (s.download_url) {
      var link = field("download_link");
      link.href = s.download_url;
      link.textContent = "下载 " + (s.filename || "");
      field("download").hidden = false;
    }
    if (s.sha256) {
      field("sha256").textContent = s.sha256;
      field("checksum").hidden = false;
    }
    box.setAttribute("data-status", s.status);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (s) {
        show(s);
        if (!s.finished) { window.setTimeout(poll, delay); }
      })
      .catch(function () {
        delay = Math.min(delay * 2, 10000);  // server busy or offline: back off, keep trying
        window.setTimeout(poll, delay);
      });
  }

  var current = box.getAttribute("data-status");
  if (current !== "done" && current !== "failed") { poll(); }
})();
