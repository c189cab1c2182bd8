"""`searchbench agreement JUDGEMENTS.csv`: how far the raters of a judgements CSV agree."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from searchbench.domain.agreement import (
    Agreement,
    AgreementError,
    RatingMatrix,
    agreement,
    parse_scale,
)
from searchbench.domain.formats import judgements_csv
from searchbench.domain.formats.interchange import FormatError

HELP = "Agreement between the raters of a judgements CSV (Krippendorff's alpha, Cohen's kappa)."
EXIT_ERROR = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "The CSV's header names the columns query,docid,rater,rating (and optionally "
        "explanation); a rating is a number or cant_rate (missing, like a pair the rater did not "
        "judge). Undefined numbers (one rater, no shared item, one grade throughout) print as "
        "'-' (null in JSON). See docs/agreement.md."
    )
    parser.add_argument("judgements", help="judgements CSV: query,docid,rater,rating")
    parser.add_argument(
        "--scale",
        type=_scale,
        metavar="G,G,...",
        help="the grades in order, e.g. 0,1,2,3 (default: every integer from the lowest "
        "rating to the highest); quadratic kappa weighs grades by their positions on it",
    )
    parser.add_argument(
        "--confusion",
        action="store_true",
        help="also print each pair of raters' confusion matrix (table format)",
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")


def _scale(text: str) -> tuple[float, ...]:
    try:
        return parse_scale(text)
    except AgreementError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def compute(path: Path, scale: tuple[float, ...] | None) -> Agreement:
    """The agreement of a judgements file; FormatError / AgreementError / OSError on bad input."""
    with path.open("rb") as source:
        rows = judgements_csv.read(source, str(path))
    if scale is not None:
        judgements_csv.check_scale(rows, scale, str(path))
    ratings = ((row.pair, row.rater, row.rating) for row in rows)
    return agreement(RatingMatrix.from_ratings(ratings, scale))


def _num(value: float | None, signed: bool = False) -> str:
    return "-" if value is None else format(value, "+.4f" if signed else ".4f")


def _grade(value: float) -> str:
    return f"{value:g}"


def _columns(rows: list[tuple[str, ...]], stream: TextIO) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
        ]
        stream.write("  ".join(cells).rstrip() + "\n")


def print_table(result: Agreement, stream: TextIO, confusion: bool = False) -> None:
    scale = ", ".join(_grade(g) for g in result.scale)
    stream.write(f"{result.items} items, {len(result.raters)} raters, scale {scale}\n\n")
    _columns(
        [("Krippendorff's alpha", "value")]
        + [(level, _num(value)) for level, value in result.alpha.items()],
        stream,
    )
    if result.kappa:
        stream.write("\n")
        _columns(
            [("Cohen's kappa", "unweighted", "quadratic", "items")]
            + [
                (f"{a} | {b}", _num(k.unweighted), _num(k.quadratic), str(k.items))
                for (a, b), k in result.kappa.items()
            ],
            stream,
        )
    stream.write("\n")
    _columns(
        [("rater", "bias vs others' mean", "items")]
        + [(rater, _num(b.mean, signed=True), str(b.items)) for rater, b in result.bias.items()],
        stream,
    )
    if not confusion:
        return
    for (a, b), k in result.kappa.items():
        stream.write(f"\nconfusion: rows {a}, columns {b}\n")
        _columns(
            [("", *(_grade(g) for g in result.scale))]
            + [
                (_grade(g), *(str(int(n)) for n in row))
                for g, row in zip(result.scale, k.confusion, strict=True)
            ],
            stream,
        )


def run(args: argparse.Namespace) -> int:
    try:
        result = compute(Path(args.judgements), args.scale)
    except (FormatError, AgreementError) as exc:
        print(f"searchbench agreement: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"searchbench agreement: cannot read {args.judgements}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.format == "json":
        json.dump(result.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print_table(result, sys.stdout, confusion=args.confusion)
    return 0
