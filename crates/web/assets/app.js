// Djoliba works without this file. It ties each field's error to its field for screen readers
// (aria-invalid, aria-describedby) and moves focus to the list of a form's errors; and it makes
// the registration form quicker: "Add a member" adds a blank member row in place instead of
// reloading the form with one more row.
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
