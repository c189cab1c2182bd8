"""`searchbench remote run --server URL --case ID`: the CI gate for cases that live on a server.

Starts a run of the case on the server through its API (docs/api.md) with the token in
``SEARCHBENCH_TOKEN``, shows the job's progress on stderr, prints the recorded run's scores and
exits as `searchbench run` does: 0 all good; 1 a ``--fail-under`` threshold missed; 2 an error
(the server, the token, the case, a failed or cancelled job, or any query the engine failed on).

The client is a plain ``httpx.Client``, not the engines' HTTP seam (engines/http.py): that seam
applies the outbound-URL policy meant for user-given engine URLs (it refuses private addresses,
where a CI job's own server usually is), the engines' rate-limit budgets and masking, none of
which fit calling our own API.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from typing import Any

# `run`'s exit codes: the same gate whether the case is a file or lives on a server.
from searchbench.cli.run_cmd import EXIT_BELOW_THRESHOLD, EXIT_ERROR, EXIT_OK

HELP = "Work with cases on a searchbench server (its API): `remote run` runs one as a CI gate."

TOKEN_ENV = "SEARCHBENCH_TOKEN"


class RemoteError(Exception):
    """A problem talking to the server or with what it answered: printed, exit 2."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="remote_command", metavar="COMMAND")
    run = sub.add_parser(
        "run",
        help="run a case on the server and gate on its score",
        description="Start a run of a case on a searchbench server, follow its progress, print "
        f"its scores. The API token comes from {TOKEN_ENV} (a write token: /accounts/tokens/). "
        "Exit 0 all good, 1 below a --fail-under threshold, 2 an error or a failed query.",
    )
    run.add_argument("--server", required=True, metavar="URL", help="e.g. https://sb.example.com")
    run.add_argument("--case", required=True, type=int, metavar="ID", help="the case's id")
    run.add_argument(
        "--try", dest="try_number", type=int, metavar="N", help="run try N (default: the current)"
    )
    run.add_argument(
        "--fail-under",
        metavar="[SCORER=]VALUE",
        help="exit 1 when the case score is below VALUE (SCORER, if given, must be the case's)",
    )
    run.add_argument("--format", choices=("table", "json"), default="table")
    run.add_argument(
        "--timeout", type=float, default=3600, metavar="S", help="give up (and cancel) after S s"
    )
    run.add_argument("--poll", type=float, default=1.0, metavar="S", help="progress every S s")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def run(args: argparse.Namespace) -> int:
    if getattr(args, "remote_command", None) != "run":
        print("searchbench remote: give a command: run", file=sys.stderr)
        return EXIT_ERROR
    try:
        return _run(args)
    except RemoteError as exc:
        print(f"searchbench remote run: {exc}", file=sys.stderr)
        return EXIT_ERROR


def parse_threshold(text: str | None) -> tuple[str | None, float] | None:
    if text is None:
        return None
    name, sep, raw = text.rpartition("=")
    try:
        value = float(raw)
    except ValueError:
        raise RemoteError(f"--fail-under {text!r}: {raw!r} is not a number") from None
    return (name.strip() or None) if sep else None, value


class Api:
    """The server's /api/v1 with a bearer token; errors become RemoteError with the server's
    message."""

    def __init__(self, server: str, token: str, timeout: float = 30.0) -> None:
        import httpx

        from searchbench import __version__

        self.client = httpx.Client(
            base_url=server.rstrip("/") + "/api/v1",
            headers={
                "Authorization": f"Bearer {token}",
                "User-Agent": f"searchbench-remote/{__version__}",
            },
            timeout=timeout,
            follow_redirects=False,
        )

    def call(self, method: str, path: str, body: Any = None) -> Any:
        import httpx

        try:
            response = self.client.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise RemoteError(f"{self.client.base_url}: {exc}") from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 400:
            error = (data or {}).get("error") if isinstance(data, dict) else None
            message = error["message"] if error else response.text[:200]
            hint = f" (check {TOKEN_ENV})" if response.status_code in (401, 403) else ""
            raise RemoteError(f"{method} {path}: {response.status_code} {message}{hint}")
        if data is None:
            raise RemoteError(f"{method} {path}: the server's answer is not JSON")
        return data

    def close(self) -> None:
        self.client.close()


def _run(args: argparse.Namespace) -> int:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise RemoteError(
            f"set {TOKEN_ENV} to an API token (made on the server's /accounts/tokens/)"
        )
    threshold = parse_threshold(args.fail_under)
    api = Api(args.server, token)
    try:
        case = api.call("GET", f"/cases/{args.case}")
        if threshold and threshold[0] and threshold[0] != case["scorer"]:
            raise RemoteError(
                f"--fail-under {args.fail_under!r}: the server scores case {args.case} with "
                f"{case['scorer']}; give {case['scorer']}=VALUE or just VALUE"
            )
        body = {"try_number": args.try_number} if args.try_number else {}
        job = api.call("POST", f"/cases/{args.case}/run", body)
        job = _follow(api, job, args)
        if job["status"] != "done":
            reason = job.get("error") or job["status"]
            raise RemoteError(f"the run (job {job['id']}) did not finish: {reason}")
        recorded = api.call("GET", f"/cases/{args.case}/history/{job['result']['history_id']}")
    finally:
        api.close()
    return _report(case, job, recorded, threshold, args)


def _follow(api: Api, job: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Poll the job until it ends; Ctrl+C, SIGTERM or --timeout cancel it on the server."""
    deadline = time.monotonic() + args.timeout
    shown = None
    stop = {"signal": None}

    def on_term(signum: int, frame: Any) -> None:
        stop["signal"] = signum

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        while True:
            if not args.quiet and job["text"] != shown:
                shown = job["text"]
                print(f"job {job['id']}: {shown}", file=sys.stderr, flush=True)
            if not job["active"]:
                return job
            if stop["signal"] is not None or time.monotonic() > deadline:
                api.call("POST", f"/jobs/{job['id']}/cancel")
                why = "timed out" if stop["signal"] is None else "stopped"
                raise RemoteError(f"{why}; the run (job {job['id']}) was cancelled on the server")
            time.sleep(args.poll)
            job = api.call("GET", f"/jobs/{job['id']}")
    except KeyboardInterrupt:
        api.call("POST", f"/jobs/{job['id']}/cancel")
        raise RemoteError(f"interrupted; the run (job {job['id']}) was cancelled") from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def _report(
    case: dict[str, Any],
    job: dict[str, Any],
    recorded: dict[str, Any],
    threshold: tuple[str | None, float] | None,
    args: argparse.Namespace,
) -> int:
    score = recorded["run_score"]
    failed = [q for q in recorded["queries"] if q["error"]]
    verdict = None
    if threshold is not None:
        verdict = {"measure": case["scorer"], "min": threshold[1], "value": score,
                   "passed": score >= threshold[1]}  # fmt: skip
    report = {
        "server": args.server,
        "case": case["name"],
        "case_id": case["id"],
        "try": recorded["try_number"],
        "scorer": recorded["scorer"],
        "score": score,
        "job_id": job["id"],
        "run_id": recorded["id"],
        "errors": len(failed),
        "thresholds": [verdict] if verdict else [],
        "queries": recorded["queries"],
    }
    if args.format == "json":
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print_table(report)
    if failed:
        return EXIT_ERROR
    if verdict is not None and not verdict["passed"]:
        return EXIT_BELOW_THRESHOLD
    return EXIT_OK


def _print_table(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    out = Console(highlight=False, soft_wrap=False)
    if not out.is_terminal:
        out = Console(highlight=False, soft_wrap=False, width=160)
    title = (
        f"{report['case']} (case {report['case_id']}, try {report['try']} on {report['server']})"
    )
    table = Table(title=title, show_footer=True)
    table.add_column("query", overflow="fold", footer="case")
    table.add_column(report["scorer"], justify="right", footer=f"{report['score']:.4f}")
    table.add_column("error")
    for q in report["queries"]:
        score = "" if q["score"] is None else f"{q['score']:.4f}"
        text = q["query"] if q["query"] is not None else f"(query {q['query_id']}, deleted)"
        table.add_row(text, score, q["error"] or "", style="red" if q["error"] else None)
    out.print(table)
    for q in report["queries"]:
        if q["error"]:
            out.print(f"error in query {q['query']!r}: {q['error']}", markup=False)
    for t in report["thresholds"]:
        mark = "pass" if t["passed"] else "FAIL"
        cmp = ">=" if t["passed"] else "<"
        out.print(f"{mark}: {t['measure']} = {t['value']:.4f} {cmp} {t['min']:g}", markup=False)
