"""Static engine: frozen results (a CSV import or a snapshot) served as an engine."""

from searchbench.engines.static.engine import StaticEngine
from searchbench.engines.static.results import (
    StaticResults,
    StaticResultsError,
    from_snapshot,
    import_csv,
    list_static,
    load,
    read_csv,
    to_csv,
)

__all__ = [
    "StaticEngine",
    "StaticResults",
    "StaticResultsError",
    "from_snapshot",
    "import_csv",
    "list_static",
    "load",
    "read_csv",
    "to_csv",
]
