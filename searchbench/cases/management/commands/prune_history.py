"""Delete score-history runs the retention settings let go, for every case."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from searchbench.cases import history


class Command(BaseCommand):
    help = (
        "Delete score-history runs older than SEARCHBENCH_HISTORY_KEEP_DAYS and beyond each case's "
        "newest SEARCHBENCH_HISTORY_KEEP_RUNS (a case's newest run always stays). Recording a "
        "run prunes its case; this prunes every case, e.g. after lowering the settings."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        runs = settings.SEARCHBENCH_HISTORY_KEEP_RUNS
        days = settings.SEARCHBENCH_HISTORY_KEEP_DAYS
        if not runs and not days:
            self.stdout.write("retention is off (both settings are 0): nothing deleted")
            return
        self.stdout.write(f"deleted {history.prune()} score-history runs")
