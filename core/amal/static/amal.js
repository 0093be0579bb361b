/* Small behaviours over the server-rendered pages (no inline script: the CSP
   forbids it). */
"use strict";

/* Under a tablet's width wide tables scroll inside themselves (amal.css): one
   that does must take keyboard focus, so it can be scrolled with the arrows
   (WCAG 2.1.1). */
function focusableScrollingTables() {
  document.querySelectorAll("main table").forEach((table) => {
    if (table.scrollWidth > table.clientWidth + 1) {
      table.setAttribute("tabindex", "0");
    } else if (table.getAttribute("tabindex") === "0") {
      table.removeAttribute("tabindex");
    }
  });
}

/* A form that came back with errors: focus on the summary at the top, whose
   links lead to each field (WCAG 3.3.1). */
function focusErrorSummary() {
  const summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
}

document.addEventListener("DOMContentLoaded", () => {
  focusableScrollingTables();
  focusErrorSummary();
  window.addEventListener("resize", focusableScrollingTables);
});
