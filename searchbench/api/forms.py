"""The web app's forms as the API's validation: one set of rules for both doors. A JSON body
(with PATCH, over the object's current values) becomes form data; a form's errors become a 422
naming each field."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.db import transaction

from searchbench.api.errors import ApiError


def form_data(form: forms.BaseForm) -> dict[str, Any]:
    """What the unbound ``form`` shows for its instance, as form data."""
    return {name: form[name].value() for name in form.fields}


def as_field(value: Any) -> Any:
    """A JSON value as a form field takes it (objects as JSON text)."""
    if isinstance(value, dict):
        return json.dumps(value)
    return value


def scale_as_text(changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` with a JSON ``scale`` (a list of numbers) as ScaleForm's ``scale_text`` (the
    scorer's and the book's form)."""
    if "scale" in changes:
        changes["scale_text"] = ", ".join(f"{v:g}" for v in changes.pop("scale"))
    return changes


def bind(
    form_class: type[forms.BaseForm],
    changes: dict[str, Any],
    *,
    instance: Any = None,
    **kwargs: Any,
) -> Any:
    """A valid bound form: the instance's current values (if any) with ``changes`` on top.
    ApiError 422 with every field's errors otherwise."""
    current = form_data(form_class(instance=instance, **kwargs)) if instance is not None else {}
    data = {**current, **{k: as_field(v) for k, v in changes.items()}}
    form = (
        form_class(data, instance=instance, **kwargs)
        if instance is not None
        else form_class(data, **kwargs)
    )
    if not form.is_valid():
        details = [
            {"field": field if field != "__all__" else "", "message": str(message)}
            for field, messages in form.errors.items()
            for message in messages
        ]
        first = details[0]
        where = f"{first['field']}: " if first["field"] else ""
        raise ApiError(422, f"{where}{first['message']}", details=details)
    return form


def save(form: Any, owner: Any = None) -> Any:
    """The valid ``form``'s object and its many-to-many fields, saved in one transaction; with
    ``owner``, the object is theirs (a create)."""
    saved = form.save(commit=False)
    if owner is not None:
        saved.owner = owner
    with transaction.atomic():
        saved.save()
        form.save_m2m()
    return saved
