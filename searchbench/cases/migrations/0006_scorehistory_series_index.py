"""Score history: the (case, created_at) index becomes one that holds every column a history
series reads, so a chart's series is read from the index alone (on MariaDB the rows, each with its
packed per-query scores, were read one by one). The new index is made before the old one goes: it
can back the case foreign key on MariaDB."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_scorehistory_one_row_per_run"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="scorehistory",
            index=models.Index(
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
            ),
        ),
        migrations.RemoveIndex(model_name="scorehistory", name="scorehistory_case_created"),
    ]
