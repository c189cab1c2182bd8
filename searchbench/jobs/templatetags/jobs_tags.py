"""The case page's progress bars and the settings page's nightly switch, for the cases app's
templates (``{% load jobs_tags %}``), so the cases views need not know about jobs."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from searchbench.jobs import services
from searchbench.jobs.models import Job

register = template.Library()


@register.inclusion_tag("jobs/_partials/case_jobs.html", takes_context=True)
def case_jobs(context: dict[str, Any], case: Any) -> dict[str, Any]:
    """The case's jobs still going, each with a progress bar app.js keeps current."""
    user = context["request"].user
    jobs = services.jobs_for(user, case).filter(status__in=Job.ACTIVE).select_related("try_ref")
    return {
        "jobs": [(job, services.progress(job)) for job in jobs.order_by("created_at", "id")],
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("jobs/_partials/nightly.html", takes_context=True)
def nightly_switch(context: dict[str, Any], case: Any) -> dict[str, Any]:
    from searchbench.jobs.worker import next_cron_time

    return {
        "case": case,
        "nightly": services.is_nightly(case),
        "cron": settings.SEARCHBENCH_NIGHTLY_CRON,
        "next_run": next_cron_time(settings.SEARCHBENCH_NIGHTLY_CRON),
        "csrf_token": context.get("csrf_token"),
    }
