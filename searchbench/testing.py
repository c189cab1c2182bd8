"""Test helpers shared by the suites (imported only by tests).

``service_missing`` is how a test says "the thing I need is not here": on a laptop that is a skip
with the reason; in CI (.ci/run sets SEARCHBENCH_REQUIRE_SERVICES=1) it is a failure, so a CI run
can never pass by skipping the services it promised to start.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

REQUIRE_ENV = "SEARCHBENCH_REQUIRE_SERVICES"


def services_required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") == "1"


def service_missing(reason: str) -> NoReturn:
    if services_required():
        pytest.fail(f"required service missing ({REQUIRE_ENV}=1): {reason}", pytrace=False)
    pytest.skip(reason)
