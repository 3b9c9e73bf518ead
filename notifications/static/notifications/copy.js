/* The "Sao chép" button beside a read-only address (data-copy="#id"): copies it, says so. Without this
   script the address is still there to select and copy by hand. */
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var field = document.querySelector(button.getAttribute("data-copy"));
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      field.select();
      var done = function () {
        var status = button.parentNode.querySelector("[data-copied]");
        if (status) status.hidden = false;
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });
})();
