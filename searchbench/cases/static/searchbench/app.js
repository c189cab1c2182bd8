// Progressive enhancement: rating buttons post with fetch() and swap in the returned fragment;
// job progress bars poll (below).
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
  const focused = document.activeElement && document.activeElement.closest("#results li.doc");
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
    keepTopClauses(panel, fresh);
    panel.replaceWith(fresh);
    // The case page's list (querylist.js) updates the query's row and the case score from it.
    fresh.dispatchEvent(new CustomEvent("searchbench:rated", { bubbles: true }));
    // Keyboard rating goes on where it was: the same doc keeps the focus in the new panel.
    const twin = focused && docRow(fresh, focused.dataset.docId);
    if (twin) focusDoc(twin);
  } catch (err) {
    panel.classList.remove("busy");
    window.alert("Rating not saved: " + err.message);
  }
});

// The answer to a rating is searched without explanations (it needs the scores only), so each
// doc's top clauses move over from the panel it replaces; a rating does not change them.
function keepTopClauses(panel, fresh) {
  for (const hot of panel.querySelectorAll("li.doc .hot-matches")) {
    const twin = docRow(fresh, hot.closest("li.doc").dataset.docId);
    const tools = twin && !twin.querySelector(".hot-matches") && twin.querySelector(".explain-tools");
    if (tools) tools.before(hot);
  }
}

function docRow(root, id) {
  return root.querySelector(`#results li.doc[data-doc-id="${CSS.escape(id)}"]`);
}

// Keyboard rating on the query page, and in a query expanded in the case page's list
// (querylist.js): the focused result (outlined) takes a digit — the scorer's
// scale's first value for 0, its second for 1, and so on — x or Backspace clears its rating, and
// j/k or the arrow keys move the focus (one tab stop for the list: the focused row's).
function focusDoc(row) {
  for (const other of document.querySelectorAll("#results li.doc")) {
    other.tabIndex = other === row ? 0 : -1;
  }
  row.focus({ preventScroll: true });
  row.scrollIntoView({ block: "nearest" });
}

const MOVES = { j: 1, ArrowDown: 1, k: -1, ArrowUp: -1 };

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  if (event.target.closest("input, textarea, select, [contenteditable]")) return;
  const rows = [...document.querySelectorAll("#results li.doc")];
  if (!rows.length || document.querySelector("#query-panel.busy")) return;
  const row = event.target.closest("#results li.doc");
  const key = event.key;
  if (key in MOVES) {
    if (!row && key.startsWith("Arrow")) return; // the arrows scroll the page until a row is chosen
    // In the case page's list the keys move between queries until a result has the focus.
    if (!row && document.getElementById("queries")) return;
    const at = row ? rows.indexOf(row) + MOVES[key] : 0;
    event.preventDefault();
    focusDoc(rows[Math.min(rows.length - 1, Math.max(0, at))]);
    return;
  }
  if (!row) return;
  let button = null;
  if (/^[0-9]$/.test(key)) {
    button = row.querySelectorAll("form.rating button.rate:not(.clear)")[Number(key)];
  } else if (key === "x" || key === "Backspace") {
    button = row.querySelector("form.rating button.clear");
  }
  if (button && !button.disabled) {
    event.preventDefault();
    button.form.requestSubmit(button);
  }
});

// Background jobs: each progress bar on the case page polls its job's /jobs/ID.json every second.
// When the job ends, the parts of the page that show scores are fetched again and swapped in
// (elements with data-refresh, by id), so the new score shows without reloading the page.
const POLL_MS = 1000;

function watchJob(box) {
  const bar = box.querySelector("progress");
  const text = box.querySelector(".job-text");
  const tick = async () => {
    let job;
    try {
      const response = await fetch(box.dataset.jobUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error("HTTP " + response.status);
      job = await response.json();
    } catch (err) {
      text.textContent = "progress unavailable (" + err.message + "); trying again…";
      window.setTimeout(tick, 5 * POLL_MS);
      return;
    }
    show(box, bar, text, job);
    if (job.active) {
      window.setTimeout(tick, POLL_MS);
    } else {
      ended(box, job);
    }
  };
  window.setTimeout(tick, POLL_MS);
}

function show(box, bar, text, job) {
  box.dataset.jobStatus = job.status;
  if (job.kind !== "snapshot" && job.status !== "queued") {
    bar.max = Math.max(job.total, 1);
    bar.value = job.done;
    bar.textContent = job.percent + " %";
  }
  let line = job.text;
  if (job.status === "queued" && job.queued_seconds > 15) {
    line += " (is `searchbench worker` running?)";
  }
  text.textContent = line;
}

async function ended(box, job) {
  const cancel = box.querySelector(".job-cancel");
  if (cancel) cancel.remove();
  const bar = box.querySelector("progress");
  if (job.status === "done") {
    bar.max = 1;
    bar.value = 1;
  }
  if (job.result_url) {
    const link = document.createElement("a");
    link.href = job.result_url;
    link.textContent = "open it";
    box.append(link);
  }
  try {
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const old of document.querySelectorAll("[data-refresh][id]")) {
      const replacement = fresh.getElementById(old.id);
      if (replacement) old.replaceWith(replacement);
    }
  } catch (err) {
    // The job's own line already says how it ended; the scores show on the next visit.
  }
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.matches(".job-cancel")) return;
  event.preventDefault();
  const box = form.closest(".job");
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error("HTTP " + response.status);
    const job = await response.json();
    show(box, box.querySelector("progress"), box.querySelector(".job-text"), job);
  } catch (err) {
    button.disabled = false;
    window.alert("Not cancelled: " + err.message);
  }
});

document.querySelectorAll("[data-job-url]").forEach(watchJob);

// The case page's query list: a new sort or "show" choice applies at once (the Apply button
// stays for the text filter and for pages without JavaScript).
document.addEventListener("change", (event) => {
  const select = event.target;
  if (select.matches("#query-filter select")) select.form.requestSubmit();
});
