"""The cases app's personas and tiny index (owner, teammate, outsider; a two-query case)."""

from searchbench.cases.tests.conftest import data_dir, owner, quepid_files, tiny_index, world

__all__ = ["data_dir", "owner", "quepid_files", "tiny_index", "world"]
