// Djoliba works without this file. It ties each field's error to its field for screen readers
// (aria-invalid, aria-describedby) and moves focus to the list of a form's errors; and it makes
// the registration form quicker: "Add a member" adds a blank member row in place instead of
// sending the form back for one more row; and it keeps a form across a lapsed session.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".field-error[id$='-err']").forEach(function (error) {
    var field = document.getElementById(error.id.slice(0, -4));
    if (!field) return;
    field.setAttribute("aria-invalid", "true");
    var described = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", described ? described + " " + error.id : error.id);
  });
  var summary = document.getElementById("form-errors");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }
});

document.addEventListener("DOMContentLoaded", function () {
  var add = document.getElementById("add-member");
  var members = document.getElementById("members");
  if (!add || !members) return;
  add.addEventListener("click", function (event) {
    var rows = members.querySelectorAll("fieldset.member");
    if (rows.length === 0) return;
    event.preventDefault();
    var last = rows[rows.length - 1];
    var index = rows.length;
    var copy = last.cloneNode(true);
    copy.setAttribute("data-member", String(index));
    var rename = function (value) { return value.replace(/members\[\d+\]/g, "members[" + index + "]"); };
    copy.querySelectorAll("[name],[id],[for]").forEach(function (el) {
      ["name", "id", "for"].forEach(function (attr) {
        if (el.hasAttribute(attr)) el.setAttribute(attr, rename(el.getAttribute(attr)));
      });
      if (el.tagName === "INPUT" && (el.type === "checkbox")) el.checked = false;
      else if (el.tagName === "INPUT") el.value = "";
      if (el.tagName === "SELECT") el.selectedIndex = 0;
    });
    copy.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
    copy.querySelectorAll("[aria-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    });
    var legend = copy.querySelector("legend");
    if (legend) legend.textContent = legend.textContent.replace(/\d+\s*$/, String(index + 1));
    members.appendChild(copy);
    var first = copy.querySelector("input");
    if (first) first.focus();
  });
});

// A "Print" button (the registration receipt) shows only where it works: with this file (the
// page's policy forbids inline scripts).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
});

// A form marked data-keep is not lost to a session that lapsed while it was filled in: what
// was sent is kept in this tab only (sessionStorage, gone with the tab) and put back when the
// form opens again just after signing in. A saved record, or signing out, forgets it.
document.addEventListener("DOMContentLoaded", function () {
  var prefix = "djoliba-draft:";
  var forget = function () {
    Object.keys(sessionStorage).forEach(function (key) {
      if (key.indexOf(prefix) === 0 || key === "djoliba-signed-in") sessionStorage.removeItem(key);
    });
  };
  try { sessionStorage.getItem(prefix); } catch (e) { return; }
  if (new URLSearchParams(location.search).get("saved") === "1") forget();
  document.querySelectorAll("form[action='/logout']").forEach(function (form) {
    form.addEventListener("submit", forget);
  });
  document.querySelectorAll("form[action^='/login']").forEach(function (form) {
    form.addEventListener("submit", function () { sessionStorage.setItem("djoliba-signed-in", "1"); });
  });
  var signedInAgain = sessionStorage.getItem("djoliba-signed-in") === "1";
  sessionStorage.removeItem("djoliba-signed-in");
  document.querySelectorAll("form[data-keep]").forEach(function (form) {
    var key = prefix + new URL(form.action, location.href).pathname;
    form.addEventListener("submit", function () {
      var fields = [];
      new FormData(form).forEach(function (value, name) {
        if (name !== "csrf" && name !== "add_member" && typeof value === "string") fields.push([name, value]);
      });
      sessionStorage.setItem(key, JSON.stringify(fields));
    });
    var kept = sessionStorage.getItem(key);
    if (!kept || !signedInAgain || document.getElementById("form-errors")) return;
    var fields = JSON.parse(kept);
    // As many member rows as were filled in.
    var rows = 0;
    fields.forEach(function (field) {
      var match = /^members\[(\d+)\]/.exec(field[0]);
      if (match) rows = Math.max(rows, Number(match[1]) + 1);
    });
    var add = document.getElementById("add-member");
    while (add && form.querySelectorAll("fieldset.member").length < rows) add.click();
    fields.forEach(function (field) {
      form.querySelectorAll("[name]").forEach(function (el) {
        if (el.name !== field[0]) return;
        if (el.type === "checkbox" || el.type === "radio") {
          if (el.value === field[1]) el.checked = true;
        } else if (el.type !== "hidden" && el.type !== "submit") {
          el.value = field[1];
        }
      });
    });
    var note = document.createElement("p");
    note.className = "ok";
    note.id = "draft-restored";
    note.setAttribute("role", "status");
    note.textContent = form.getAttribute("data-keep-note") || "";
    form.insertBefore(note, form.firstChild);
  });
});
