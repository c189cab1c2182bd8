"""Who may use the built-in engine's indexes (``local://NAME``). The tantivy files themselves are
kept by the engine in the data directory (engines/local/index.py); builds are jobs
(``Job.Kind.INDEX``, params ``{"index_id": …}``, tasks.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

User = settings.AUTH_USER_MODEL


class LocalIndex(models.Model):
    """A built-in engine index, as StaticResultSet is a static result set: the owner and members
    of the index's teams may point their endpoints at it (the one rule:
    cases.services.usable_data). An index without an owner is the operator's — built with
    ``searchbench index create`` without ``--owner`` — and usable by nobody on the web until an
    owner is assigned (``--owner``, or the admin). Names are one namespace: the first to take a
    name owns it.
    """

    name = models.CharField(max_length=64, unique=True)
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="local_indexes"
    )
    teams = models.ManyToManyField("accounts.Team", blank=True, related_name="local_indexes")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "local indexes"

    def __str__(self) -> str:
        return f"local://{self.name}"

    @property
    def url(self) -> str:
        return f"local://{self.name}"
