"""The built-in search engine on tantivy: on-disk indexes and the ``local`` adapter."""

from searchbench.engines.local.index import (
    IndexInfo,
    LocalIndexError,
    create_index,
    delete_index,
    index_exists,
    indexes_dir,
    list_indexes,
    open_index,
    read_info,
    sample_docs,
    source_format,
)

__all__ = [
    "IndexInfo",
    "LocalIndexError",
    "create_index",
    "delete_index",
    "index_exists",
    "indexes_dir",
    "list_indexes",
    "open_index",
    "read_info",
    "sample_docs",
    "source_format",
]
