// Progressive enhancement: rating buttons post with fetch() and swap in the returned fragment.
// Without JavaScript the same forms post normally and the server redirects back.
"use strict";

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (form.matches("[data-confirm]") && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  if (!form.matches("[data-rating-form]")) return;
  event.preventDefault();
  const panel = document.getElementById("query-panel");
  const body = new FormData(form);
  if (event.submitter && event.submitter.name) body.set(event.submitter.name, event.submitter.value);
  panel.classList.add("busy");
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body,
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(await response.text());
    const html = await response.text();
    const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("query-panel");
    panel.replaceWith(fresh);
  } catch (err) {
    panel.classList.remove("busy");
    window.alert("Rating not saved: " + err.message);
  }
});
