"""The cases app's personas and tiny built-in index serve here too."""

from searchbench.cases.tests.conftest import data_dir, tiny_index, world  # noqa: F401
