"""Built-in engine indexes get an owner and teams (as static result sets did in cases 0003).

Indexes built before are the operator's (no row): no owner is guessed from the endpoints that name
them — anyone could name any index then. The operator gives them owners in the admin or with
`searchbench index create NAME --from FILE --owner USER`."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0002_invitation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="LocalIndex",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=64, unique=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "owner",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="local_indexes",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "teams",
                    models.ManyToManyField(
                        blank=True, related_name="local_indexes", to="accounts.team"
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "local indexes",
                "ordering": ["name"],
            },
        ),
    ]
