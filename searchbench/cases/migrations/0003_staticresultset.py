"""Static result sets get an owner and teams; endpoint options no longer name server paths."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Options that named a server path (engines.registry.SERVER_OPTIONS when this was written).
SERVER_OPTIONS = ("data_dir",)


def drop_server_options(apps, schema_editor):
    # The engines ignore them now, and the endpoint form refuses them: left in place they would
    # only block the owner's next save.
    SearchEndpoint = apps.get_model("cases", "SearchEndpoint")
    for endpoint in SearchEndpoint.objects.only("pk", "options").iterator():
        options = endpoint.options or {}
        if isinstance(options, dict) and any(name in options for name in SERVER_OPTIONS):
            kept = {k: v for k, v in options.items() if k not in SERVER_OPTIONS}
            SearchEndpoint.objects.filter(pk=endpoint.pk).update(options=kept)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("cases", "0002_endpoint_timeout_default"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="StaticResultSet",
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
                        related_name="static_sets",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "teams",
                    models.ManyToManyField(
                        blank=True, related_name="static_sets", to="accounts.team"
                    ),
                ),
            ],
            options={"ordering": ["name"]},
        ),
        migrations.RunPython(drop_server_options, migrations.RunPython.noop),
    ]
