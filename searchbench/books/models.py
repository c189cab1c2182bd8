"""A book is a pool of query–doc pairs with a rating scale and guidelines, judged by people and
LLM judges apart from any case; its judgements are aggregated into the ratings of the cases it is
synced into.

A pair keeps the doc's fields (per the field spec of the try it came from), so judging needs no
engine. A judgement is one rater's answer on one pair: a rating on the book's scale, "can't rate",
or "later"; ``rater_key`` names the rater whoever it is (a user, an LLM judge, or an e-mail from an
imported file), so one constraint keeps one judgement per rater and pair on every database.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from searchbench.web import crypto

User = settings.AUTH_USER_MODEL


class Book(models.Model):
    class Aggregation(models.TextChoices):
        QUEPID = "quepid", "Quepid's rule"
        MEDIAN = "median", "Median"
        MAJORITY = "majority", "Majority"
        MEAN = "mean", "Mean"

    name = models.CharField(max_length=200)
    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="books")
    teams = models.ManyToManyField("accounts.Team", blank=True, related_name="books")
    # The grades in order (e.g. [0, 1, 2, 3]) and their labels ({"0": "Poor", …}).
    scale = models.JSONField(default=list)
    labels = models.JSONField(default=dict, blank=True)
    guidelines = models.TextField(blank=True)  # Markdown
    # Judgements wanted per pair: the judging page offers a pair until it has this many.
    target_judgements = models.PositiveSmallIntegerField(default=3)
    # While judging, a rater sees nobody else's ratings (the default) or everyone's.
    hide_others = models.BooleanField(default=True)
    aggregation = models.CharField(
        max_length=16, choices=Aggregation.choices, default=Aggregation.QUEPID
    )
    # The cases the book's aggregated ratings are synced into.
    cases = models.ManyToManyField("cases.Case", blank=True, related_name="books")
    # The book's id in an imported Quepid file, written back on export.
    external_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Pair(models.Model):
    """One query–doc pair of a book, with what a rater needs to judge it."""

    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="pairs")
    query_text = models.CharField(max_length=500)
    information_need = models.TextField(blank=True)
    # The query's notes and options as the case had them (Quepid copies both onto its pairs).
    notes = models.TextField(blank=True)
    options = models.JSONField(default=dict, blank=True)
    doc_id = models.CharField(max_length=255)
    # The doc's fields as the field spec names them ({"title": …, "thumb": …}), kept at populate.
    doc_fields = models.JSONField(default=dict, blank=True)
    # The doc's rank in the try it came from (1 = top), None when it came from a rating or a file.
    position = models.PositiveIntegerField(null=True, blank=True)
    # People's judgements with a rating or "can't rate" (not "later", not an LLM judge's), kept
    # up to date by the services: the judging page picks the next pair below the book's target
    # without counting rows.
    judged = models.PositiveSmallIntegerField(default=0)
    # Who opened the pair on the judging page last, and when: for a few minutes the page offers
    # it to other raters only when nothing else is left (books.queue.next_pair).
    opened_by = models.CharField(max_length=300, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["book", "query_text", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["book", "query_text", "doc_id"], name="pair_unique_book_query_doc"
            )
        ]
        indexes = [models.Index(fields=["book", "judged"], name="pair_book_judged")]

    def __str__(self) -> str:
        return f"{self.query_text} / {self.doc_id}"


class BookSync(models.Model):
    """One sync of a book into one of its cases: the rule its ratings were aggregated with and
    what changed. The ratings it wrote have no rater (``rated_by`` None); this row says where
    they came from."""

    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="syncs")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="book_syncs")
    rule = models.CharField(max_length=16, choices=Book.Aggregation.choices)
    synced_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    written = models.PositiveIntegerField(default=0)  # ratings set (new or changed)
    unchanged = models.PositiveIntegerField(default=0)  # the case had that rating already
    # Pairs the case could not take: no query with that text, or a rating off its scorer's scale.
    skipped = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.book_id} -> {self.case_id} ({self.rule})"


class Judge(models.Model):
    """An LLM judge: a model on an OpenAI-compatible chat-completions endpoint and how to ask it."""

    name = models.CharField(max_length=200)
    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="judges")
    teams = models.ManyToManyField("accounts.Team", blank=True, related_name="judges")
    base_url = models.CharField("base URL", max_length=2000)  # …/v1; /chat/completions is added
    model = models.CharField(max_length=200)
    # Fernet token (web/crypto.py); the clear key is never stored nor shown back.
    api_key_encrypted = models.TextField(blank=True, editable=False)
    prompt_template = models.TextField()
    temperature = models.FloatField(default=0.0)
    timeout = models.FloatField("timeout (s)", default=60.0)
    concurrency = models.PositiveSmallIntegerField(default=2)
    requests_per_minute = models.PositiveIntegerField(null=True, blank=True)
    # Whether the model takes images (the doc's thumbnail is then sent with the prompt).
    vision = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.model})"

    @property
    def has_api_key(self) -> bool:
        return bool(self.api_key_encrypted)

    def set_api_key(self, raw: str | None) -> None:
        """Store a new key (encrypted); an empty value removes it."""
        self.api_key_encrypted = crypto.encrypt(raw) if raw else ""

    def get_api_key(self) -> str | None:
        return crypto.decrypt(self.api_key_encrypted) if self.api_key_encrypted else None


class Judgement(models.Model):
    class State(models.TextChoices):
        RATED = "rated", "Rated"
        CANT_RATE = "cant_rate", "Can't rate"
        LATER = "later", "Judge later"

    pair = models.ForeignKey(Pair, on_delete=models.CASCADE, related_name="judgements")
    # Who judged: a user, an LLM judge, or (imported) an e-mail no user has. rater_key is
    # "u<user id>", "j<judge id>" or "e:<email>": one judgement per rater and pair.
    rater = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    judge = models.ForeignKey(Judge, null=True, blank=True, on_delete=models.SET_NULL)
    rater_email = models.EmailField(max_length=254, blank=True)
    rater_key = models.CharField(max_length=300)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RATED)
    rating = models.FloatField(null=True, blank=True)  # None unless state is "rated"
    explanation = models.TextField(blank=True)
    # An LLM judge's cost: tokens in and out, the call's latency, and the prompt's hash (an
    # identical prompt is answered from the judgement that has it, not sent again).
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    prompt_hash = models.CharField(max_length=64, blank=True, db_index=True)
    judged_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pair", "rater_key"]
        constraints = [
            models.UniqueConstraint(fields=["pair", "rater_key"], name="judgement_unique_rater")
        ]

    def __str__(self) -> str:
        return f"{self.pair_id}/{self.rater_key}={self.rating if self.rating is not None else self.state}"
