"""Secret custom headers (Authorization, API keys) encrypted at rest like the password: their
values move from ``headers`` (where "***" stays) to ``headers_encrypted``, a Fernet token."""

import json

from django.db import migrations, models

from searchbench.engines.http import MASK, SECRET_HEADERS
from searchbench.web import crypto


def seal(apps, schema_editor):
    SearchEndpoint = apps.get_model("cases", "SearchEndpoint")
    for endpoint in SearchEndpoint.objects.only("pk", "headers").iterator():
        headers = endpoint.headers if isinstance(endpoint.headers, dict) else {}
        secret = {k: v for k, v in headers.items() if k.lower() in SECRET_HEADERS and v != MASK}
        if not secret:
            continue
        shown = {k: MASK if k in secret else v for k, v in headers.items()}
        SearchEndpoint.objects.filter(pk=endpoint.pk).update(
            headers=shown, headers_encrypted=crypto.encrypt(json.dumps(secret))
        )


def unseal(apps, schema_editor):
    SearchEndpoint = apps.get_model("cases", "SearchEndpoint")
    for endpoint in SearchEndpoint.objects.exclude(headers_encrypted="").iterator():
        secret = json.loads(crypto.decrypt(endpoint.headers_encrypted))
        headers = {k: secret.get(k, v) if v == MASK else v for k, v in endpoint.headers.items()}
        SearchEndpoint.objects.filter(pk=endpoint.pk).update(headers=headers)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_staticresultset"),
    ]

    operations = [
        migrations.AddField(
            model_name="searchendpoint",
            name="headers_encrypted",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(seal, unseal),
    ]
