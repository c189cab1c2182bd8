"""The relevance workbench's data: endpoints, cases, tries, queries, ratings, scorers, snapshots,
score history. Behaviour lives in services.py; models hold data and small invariants."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Max

from searchbench.cases import scorepack
from searchbench.domain.scoring import UNRATED_COUNT_ZERO, UNRATED_LEAVE_OUT
from searchbench.web import crypto

User = settings.AUTH_USER_MODEL


def engine_kind_choices() -> list[tuple[str, str]]:
    """Choices from the engines registry (a callable, so new engines need no migration)."""
    from searchbench.engines import ENGINES

    choices = []
    for kind, record in ENGINES.items():
        label = getattr(record, "label", None) or getattr(record, "title", None) or kind
        choices.append((kind, str(label)))
    return choices


def default_engine_timeout() -> float:
    return float(settings.SEARCHBENCH_ENGINE_TIMEOUT)


class SearchEndpoint(models.Model):
    class Method(models.TextChoices):
        GET = "GET", "GET"
        POST = "POST", "POST"

    name = models.CharField(max_length=200)
    kind = models.CharField("engine", max_length=32, choices=engine_kind_choices)
    url = models.CharField(
        "URL",
        max_length=2000,
        help_text="Engine URL (e.g. http://localhost:8983/solr/core/select) or, for the built-in "
        "engine, the index name (local://demo).",
    )
    method = models.CharField("HTTP method", max_length=8, choices=Method.choices, default="GET")
    # Secret headers (Authorization, API keys: engines.http.SECRET_HEADERS) are kept here as "***"
    # with their values Fernet-encrypted in headers_encrypted (a JSON object); see set_headers().
    headers = models.JSONField("custom headers", default=dict, blank=True)
    headers_encrypted = models.TextField(blank=True, editable=False)
    username = models.CharField("basic-auth user", max_length=200, blank=True)
    # Fernet token (web/crypto.py); the clear password is never stored nor shown back.
    password_encrypted = models.TextField(blank=True, editable=False)
    options = models.JSONField(default=dict, blank=True)
    requests_per_minute = models.PositiveIntegerField(null=True, blank=True)
    timeout = models.FloatField("timeout (s)", default=default_engine_timeout)
    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="endpoints")
    teams = models.ManyToManyField("accounts.Team", blank=True, related_name="endpoints")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Whatever path set `headers` (the form, code, the admin), secret values never reach the
        # database in clear.
        if needs_sealing(self.headers or {}):
            try:
                clear = self.get_headers()
            except crypto.CredentialError:  # sealed under an old secret key: lost already
                clear = dict(self.headers)
            self.set_headers(clear)
        super().save(*args, **kwargs)

    @property
    def has_password(self) -> bool:
        return bool(self.password_encrypted)

    def set_password(self, raw: str | None) -> None:
        """Store a new password (encrypted); an empty value removes it."""
        self.password_encrypted = crypto.encrypt(raw) if raw else ""

    def get_password(self) -> str | None:
        return crypto.decrypt(self.password_encrypted) if self.password_encrypted else None

    def set_headers(self, headers: dict[str, str]) -> None:
        """Store custom headers: secret ones encrypted, shown in ``headers`` as the mask."""
        self.headers, self.headers_encrypted = seal_headers(headers)

    def get_headers(self) -> dict[str, str]:
        """The headers with secret values in clear (for the engine and the owner's form)."""
        return open_headers(self.headers or {}, self.headers_encrypted)

    def to_config(self) -> Any:
        """The engines layer's EndpointConfig for this row."""
        from searchbench.domain.search import EndpointConfig

        return EndpointConfig(
            kind=self.kind,
            url=self.url,
            method=self.method,
            headers=self.get_headers(),
            username=self.username or None,
            password=self.get_password(),
            options=dict(self.options or {}),
            requests_per_minute=self.requests_per_minute,
            timeout=self.timeout,
        )


def seal_headers(headers: dict[str, str]) -> tuple[dict[str, str], str]:
    """(headers with secret values masked, the secret values encrypted as a JSON object)."""
    from searchbench.engines.http import MASK, SECRET_HEADERS

    names = {k for k in headers if k.lower() in SECRET_HEADERS}
    shown = {k: MASK if k in names else v for k, v in headers.items()}
    secret = {k: headers[k] for k in names if headers[k] != MASK}
    return shown, crypto.encrypt(json.dumps(secret)) if secret else ""


def open_headers(shown: dict[str, str], sealed: str) -> dict[str, str]:
    """The headers in clear: masked values replaced by their encrypted ones."""
    from searchbench.engines.http import MASK

    secret: dict[str, str] = json.loads(crypto.decrypt(sealed)) if sealed else {}
    return {k: secret.get(k, v) if v == MASK else v for k, v in shown.items()}


def needs_sealing(headers: dict[str, str]) -> bool:
    """Whether a secret header holds a clear value (not yet encrypted)."""
    from searchbench.engines.http import MASK, SECRET_HEADERS

    return any(k.lower() in SECRET_HEADERS and v != MASK for k, v in headers.items())


class StaticResultSet(models.Model):
    """Who may use the frozen results served as ``static://NAME`` (the rows themselves are stored
    by the static engine in the data directory, indexed by query).

    The owner and members of the set's teams may point their endpoints at it (the rule:
    services.usable_data). A set without an owner is the operator's — imported with
    ``searchbench index import-static`` without ``--owner``, or by a version before sets had owners
    — and usable by nobody on the web until an owner is assigned (``--owner``, or the admin).
    Names are one namespace: the first to upload a name owns it.
    """

    name = models.CharField(max_length=64, unique=True)
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="static_sets"
    )
    teams = models.ManyToManyField("accounts.Team", blank=True, related_name="static_sets")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"static://{self.name}"


class Scorer(models.Model):
    class Kind(models.TextChoices):
        BUILTIN = "builtin", "Built-in"
        CUSTOM = "custom", "Custom (JavaScript)"

    # For built-ins the name is what scoring.ScorerRef.parse() accepts ("quepid:nDCG@10", "nDCG@10").
    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CUSTOM)
    description = models.TextField(blank=True)
    scale = models.JSONField(default=list, help_text="Rating values offered, e.g. [0, 1, 2, 3].")
    labels = models.JSONField(
        default=dict, blank=True, help_text='e.g. {"0": "Poor", "3": "Perfect"}'
    )
    code = models.TextField(blank=True, help_text="JavaScript for custom scorers.")
    # A custom scorer is private to its owner and the teams it is shared with
    # (services.usable_scorers); built-ins are everyone's.
    owner = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    teams = models.ManyToManyField("accounts.Team", blank=True, related_name="scorers")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name

    def scale_with_labels(self) -> list[tuple[float, str]]:
        labels = {float(k): v for k, v in (self.labels or {}).items()}
        return [(float(v), labels.get(float(v), "")) for v in self.scale or []]

    @property
    def ref(self) -> Any:
        """The scorer as scoring takes it (domain.scoring.ScorerRef)."""
        from searchbench.domain.scoring import ScorerRef

        if self.kind == self.Kind.BUILTIN:
            return ScorerRef.parse(self.name, check=False)
        return ScorerRef.javascript(self.code, self.name)


class Case(models.Model):
    name = models.CharField(max_length=200)
    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="cases")
    teams = models.ManyToManyField("accounts.Team", blank=True, related_name="cases")
    scorer = models.ForeignKey(Scorer, on_delete=models.PROTECT, related_name="cases")
    archived = models.BooleanField(default=False)
    public = models.BooleanField(default=False, help_text="Anyone logged in may read it.")
    options = models.JSONField(default=dict, blank=True)
    unrated_queries = models.CharField(
        "unrated queries",
        max_length=16,
        choices=[
            (UNRATED_COUNT_ZERO, "count as 0 (Quepid's rule)"),
            (UNRATED_LEAVE_OUT, "leave out of the case score"),
        ],
        default=UNRATED_COUNT_ZERO,
        help_text="How queries with no rating count in the case score: as 0, so adding queries "
        "lowers it until they are rated, or not at all.",
    )
    # Header values of imported files the case does not model otherwise (RRE's id_field, index,
    # template), by format, written back when the case is exported in that format (transfer.py).
    file_headers = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "id"]
        indexes = [models.Index(fields=["owner", "archived"], name="case_owner_archived")]

    def __str__(self) -> str:
        return self.name

    def current_try(self) -> Try | None:
        return self.tries.order_by("-number").first()

    def next_try_number(self) -> int:
        return (self.tries.aggregate(n=Max("number"))["n"] or 0) + 1


class Try(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveIntegerField()
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    name = models.CharField(max_length=200, blank=True)
    query_template = models.TextField()
    field_spec = models.TextField(blank=True)
    rows = models.PositiveIntegerField(default=10)
    escape = models.BooleanField("escape query", default=True)
    curator_vars = models.JSONField("curator variables", default=dict, blank=True)
    endpoint = models.ForeignKey(SearchEndpoint, on_delete=models.PROTECT, related_name="tries")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="try_unique_case_number")
        ]

    def __str__(self) -> str:
        return f"{self.case} try {self.number}"

    def to_config(self) -> Any:
        from searchbench.domain.search import TryConfig

        return TryConfig(
            template=self.query_template,
            field_spec=self.field_spec,
            rows=self.rows,
            escape=self.escape,
            curator_vars=dict(self.curator_vars or {}),
        )


class Query(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="queries")
    text = models.CharField(max_length=500)
    position = models.PositiveIntegerField(default=0)
    notes = models.TextField(blank=True)
    information_need = models.TextField(blank=True)
    options = models.JSONField(default=dict, blank=True)
    # The query's id in an imported file (a TREC or LTR qid), written back on export.
    external_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "position", "id"]
        indexes = [models.Index(fields=["case", "position"], name="query_case_position")]
        verbose_name_plural = "queries"

    def __str__(self) -> str:
        return self.text


class Rating(models.Model):
    query = models.ForeignKey(Query, on_delete=models.CASCADE, related_name="ratings")
    doc_id = models.CharField(max_length=255)
    rating = models.FloatField()
    rated_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    # The rater's e-mail as an imported file named it, when no user has it (else rated_by).
    rater_email = models.EmailField(max_length=254, blank=True)
    rated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["query", "doc_id"], name="rating_unique_query_doc")
        ]

    def __str__(self) -> str:
        return f"{self.query_id}/{self.doc_id}={self.rating}"


class Snapshot(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="snapshots")
    try_ref = models.ForeignKey(
        Try,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="snapshots",
        db_column="try_id",
        verbose_name="try",
    )
    name = models.CharField(max_length=200)
    scorer_name = models.CharField(max_length=100, blank=True)
    score = models.FloatField(null=True, blank=True)
    # The docs' field names in column order, when known (an imported snapshot CSV): PostgreSQL's
    # jsonb does not keep the key order of SnapshotDoc.fields.
    field_names = models.JSONField(default=list, blank=True, editable=False)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["case", "created_at"], name="snapshot_case_created")]

    def __str__(self) -> str:
        return self.name


class SnapshotQuery(models.Model):
    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="queries")
    query = models.ForeignKey(Query, null=True, blank=True, on_delete=models.SET_NULL)
    query_text = models.CharField(max_length=500)
    score = models.FloatField(null=True, blank=True)
    num_results = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["snapshot", "id"]

    def __str__(self) -> str:
        return self.query_text


class ValuesJSONField(models.JSONField):
    """A JSONField that PostgreSQL bulk-inserts as VALUES rows. Django 5.2 sends a multi-row
    INSERT there as one array per column (UNNEST), and psycopg's client-side binding quotes an
    array of JSON texts in Python, one regex replacement per quote character: three quarters of
    the time a 10,000-query snapshot took to write. A field with ``get_placeholder`` keeps Django
    on plain VALUES. Migrations see a plain JSONField: nothing changes in the database."""

    def get_placeholder(self, value: Any, compiler: Any, connection: Any) -> str:
        return "%s"

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs


class SnapshotDoc(models.Model):
    snapshot_query = models.ForeignKey(SnapshotQuery, on_delete=models.CASCADE, related_name="docs")
    doc_id = models.CharField(max_length=255)
    position = models.PositiveIntegerField()
    fields = ValuesJSONField(default=dict)
    explain = ValuesJSONField(null=True, blank=True)

    class Meta:
        ordering = ["snapshot_query", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot_query", "position"], name="snapshotdoc_unique_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.doc_id}@{self.position}"


class ScoreHistory(models.Model):
    """One row per run of a case: the case score and every query's score or error, packed.

    Ratings change the current scores without adding rows: re-scoring a query after a rating
    updates the newest row in place (its query's entry and ``score``) and sets ``rated_at``;
    ``run_score`` keeps the score the run itself measured. So the newest row is the case's current
    scores, and each older row is where the scores stood when the next run started.
    """

    class Trigger(models.TextChoices):
        RUN = "run", "Run"  # someone asked: the run button, a new try, the demo
        SCHEDULE = "schedule", "Scheduled"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="score_history")
    try_ref = models.ForeignKey(
        Try,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="score_history",
        db_column="try_id",
        verbose_name="try",
    )
    scorer = models.ForeignKey(Scorer, null=True, blank=True, on_delete=models.SET_NULL)
    scorer_name = models.CharField(max_length=100)
    score = models.FloatField(help_text="The case score now, with ratings since the run.")
    run_score = models.FloatField(help_text="The case score the run measured.")
    # Per-query scores and errors keyed by query id, in scorepack's format (see scorepack.py).
    packed = models.BinaryField(default=b"")
    num_queries = models.PositiveIntegerField(default=0)
    num_errors = models.PositiveIntegerField(default=0)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.RUN)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    rated_at = models.DateTimeField(
        null=True, blank=True, help_text="When ratings last changed the scores since the run."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Every column a history series reads (history.series), so it is read from the index
            # alone, never from rows that carry a packed blob each (on MariaDB: 2× faster).
            models.Index(
                fields=[
                    "case",
                    "created_at",
                    "id",
                    "score",
                    "run_score",
                    "try_ref",
                    "scorer_name",
                    "rated_at",
                ],
                name="scorehistory_case_series",
            )
        ]
        verbose_name_plural = "score history"

    def __str__(self) -> str:
        return f"{self.case_id} {self.scorer_name}={self.score:.4f}"

    def set_queries(self, per_query: Mapping[str, float], errors: Mapping[str, str]) -> None:
        """Store the per-query scores and errors (keys: query ids as text, as the loop has them)."""
        scores = {int(k): float(v) for k, v in per_query.items()}
        failed = {int(k): str(v) for k, v in errors.items()}
        self.packed = scorepack.pack(scores, failed)
        self.num_queries = len(scores.keys() | failed.keys())
        self.num_errors = len(failed)
        self.__dict__.pop("_unpacked", None)

    @cached_property
    def _unpacked(self) -> scorepack.QueryScores:
        if not self.packed:
            return scorepack.QueryScores({}, {})
        return scorepack.unpack(self.packed)

    @property
    def per_query(self) -> dict[str, float]:
        """Scores of the queries that were scored, by query id as text."""
        return {str(k): v for k, v in self._unpacked.scores.items()}

    @property
    def errors(self) -> dict[str, str]:
        """Messages of the queries that failed (engine or scorer), by query id as text."""
        return {str(k): v for k, v in self._unpacked.errors.items()}
