from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MinValueValidator
from django.db.models import Q

from searchbench.accounts.models import Team
from searchbench.accounts.services import my_teams, own_or_shared
from searchbench.books.models import Book, Judgement
from searchbench.books.populate import MAX_DEPTH
from searchbench.cases.forms import ScaleForm
from searchbench.cases.models import Case, Scorer
from searchbench.cases.services import usable_scorers


class BookForm(ScaleForm):
    """A book's settings. The scale may be copied from a scorer (its grades and labels)."""

    scale_from = forms.ModelChoiceField(
        queryset=Scorer.objects.none(),
        required=False,
        label="Scale from a scorer",
        empty_label="(type the scale below)",
        help_text="Take the grades and labels of this scorer instead of those typed below.",
    )

    class Meta:
        model = Book
        fields = [
            "name",
            "scale_from",
            "scale_text",
            "labels",
            "guidelines",
            "target_judgements",
            "hide_others",
            "aggregation",
            "teams",
        ]
        widgets = {
            "guidelines": forms.Textarea(attrs={"rows": 6}),
            "teams": forms.CheckboxSelectMultiple,
            "aggregation": forms.RadioSelect,
        }
        labels = {"hide_others": "Hide other raters' judgements while judging"}
        help_texts = {
            "guidelines": "Markdown, shown to every rater (and an LLM judge's prompt).",
            "target_judgements": "Judgements wanted per pair; the judging page offers a pair "
            "until it has this many.",
            "teams": "Teams whose members may judge, populate and sync it; else only you.",
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scale_from"].queryset = usable_scorers(user)
        self.fields["scale_text"].required = False
        current = self.instance.teams.values("pk") if self.instance.pk else Team.objects.none()
        self.fields["teams"].queryset = Team.objects.filter(
            Q(pk__in=my_teams(user).values("pk")) | Q(pk__in=current)
        )
        target = self.fields["target_judgements"]
        target.validators.append(MinValueValidator(1))
        target.widget.attrs["min"] = 1

    def clean_scale_text(self) -> list[float] | None:
        if not self.cleaned_data.get("scale_text", "").strip():
            return None  # from the scorer, else required (clean)
        return super().clean_scale_text()

    def clean(self) -> dict[str, Any]:
        scorer = self.cleaned_data.get("scale_from")
        if scorer is not None:
            self.cleaned_data["scale_text"] = [float(v) for v in scorer.scale or []]
            self.cleaned_data["labels"] = dict(scorer.labels or {})
        cleaned = super().clean()
        if not cleaned.get("scale_text") and "scale_text" not in self.errors:
            self.add_error("scale_text", "give the scale, or take it from a scorer")
        return cleaned

    def save(self, commit: bool = True) -> Book:
        book: Book = super().save(commit=False)
        book.scale = self.cleaned_data["scale_text"]
        if commit:
            book.save()
            self.save_m2m()
        return book


class PopulateForm(forms.Form):
    cases = forms.ModelMultipleChoiceField(
        queryset=Case.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Cases you may change: each one's current try is searched.",
    )
    source = forms.ChoiceField(
        choices=[
            ("search", "Search each case's current try now"),
            ("snapshot", "Each case's newest snapshot (stored results; nothing is searched)"),
        ],
        initial="search",
        required=False,  # not given: search
        widget=forms.RadioSelect,
        label="Top docs from",
    )
    depth = forms.IntegerField(
        label="Top N docs a query",
        min_value=1,
        max_value=MAX_DEPTH,
        initial=10,
        help_text="Plus every doc the case has a rating for.",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cases"].queryset = own_or_shared(
            Case.objects.filter(archived=False), user
        ).order_by("name", "pk")


class JudgementForm(forms.Form):
    """One answer on the judging page: a grade of the scale, "later" or "can't rate"."""

    answer = forms.ChoiceField()
    explanation = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, book: Book, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        grades = [(f"{float(g):g}", f"{float(g):g}") for g in book.scale or []]
        self.fields["answer"].choices = [
            *grades,
            (Judgement.State.LATER, "Later"),
            (Judgement.State.CANT_RATE, "Can't rate"),
        ]

    def judgement(self) -> dict[str, Any]:
        """``record_judgement``'s state and rating for the answer given."""
        answer = self.cleaned_data["answer"]
        if answer in (Judgement.State.LATER, Judgement.State.CANT_RATE):
            return {"state": answer, "rating": None}
        return {"state": Judgement.State.RATED, "rating": float(answer)}
