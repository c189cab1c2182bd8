// Explain on the results page: the "explain" toggle loads the doc's breakdown fragment once, and
// at most two docs stay ticked for "why is this above that". Without JavaScript the toggle holds
// a plain link and the compare form posts whatever is ticked (the server checks it is two).
"use strict";

document.addEventListener(
  "toggle",
  async (event) => {
    const details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.open) return;
    const url = details.dataset.explainUrl;
    if (!url || details.dataset.loaded) return;
    details.dataset.loaded = "1";
    const slot = details.querySelector(".explain-slot");
    slot.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(url, {
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      });
      const html = await response.text();
      // A fragment our own server rendered with autoescaping; a 404 fragment explains itself too.
      const fragment = new DOMParser().parseFromString(html, "text/html").body;
      slot.replaceChildren(...fragment.childNodes);
    } catch (err) {
      delete details.dataset.loaded;
      slot.textContent = "Could not load the explanation: " + err.message;
    } finally {
      slot.removeAttribute("aria-busy");
    }
  },
  true, // "toggle" does not bubble
);

const picked = [];
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.matches("[data-explain-pick]")) return;
  const index = picked.indexOf(box);
  if (index >= 0) picked.splice(index, 1);
  if (box.checked) picked.push(box);
  // Keep the two most recent picks: ticking a third drops the oldest.
  while (picked.length > 2) picked.shift().checked = false;
  for (let i = picked.length - 1; i >= 0; i--) {
    if (!picked[i].isConnected) picked.splice(i, 1);
  }
});
