// Keep an unsent visit form in this phone's storage, so a dropped connection or a closed
// tab loses nothing; cleared when the form is sent.
(function () {
  "use strict";
  document.querySelectorAll("form[data-draft-key]").forEach(function (form) {
    var key = "draft:" + form.dataset.draftKey;
    var fields = form.querySelectorAll("textarea, input[type=text], input[type=number], input:not([type]), select, input[type=checkbox]");
    var saved = null;
    try { saved = JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { saved = null; }
    if (saved) {
      var restored = false;
      fields.forEach(function (field) {
        if (!(field.name in saved)) return;
        if (field.type === "checkbox") { field.checked = saved[field.name]; restored = true; }
        else if (!field.value) { field.value = saved[field.name]; restored = restored || saved[field.name] !== ""; }
      });
      var notice = form.querySelector("[data-draft-notice]");
      if (restored && notice) notice.classList.remove("d-none");
    }
    form.addEventListener("input", function () {
      var data = {};
      fields.forEach(function (field) { data[field.name] = field.type === "checkbox" ? field.checked : field.value; });
      try { window.localStorage.setItem(key, JSON.stringify(data)); } catch (e) { /* storage full or blocked */ }
    });
    form.addEventListener("submit", function (event) {
      // "Gửi" on an outbox form: outbox.js clears the draft once the visit is stored.
      if (form.hasAttribute("data-outbox") && event.submitter && event.submitter.name === "submit") return;
      try { window.localStorage.removeItem(key); } catch (e) { /* ignore */ }
    });
  });
})();
