// Upload progress for large files: the form is sent with XMLHttpRequest so the <progress> bar can follow it;
// the answer (the report page) replaces the document. Without JavaScript the form posts normally.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-upload-progress]");
    if (!form || !window.XMLHttpRequest || !window.FormData) return;
    var bar = form.querySelector("progress");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action || window.location.href);
      if (bar) {
        bar.hidden = false;
        xhr.upload.addEventListener("progress", function (e) {
          if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
        });
      }
      xhr.addEventListener("load", function () {
        document.open();
        document.write(xhr.responseText);
        document.close();
      });
      xhr.addEventListener("error", function () { form.submit(); });
      xhr.send(new FormData(form));
    });
  });
})();
