/* Reform Tracker: the little JavaScript the pages need (everything works without it too).
   - drag and drop onto file fields, the chosen file's name, a size check before a long upload (its message
     at the field, the form held back until a smaller file is chosen);
   - the upload progress bar (htmx reports upload progress);
   - confirmation of destructive forms (data-confirm); filter selects that apply at once (data-autosubmit);
   - a readable message when an htmx request fails. */
(function () {
  "use strict";
  var body = document.body;

  function flash(text) {
    var box = document.getElementById("flash");
    if (!box) { window.alert(text); return; }
    box.innerHTML = "";
    var p = document.createElement("p");
    p.className = "msg msg-error";
    p.setAttribute("role", "alert");
    p.textContent = text;
    box.appendChild(p);
    box.scrollIntoView({ block: "nearest" });
  }

  // A file over the limit stays chosen (the other fields too) with the message at the file field, and the
  // form is not sent until a smaller file is chosen: no trip to the server, no "required" afterwards.
  function sizeOk(input) {
    var zone = input.closest("[data-dropzone]") || input.parentNode;
    var out = zone.querySelector("[data-size-error]");
    var max = parseInt(input.getAttribute("data-max-bytes") || "0", 10);
    var file = input.files && input.files[0];
    var tooBig = !!(max && file && file.size > max);
    if (tooBig) {
      if (!out) {
        out = document.createElement("p");
        out.className = "error";
        out.setAttribute("data-size-error", "");
        out.setAttribute("role", "alert");
        zone.appendChild(out);
      }
      out.textContent = (body.dataset.msgTooBig || "File too large: {size} MB of {limit} MB.")
        .replace("{size}", (file.size / 1048576).toFixed(1).replace(".", ","))
        .replace("{limit}", String(Math.round(max / 1048576)));
      zone.classList.add("has-error");
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("data-too-big", "");
    } else {
      if (out) out.remove();
      input.removeAttribute("data-too-big");
      input.removeAttribute("aria-invalid");
      if (!zone.querySelector(".error")) zone.classList.remove("has-error");
    }
    return !tooBig;
  }

  function showName(zone, input) {
    var out = zone.querySelector("[data-filename]");
    if (out) out.textContent = input.files && input.files[0] ? input.files[0].name : "";
  }

  function setUpDropzones(root) {
    (root || document).querySelectorAll("[data-dropzone]").forEach(function (zone) {
      if (zone.dataset.ready) return;
      zone.dataset.ready = "1";
      var input = zone.querySelector("input[type=file]");
      if (!input) return;
      input.addEventListener("change", function () { sizeOk(input); showName(zone, input); });
      ["dragenter", "dragover"].forEach(function (t) {
        zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("dragover"); });
      });
      ["dragleave", "drop"].forEach(function (t) {
        zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.remove("dragover"); });
      });
      zone.addEventListener("drop", function (e) {
        if (!e.dataTransfer || !e.dataTransfer.files.length) return;
        input.files = e.dataTransfer.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpDropzones(document);
    // Charts wider than a phone scroll sideways: start at the latest months.
    document.querySelectorAll("[data-scroll-end]").forEach(function (box) { box.scrollLeft = box.scrollWidth; });
    // On a phone the menu scrolls sideways: keep the current page's entry in view.
    var nav = document.querySelector(".mainnav"), current = nav && nav.querySelector("[aria-current]");
    if (current && nav.scrollWidth > nav.clientWidth) {
      nav.scrollLeft = current.offsetLeft - nav.offsetLeft - (nav.clientWidth - current.offsetWidth) / 2;
    }
  });
  document.addEventListener("htmx:load", function (e) { setUpDropzones(e.target); });

  document.addEventListener("submit", function (e) {
    var form = e.target;
    var big = form.querySelector && form.querySelector("input[type=file][data-too-big]");
    if (big) { e.preventDefault(); e.stopImmediatePropagation(); big.focus(); return; }
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { e.preventDefault(); e.stopImmediatePropagation(); }
  }, true);

  // Upload progress (htmx fires htmx:xhr:progress while the body is sent).
  document.addEventListener("htmx:xhr:progress", function (e) {
    var bar = e.target.querySelector && e.target.querySelector("progress.uploadbar");
    if (!bar || !e.detail.lengthComputable) return;
    bar.hidden = false;
    bar.value = Math.round((e.detail.loaded / e.detail.total) * 100);
  });
  document.addEventListener("htmx:beforeRequest", function (e) {
    var bar = e.target.querySelector && e.target.querySelector("progress.uploadbar");
    if (bar) { bar.hidden = false; bar.value = 0; }
    var buttons = e.target.querySelectorAll ? e.target.querySelectorAll("button[type=submit]") : [];
    buttons.forEach(function (b) { if (e.target.tagName === "FORM" && e.target.enctype === "multipart/form-data") b.disabled = true; });
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var buttons = e.target.querySelectorAll ? e.target.querySelectorAll("button[type=submit]") : [];
    buttons.forEach(function (b) { b.disabled = false; });
  });

  // Filter selects that apply at once (data-autosubmit); data-clears names a field that no longer applies.
  document.addEventListener("change", function (e) {
    var select = e.target;
    if (!select.matches || !select.matches("select[data-autosubmit]") || !select.form) return;
    var clears = select.getAttribute("data-clears");
    if (clears && select.form.elements[clears]) select.form.elements[clears].disabled = true;
    select.form.submit();
  });

  document.addEventListener("htmx:responseError", function (e) {
    var status = e.detail.xhr ? e.detail.xhr.status : "";
    flash((body.dataset.msgError || "Request failed.") + (status ? " (HTTP " + status + ")" : ""));
  });
  document.addEventListener("htmx:sendError", function () {
    flash(body.dataset.msgOffline || "Network error.");
  });
})();
