"""Static engine: frozen results (a CSV import or a snapshot) served as an engine."""

from searchbench.engines.static.engine import StaticEngine
from searchbench.engines.static.results import (
    StaticPage,
    StaticResults,
    StaticResultsError,
    from_snapshot,
    read_csv,
    to_csv,
)
from searchbench.engines.static.store import (
    StoredSet,
    exists,
    import_csv,
    list_static,
    load,
    open_set,
    save,
    static_name,
)

__all__ = [
    "StaticEngine",
    "StaticPage",
    "StaticResults",
    "StaticResultsError",
    "StoredSet",
    "exists",
    "from_snapshot",
    "import_csv",
    "list_static",
    "load",
    "open_set",
    "read_csv",
    "save",
    "static_name",
    "to_csv",
]
