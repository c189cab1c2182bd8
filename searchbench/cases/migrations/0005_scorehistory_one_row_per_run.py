"""Score history: one row per run. The per-query JSON objects (``per_query``, ``errors``) become one
packed column (cases/scorepack.py), and the rows a rating added (trigger "rating", one per click)
are folded into the run they followed: that run's row takes the last one's scores, with
``rated_at`` its time and ``run_score`` the score the run itself measured.

Backwards, every row gets its JSON objects back; the folded rating rows stay folded."""

from django.db import migrations, models

from searchbench.cases import scorepack

BATCH = 500


def _ids(mapping):
    """{int query id: value} from a stored JSON object (keys that are no id are dropped)."""
    if not isinstance(mapping, dict):
        return {}
    return {int(k): v for k, v in mapping.items() if str(k).isdigit()}


def _pack(row):
    scores = {k: float(v) for k, v in _ids(row.per_query).items() if isinstance(v, int | float)}
    errors = {k: str(v) for k, v in _ids(row.errors).items()}
    row.packed = scorepack.pack(scores, errors)
    row.num_queries = len(scores.keys() | errors.keys())
    row.num_errors = len(errors)
    return row


def _in_batches(rows, ordered_pks):
    """The rows of ``ordered_pks`` in that order, read BATCH at a time (no cursor stays open
    while the caller writes)."""
    for start in range(0, len(ordered_pks), BATCH):
        chunk = ordered_pks[start : start + BATCH]
        by_pk = rows.in_bulk(chunk)
        yield from (by_pk[pk] for pk in chunk)


def fold_and_pack(apps, schema_editor):
    History = apps.get_model("cases", "ScoreHistory")
    rows = History.objects.using(schema_editor.connection.alias)
    fields = ["packed", "num_queries", "num_errors", "score", "run_score", "rated_at", "trigger"]
    case_ids = list(rows.order_by().values_list("case_id", flat=True).distinct())
    for case_id in case_ids:
        ordered = rows.filter(case_id=case_id).order_by("created_at", "id")
        kept, done, folded = None, [], []
        for row in _in_batches(rows, list(ordered.values_list("pk", flat=True))):
            same = kept is not None and (kept.try_ref_id, kept.scorer_name) == (
                row.try_ref_id,
                row.scorer_name,
            )
            if row.trigger == "rating" and same:
                # The rating row held every query's scores at that moment: they are the run's now.
                kept.per_query, kept.errors, kept.score = row.per_query, row.errors, row.score
                kept.rated_at = row.created_at
                folded.append(row.pk)
                continue
            if kept is not None:
                done.append(_pack(kept))
            kept, row.run_score = row, row.score
            if row.trigger == "rating":  # no run before it to fold into: a row of its own
                row.trigger, row.rated_at = "run", row.created_at
            if len(done) >= BATCH:
                rows.bulk_update(done, fields)
                done = []
        if kept is not None:
            done.append(_pack(kept))
        rows.bulk_update(done, fields, batch_size=BATCH)
        for start in range(0, len(folded), BATCH):
            rows.filter(pk__in=folded[start : start + BATCH]).delete()


def unpack(apps, schema_editor):
    History = apps.get_model("cases", "ScoreHistory")
    rows = History.objects.using(schema_editor.connection.alias)
    done = []
    for row in _in_batches(rows, list(rows.order_by("pk").values_list("pk", flat=True))):
        unpacked = scorepack.unpack(row.packed) if row.packed else scorepack.QueryScores({}, {})
        row.per_query = {str(k): v for k, v in unpacked.scores.items()}
        row.errors = {str(k): v for k, v in unpacked.errors.items()}
        done.append(row)
        if len(done) >= BATCH:
            rows.bulk_update(done, ["per_query", "errors"])
            done = []
    rows.bulk_update(done, ["per_query", "errors"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_endpoint_headers_encrypted"),
    ]

    operations = [
        migrations.AddField(
            model_name="scorehistory",
            name="num_queries",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="scorehistory",
            name="num_errors",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="scorehistory",
            name="run_score",
            field=models.FloatField(default=0.0, help_text="The case score the run measured."),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="scorehistory",
            name="rated_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When ratings last changed the scores since the run.",
                null=True,
            ),
        ),
        # Last: SQLite keeps a row's columns in order and a big value spills to overflow pages,
        # so columns after it would cost a walk through them when a history series is read.
        migrations.AddField(
            model_name="scorehistory",
            name="packed",
            field=models.BinaryField(default=b""),
        ),
        migrations.AlterField(
            model_name="scorehistory",
            name="score",
            field=models.FloatField(help_text="The case score now, with ratings since the run."),
        ),
        migrations.AlterField(
            model_name="scorehistory",
            name="trigger",
            field=models.CharField(
                choices=[("run", "Run"), ("schedule", "Scheduled"), ("rating", "Rating")],
                default="run",
                max_length=16,
            ),
        ),
        migrations.RunPython(fold_and_pack, unpack),
        migrations.AlterField(
            model_name="scorehistory",
            name="trigger",
            field=models.CharField(
                choices=[("run", "Run"), ("schedule", "Scheduled")],
                default="run",
                max_length=16,
            ),
        ),
        migrations.RemoveField(model_name="scorehistory", name="per_query"),
        migrations.RemoveField(model_name="scorehistory", name="errors"),
    ]
