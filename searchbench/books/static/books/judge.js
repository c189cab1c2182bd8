// The judging page, keyboard-first: a digit presses the grade button with that key (the scale's
// first grade is 0), l "later", x "can't rate", e goes to the explanation (Esc leaves it), b opens
// the rater's previous pair. Keys typed into the explanation are text, not commands.
"use strict";

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const form = document.getElementById("judge-form");
  if (!form) return;
  const typing = event.target.closest("textarea, input, select");
  if (typing) {
    if (event.key === "Escape") typing.blur();
    return;
  }
  if (event.key === "e") {
    event.preventDefault();
    form.querySelector("textarea")?.focus();
    return;
  }
  const target = form.querySelector(`[data-key="${CSS.escape(event.key)}"]`);
  if (!target) return;
  event.preventDefault();
  if (target.tagName === "A") {
    window.location.assign(target.href);
  } else {
    form.requestSubmit(target);
  }
});
