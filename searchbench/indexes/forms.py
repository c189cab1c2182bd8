"""The index pages' forms: the upload (name, file, teams) and the fields to build with."""

from __future__ import annotations

from typing import Any

from django import forms

from searchbench.accounts.services import my_teams
from searchbench.engines.local import index as engine


class UploadForm(forms.Form):
    name = forms.CharField(
        max_length=64,
        help_text="Endpoints name it local://NAME. Letters, digits, '.', '_' or '-'. A name of "
        "yours is rebuilt from the new file (the old index serves until the new one is ready).",
        widget=forms.TextInput(attrs={"class": "mono", "autocomplete": "off"}),
    )
    file = forms.FileField(
        label="Documents (JSONL or CSV)",
        help_text="JSON Lines (one JSON object a line) or CSV with a header row (a .csv name). "
        "UTF-8.",
    )
    teams = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Members of these teams may point their endpoints at the index.",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = my_teams(user)

    def clean_file(self) -> Any:
        """A file over the limit is refused before any of it is stored (the upload step checks
        what it stores as well: a client may misstate the size)."""
        from searchbench.indexes.services import max_upload_bytes

        upload = self.cleaned_data["file"]
        if upload.size is not None and upload.size > max_upload_bytes():
            limit = max_upload_bytes() // (1024 * 1024)
            raise forms.ValidationError(f"{upload.name}: bigger than the limit of {limit} MB")
        return upload


class FieldsForm(forms.Form):
    id_field = forms.ChoiceField(
        label="Id field", help_text="Each document's unique id (what ratings refer to)."
    )
    fields = forms.MultipleChoiceField(
        label="Fields to search",
        widget=forms.CheckboxSelectMultiple,
        help_text="Text fields, analysed for full-text search. Every field is kept for display.",
    )
    analyzer = forms.ChoiceField(
        choices=[(name, f"{name} — {text}") for name, (text, _b) in engine.ANALYZERS.items()],
        initial=engine.DEFAULT_ANALYZER,
    )

    def __init__(self, *args: Any, names: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["id_field"].choices = [(n, n) for n in names]
        self.fields["fields"].choices = [(n, n) for n in names]


class TeamsForm(forms.Form):
    teams = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Shared with",
        help_text="Members of these teams may point their endpoints at the index.",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = my_teams(user)
