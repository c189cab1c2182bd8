"""The LLM judges' forms: a judge (its key write-only) and the budget of a judging job."""

from __future__ import annotations

from typing import Any

from django import forms

from searchbench.accounts.services import my_teams
from searchbench.books.models import Judge
from searchbench.cases.forms import url_policy_problem
from searchbench.domain import judging


def _within(value: Any, low: float, high: float, message: str) -> Any:
    if not low <= value <= high:
        raise forms.ValidationError(message)
    return value


class JudgeForm(forms.ModelForm):
    # Write-only: the stored key is never rendered back, not even masked.
    api_key = forms.CharField(
        required=False,
        label="API key",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Sent as Authorization: Bearer KEY. Leave blank to keep the stored key "
        "(none for a server without keys, such as a local Ollama).",
    )
    clear_api_key = forms.BooleanField(required=False, label="Remove the stored key")

    class Meta:
        model = Judge
        fields = [
            "name",
            "base_url",
            "model",
            "prompt_template",
            "temperature",
            "timeout",
            "concurrency",
            "requests_per_minute",
            "vision",
            "teams",
        ]
        widgets = {
            "teams": forms.CheckboxSelectMultiple,
            "base_url": forms.TextInput(attrs={"class": "mono"}),
            "prompt_template": forms.Textarea(attrs={"rows": 18, "class": "mono"}),
        }
        help_texts = {
            "base_url": "The API's base, e.g. https://api.openai.com/v1 or "
            "http://localhost:11434/v1; /chat/completions is added.",
            "prompt_template": "Placeholders: {{query}}, {{information_need}}, {{guidelines}}, "
            "{{scale}}, {{doc}}, {{doc.FIELD}}, {{doc_id}}. The model must answer "
            '{"judgment": …, "explanation": …}.',
            "concurrency": "Calls at once while judging a book.",
            "requests_per_minute": "Empty: no limit. Shared by every worker.",
            "vision": "The model takes images: the doc's thumbnail is sent with the prompt.",
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = my_teams(user)
        if not self.instance.pk and not self.is_bound:
            self.initial["prompt_template"] = judging.DEFAULT_PROMPT_TEMPLATE

    def clean_base_url(self) -> str:
        from urllib.parse import urlsplit

        url = str(self.cleaned_data["base_url"]).strip().rstrip("/")
        try:
            has_userinfo = urlsplit(url).username is not None
        except ValueError:
            has_userinfo = False
        if has_userinfo:
            self.data = self.data.copy()
            self.data["base_url"] = ""  # never echo credentials back
            raise forms.ValidationError("do not put credentials in the URL: use the API key")
        problem = url_policy_problem(url)  # the engines' outbound policy
        if problem:
            raise forms.ValidationError(problem)
        return url

    def clean_prompt_template(self) -> str:
        template = str(self.cleaned_data["prompt_template"])
        try:
            judging.check_template(template)
        except judging.PromptError as exc:
            raise forms.ValidationError(str(exc)) from None
        return template

    def clean_temperature(self) -> float:
        return _within(self.cleaned_data["temperature"], 0.0, 2.0, "between 0 and 2")

    def clean_timeout(self) -> float:
        return _within(self.cleaned_data["timeout"], 1.0, 600.0, "between 1 and 600 seconds")

    def clean_concurrency(self) -> int:
        return int(_within(self.cleaned_data["concurrency"], 1, 32, "between 1 and 32"))

    def save(self, commit: bool = True) -> Judge:
        judge: Judge = super().save(commit=False)
        if self.cleaned_data.get("clear_api_key"):
            judge.set_api_key(None)
        elif self.cleaned_data.get("api_key"):
            judge.set_api_key(self.cleaned_data["api_key"])
        if commit:
            judge.save()
            self.save_m2m()
        return judge


class JudgeBookForm(forms.Form):
    """Which judge, and the budget of the job."""

    judge = forms.ModelChoiceField(queryset=Judge.objects.none(), empty_label=None)
    max_pairs = forms.IntegerField(
        required=False, min_value=1, label="At most this many pairs", help_text="Empty: all."
    )
    max_tokens = forms.IntegerField(
        required=False,
        min_value=1,
        label="At most this many tokens",
        help_text="Prompt and completion tokens as the server counts them. Empty: no limit.",
    )

    def __init__(self, *args: Any, judges: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["judge"].queryset = judges
