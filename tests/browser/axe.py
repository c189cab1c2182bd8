"""axe-core, the accessibility checker, run in a browser test's page, and the one check it cannot
make: that each keyboard stop shows where the focus is.

axe-core comes from the npm registry at test time, pinned by version and checked against the
registry's sha512, and is kept under ``tests/browser/.cache/`` (ignored by git, like the engine
harness's cache): nothing of it is committed. Without the registry the check goes through
``service_missing`` (a skip on a laptop, a failure in CI).

It runs through Playwright's ``evaluate`` (the DevTools protocol), which the pages' strict CSP
does not govern: the page itself still loads no script of ours.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tarfile
import urllib.request
from pathlib import Path
from typing import Any

from searchbench.testing import service_missing

VERSION = "4.14.1"
TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
CACHE = Path(__file__).resolve().parent / ".cache"
# What fails a screen: axe's two upper impact levels. "moderate" and "minor" are reported only.
FAILING = ("serious", "critical")
# WCAG 2.1 A and AA (labels, names, contrast, focusable controls) and axe's best practices
# (no positive tabindex, landmarks, headings).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def axe_source() -> str:
    """The text of axe.min.js, fetched once into the cache."""
    target = CACHE / f"axe-core-{VERSION}.min.js"
    if target.is_file():
        return target.read_text(encoding="utf-8")
    try:
        with urllib.request.urlopen(TARBALL, timeout=60) as response:
            data = response.read()
    except OSError as exc:
        service_missing(f"axe-core {VERSION} could not be fetched from the npm registry: {exc}")
    algorithm, _, expected = INTEGRITY.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise AssertionError(f"{TARBALL}: {algorithm} {actual}, expected {expected}")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        member = tar.extractfile("package/axe.min.js")
        assert member is not None
        text = member.read().decode("utf-8")
    CACHE.mkdir(parents=True, exist_ok=True)
    ignore = CACHE / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    # Written aside and renamed, so a test run beside this one never reads half a file.
    partial = target.with_suffix(f".{os.getpid()}.part")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, target)
    return text


def violations(page: Any) -> list[dict[str, Any]]:
    """axe's violations on what ``page`` shows now (WCAG 2.1 A/AA rules), each as
    ``{"id", "impact", "help", "targets"}``."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    options = json.dumps({"runOnly": {"type": "tag", "values": TAGS}})
    found = page.evaluate(
        "async () => (await axe.run(document, " + options + ")).violations.map(v => ("
        "{id: v.id, impact: v.impact, help: v.help,"
        " targets: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))"
    )
    return list(found)


def findings(page: Any, screen: str) -> tuple[list[str], list[str]]:
    """axe's violations on ``page``, one line each, named after ``screen``: those that fail (serious
    and critical) and the others (moderate and minor, to be read)."""
    failing: list[str] = []
    others: list[str] = []
    for v in violations(page):
        line = f"{screen}: {v['impact']} {v['id']} ({v['help']}) at {', '.join(v['targets'])}"
        (failing if v["impact"] in FAILING else others).append(line)
    return failing, others


def unmarked_focus(page: Any, screen: str, stops: int = 15) -> list[str]:
    """Tab through the first ``stops`` keyboard stops of ``page`` (from the top) and name those
    that show no focus mark: no outline and no box shadow while focused. axe cannot see this:
    it needs real keyboard focus, which is why Playwright presses Tab."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate("window.scrollTo(0, 0)")
    unmarked: list[str] = []
    for _ in range(stops):
        page.keyboard.press("Tab")
        seen = page.evaluate(
            "(() => { const e = document.activeElement;"
            " if (!e || e === document.body) return null;"
            " const s = getComputedStyle(e);"
            " return {tag: e.tagName.toLowerCase(), id: e.id, text: (e.innerText || e.value || '')"
            ".trim().slice(0, 30), marked: (s.outlineStyle !== 'none' && s.outlineWidth !== '0px')"
            " || s.boxShadow !== 'none'}; })()"
        )
        if seen is None:
            break  # past the last stop
        if not seen["marked"]:
            unmarked.append(
                f"{screen}: no focus mark on <{seen['tag']}> #{seen['id']} {seen['text']!r}"
            )
    return unmarked
