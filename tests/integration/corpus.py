"""The integration suite's small corpus: `python -m tests.integration.corpus > corpus.jsonl`.

The image pipeline builds a local index from it inside the container
(`searchbench index create integration --from corpus.jsonl`), and the suite knows its content:
QUERY matches BEST_DOC best (the query words in the title, the body and repeated), and several
other docs match it a little.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

INDEX = "integration"
QUERY = "boundary layer"
BEST_DOC = "bl-001"

_TOPICS = [
    ("heat transfer in supersonic flow", "wall temperature and heat flux at high mach numbers"),
    ("panel flutter", "aeroelastic instability of thin plates in supersonic streams"),
    ("wing buffeting", "unsteady loads on swept wings near the stall"),
    ("shock wave interaction", "reflection of oblique shocks from flat plates"),
    ("jet noise", "acoustic radiation from turbulent mixing layers"),
]


def documents() -> Iterator[dict[str, str]]:
    yield {
        "id": BEST_DOC,
        "title": "boundary layer transition on a flat plate",
        "body": "measurements of the laminar boundary layer and its transition to a turbulent "
        "boundary layer; boundary layer thickness grows along the plate.",
    }
    yield {
        "id": "bl-002",
        "title": "skin friction in compressible flow",
        "body": "skin friction estimates that neglect the boundary layer near the leading edge.",
    }
    yield {
        "id": "bl-003",
        "title": "layer structure of stratified fluids",
        "body": "density layers in a stratified tank, with no solid boundary nearby.",
    }
    for n, (title, body) in enumerate(_TOPICS * 3, start=4):
        yield {"id": f"doc-{n:03d}", "title": f"{title} ({n})", "body": body}


def main() -> int:
    for doc in documents():
        sys.stdout.write(json.dumps(doc) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
