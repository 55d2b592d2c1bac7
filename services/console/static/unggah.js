// aduan console: evidence upload with progress (issue 15, S10). Without JavaScript the form posts
// as usual; with it, the same multipart request goes through XMLHttpRequest so that the page can
// show how much of the file has been sent, then shows the console's answer.
(function () {
  "use strict";
  function show(xhr) {
    if (xhr.status >= 200 && xhr.status < 300 && xhr.responseURL) {
      window.location.assign(xhr.responseURL);
      return;
    }
    document.open();
    document.write(xhr.responseText);
    document.close();
  }
  document.querySelectorAll("form[data-unggah]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      var file = form.querySelector("input[type=file]");
      if (!window.FormData || !file || !file.files || file.files.length === 0) {
        return;
      }
      ev.preventDefault();
      var box = form.querySelector(".upload");
      var bar = form.querySelector("progress");
      var pct = form.querySelector(".pct");
      var button = form.querySelector("button[type=submit]");
      if (box) { box.hidden = false; }
      if (button) { button.disabled = true; }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) { return; }
        var p = Math.floor((e.loaded / e.total) * 100);
        if (bar) { bar.value = p; }
        if (pct && (p % 10 === 0 || p === 100)) { pct.textContent = p + "%"; }
      });
      xhr.addEventListener("load", function () { show(xhr); });
      xhr.addEventListener("error", function () {
        if (button) { button.disabled = false; }
        if (pct) { pct.textContent = form.getAttribute("data-gagal") || "Gagal mengirim"; }
      });
      xhr.send(new FormData(form));
    });
  });
})();
