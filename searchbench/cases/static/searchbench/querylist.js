// The case page's query list: j/k or the arrows move the focus between queries, Enter or o shows
// a query's results in place (the query page's panel, fetched from its /panel URL; one at a time)
// and hides them again, Esc goes back from the results to the query. Inside the results the keys
// and the rating forms are app.js's, as on the query page; after a rating the query's row (its
// score, rated count, unrated marker) and the case score follow. ↑/↓ buttons move a query in the
// case's order without reloading the page.
"use strict";

(() => {
  const list = () => document.getElementById("queries");

  function queryRows() {
    const table = list();
    return table ? [...table.querySelectorAll("tr.query-row")] : [];
  }

  function focusQuery(row) {
    for (const other of queryRows()) other.tabIndex = other === row ? 0 : -1;
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function expansionOf(row) {
    const next = row.nextElementSibling;
    return next && next.matches("tr.query-expansion") ? next : null;
  }

  function collapse(row) {
    const open = expansionOf(row);
    if (open) open.remove();
    row.classList.remove("expanded");
    const button = row.querySelector("button.expand");
    if (button) {
      button.setAttribute("aria-expanded", "false");
      button.textContent = "▸";
    }
  }

  async function expand(row) {
    for (const other of queryRows()) if (other !== row) collapse(other);
    const holder = document.createElement("tr");
    holder.className = "query-expansion";
    holder.id = `results-of-${row.dataset.queryId}`;
    const cell = document.createElement("td");
    cell.colSpan = Number(list().dataset.columns || 5);
    cell.textContent = "Searching…";
    holder.append(cell);
    row.after(holder);
    row.classList.add("expanded");
    const button = row.querySelector("button.expand");
    button.setAttribute("aria-expanded", "true");
    button.setAttribute("aria-controls", holder.id);
    button.textContent = "▾";
    const back = `${location.pathname}${location.search}#q-${row.dataset.queryId}`;
    try {
      // The query page's URL + "panel" (cases/urls.py): not written into each of the 100 rows.
      const page = row.querySelector("a.query-link").getAttribute("href");
      const response = await fetch(`${page}panel?back=${encodeURIComponent(back)}`, {
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      });
      if (!response.ok) throw new Error("HTTP " + response.status);
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      cell.replaceChildren(...fresh.body.childNodes);
    } catch (err) {
      cell.textContent = "Results not shown: " + err.message;
      return;
    }
    if (!holder.isConnected) return; // collapsed meanwhile
    const first = holder.querySelector("#results li.doc");
    if (first) focusDoc(first);
  }

  function toggle(row) {
    if (expansionOf(row)) {
      collapse(row);
      focusQuery(row);
    } else {
      expand(row);
    }
  }

  // After a rating in an expanded query: its row and the case score, from the fresh panel.
  document.addEventListener("searchbench:rated", (event) => {
    const panel = event.target;
    const holder = panel.closest("tr.query-expansion");
    const row = holder && holder.previousElementSibling;
    if (!row) return;
    const score = panel.querySelector("#query-score");
    const cell = row.querySelector("td.query-score");
    if (score && cell) cell.replaceChildren(...[...score.childNodes].map((n) => n.cloneNode(true)));
    const rated = Number(panel.dataset.rated || 0);
    const counted = row.querySelector("td.rated-count");
    if (counted) counted.textContent = String(rated);
    const wasUnrated = row.classList.contains("unrated");
    row.classList.toggle("unrated", rated === 0);
    const mark = row.querySelector(".unrated-mark");
    if (mark) mark.hidden = rated !== 0;
    const unrated = document.querySelector("#unrated-count strong");
    if (unrated && wasUnrated !== (rated === 0)) {
      unrated.textContent = String(Number(unrated.textContent) + (wasUnrated ? -1 : 1));
    }
    const value = panel.querySelector("#case-score-value");
    const caseScore = value && value.querySelector(".score");
    const header = document.getElementById("case-score");
    const shown = header && header.querySelector(":scope > .score");
    if (caseScore && shown) {
      shown.replaceWith(caseScore.cloneNode(true));
      header.dataset.score = value.dataset.score;
      followChange(header);
    }
  });

  // The header's change since the previous run, taken again from the new case score (as the
  // server writes it: _partials/change.html).
  function followChange(header) {
    const change = document.getElementById("score-change");
    const now = Number.parseFloat(header.dataset.score);
    const before = Number.parseFloat(header.dataset.previous);
    if (!change || Number.isNaN(now) || Number.isNaN(before)) return;
    const delta = Math.round((now - before) * 1000) / 1000;
    change.classList.toggle("up", delta > 0);
    change.classList.toggle("down", delta < 0);
    const sign = delta > 0 ? "▲ +" : delta < 0 ? "▼ " : "± ";
    change.textContent = sign + delta.toFixed(3);
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("#queries tr.query-row button.expand");
    if (!button) return;
    const row = button.closest("tr.query-row");
    focusQuery(row);
    toggle(row);
  });

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    const inResults = event.target.closest("tr.query-expansion");
    if (inResults) {
      if (event.key === "Escape") {
        event.preventDefault();
        focusQuery(inResults.previousElementSibling);
      }
      return; // the results' own keys are app.js's
    }
    const rows = queryRows();
    if (!rows.length) return;
    const row = event.target.closest("tr.query-row");
    const key = event.key;
    if (key in MOVES) {
      if (!row && key.startsWith("Arrow")) return; // the arrows scroll the page until then
      event.preventDefault();
      const at = row ? rows.indexOf(row) + MOVES[key] : 0;
      focusQuery(rows[Math.min(rows.length - 1, Math.max(0, at))]);
    } else if (row && event.target === row && (key === "Enter" || key === "o")) {
      event.preventDefault();
      toggle(row);
    }
  });

  // Moving a query up or down: the server swaps it with its neighbour; so does the page (or it
  // reloads when the neighbour is on another page of the list).
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.matches("[data-move-form]")) return;
    event.preventDefault();
    const row = form.closest("tr.query-row");
    const body = new FormData(form);
    if (event.submitter) body.set(event.submitter.name, event.submitter.value);
    const up = body.get("direction") === "up";
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body,
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(await response.text());
      if (!(await response.json()).moved) return;
    } catch (err) {
      window.alert("Not moved: " + err.message);
      return;
    }
    const rows = queryRows();
    const other = rows[rows.indexOf(row) + (up ? -1 : 1)];
    if (!other) {
      location.reload();
      return;
    }
    const mine = [row, expansionOf(row)].filter(Boolean);
    const theirs = [other, expansionOf(other)].filter(Boolean);
    if (up) other.before(...mine);
    else theirs.at(-1).after(...mine);
    const a = row.querySelector("td.num");
    const b = other.querySelector("td.num");
    [a.textContent, b.textContent] = [b.textContent, a.textContent];
    focusQuery(row);
  });
})();
