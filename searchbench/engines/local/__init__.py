"""The built-in search engine on tantivy: on-disk indexes and the ``local`` adapter."""

from searchbench.engines.local.index import (
    IndexInfo,
    LocalIndexError,
    create_index,
    delete_index,
    indexes_dir,
    list_indexes,
    open_index,
)

__all__ = [
    "IndexInfo",
    "LocalIndexError",
    "create_index",
    "delete_index",
    "indexes_dir",
    "list_indexes",
    "open_index",
]
