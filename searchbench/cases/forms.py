from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.db.models import Q

from searchbench.accounts.models import Team
from searchbench.accounts.services import my_teams
from searchbench.cases import services
from searchbench.cases.models import Case, Query, Scorer, SearchEndpoint, Try
from searchbench.cases.services import usable_endpoints
from searchbench.domain import safejson


class JSONObjectField(forms.CharField):
    """A JSON object typed into a textarea; errors say where the JSON broke. Read with the limits
    of domain.safejson (no NaN or infinity, bounded nesting and numbers), so what passes here is
    what every database's JSON column stores."""

    widget = forms.Textarea(attrs={"rows": 3, "class": "mono"})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return json.dumps(value, indent=2) if value else ""
        return value

    def to_python(self, value: Any) -> dict[str, Any]:
        text = (value or "").strip()
        if not text:
            return {}
        try:
            parsed = safejson.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
            ) from None
        if not isinstance(parsed, dict):
            raise forms.ValidationError('expected a JSON object, e.g. {"key": "value"}')
        return parsed


def template_examples() -> str:
    """One example template per engine kind, from the engines registry."""
    from searchbench.engines import ENGINES

    return " · ".join(f"{e.label}: {e.template_example}" for e in ENGINES.values())


class CaseCreateForm(forms.ModelForm):
    endpoint = forms.ModelChoiceField(queryset=SearchEndpoint.objects.none())
    query_template = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "class": "mono"}),
        initial='{"query": "#$query##"}',
        help_text="The first try's query; #$query## is the query text.",
    )
    field_spec = forms.CharField(required=False, initial="id:id title:title *")

    class Meta:
        model = Case
        fields = ["name", "scorer", "public", "teams"]
        widgets = {"teams": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = my_teams(user)
        self.fields["endpoint"].queryset = usable_endpoints(user)
        self.fields["scorer"].queryset = services.usable_scorers(user)
        self.fields["scorer"].initial = Scorer.objects.filter(name="nDCG@10").first()
        self.fields["query_template"].help_text += " Examples — " + template_examples()

    def clean_query_template(self) -> str:
        template = str(self.cleaned_data["query_template"])
        problem = template_problem(template, {})  # the first try has no curator variables
        if problem:
            raise forms.ValidationError(problem)
        return template


class CaseSettingsForm(forms.ModelForm):
    options = JSONObjectField(
        label="Options", help_text="Available to templates as #$qOption.NAME## and to scorers."
    )

    class Meta:
        model = Case
        fields = ["name", "scorer", "unrated_queries", "public", "archived", "teams", "options"]
        widgets = {"teams": forms.CheckboxSelectMultiple, "unrated_queries": forms.RadioSelect}

    def rescores(self) -> bool:
        """Whether what scoring reads changed (the scorer, how unrated queries count): the case
        is then re-scored (web and API), so the score shown follows the settings."""
        rule = self.cleaned_data.get("unrated_queries")
        return "scorer" in self.changed_data or rule != self.initial.get("unrated_queries")

    def clean_unrated_queries(self) -> str:
        # Left out of a post (a form from before the setting existed): the case's rule stays.
        return self.cleaned_data.get("unrated_queries") or self.instance.unrated_queries

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Keep teams the case already has even when the editor is not in them.
        current = self.instance.teams.values("pk") if self.instance.pk else Team.objects.none()
        self.fields["teams"].queryset = Team.objects.filter(
            Q(pk__in=my_teams(user).values("pk")) | Q(pk__in=current)
        )
        self.fields["unrated_queries"].required = False
        # The case's scorer stays pickable for a teammate who may not use it otherwise.
        scorer = [self.instance.scorer_id] if self.instance.pk else []
        self.fields["scorer"].queryset = Scorer.objects.filter(
            Q(pk__in=services.usable_scorers(user).values("pk")) | Q(pk__in=scorer)
        )


class QueryNotesForm(forms.ModelForm):
    options = JSONObjectField(label="Options", help_text="Per-query #$qOption.NAME## values.")

    class Meta:
        model = Query
        fields = ["information_need", "notes", "options"]
        widgets = {
            "information_need": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }


QUERY_FILE_MAX_BYTES = 5 * 1024 * 1024


class QueryForm(forms.Form):
    """Queries to add, one a line: typed or pasted, or a UTF-8 text file (or both)."""

    text = forms.CharField(
        required=False,
        strip=False,
        label="New queries, one a line",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    file = forms.FileField(required=False, label="or a text file, one query a line")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        lines = (data.get("text") or "").splitlines()
        upload = data.get("file")
        if upload is not None:
            if upload.size > QUERY_FILE_MAX_BYTES:
                raise forms.ValidationError(
                    f"{upload.name}: the file is over {QUERY_FILE_MAX_BYTES // 1024 // 1024} MB"
                )
            try:
                lines += upload.read().decode("utf-8-sig").splitlines()
            except UnicodeDecodeError as exc:
                raise forms.ValidationError(
                    f"{upload.name}: not UTF-8 text (byte {exc.start + 1})"
                ) from exc
        if not any(line.strip() for line in lines):
            raise forms.ValidationError("Type or paste a query (one a line), or choose a file.")
        data["lines"] = lines
        return data


class TryForm(forms.ModelForm):
    curator_vars = JSONObjectField(label="Curator variables", help_text='e.g. {"boost": "2"}')

    class Meta:
        model = Try
        fields = [
            "name",
            "query_template",
            "field_spec",
            "rows",
            "escape",
            "curator_vars",
            "endpoint",
        ]
        widgets = {
            "query_template": forms.Textarea(attrs={"rows": 6, "class": "mono"}),
            "field_spec": forms.TextInput(attrs={"class": "mono"}),
        }

    def __init__(
        self, *args: Any, user: Any, current: SearchEndpoint | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        qs = usable_endpoints(user)
        if current is not None:
            qs = SearchEndpoint.objects.filter(Q(pk__in=qs.values("pk")) | Q(pk=current.pk))
        self.fields["endpoint"].queryset = qs
        self.fields["rows"].widget.attrs.update({"min": 1, "max": 500})

    def clean_rows(self) -> int:
        rows = int(self.cleaned_data["rows"])
        if not 1 <= rows <= 500:
            raise forms.ValidationError("rows must be between 1 and 500")
        return rows

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        template = cleaned.get("query_template")
        if template and "curator_vars" in cleaned:
            problem = template_problem(template, cleaned["curator_vars"])
            if problem:
                self.add_error("query_template", problem)
        return cleaned


def template_problem(template: str, curator_vars: dict[str, Any]) -> str | None:
    """Why the engines could not read ``template`` (None: they can): an unknown placeholder, a
    curator variable the try lacks, a JSON template not valid JSON once filled in. Said with
    its line and column and a caret, for the form to show beside the template, instead of
    failing every query of the run."""
    from searchbench.domain.templating import (
        TemplateContext,
        TemplateError,
        render_json,
        template_kind,
        validate,
    )

    try:
        validate(template)
        if template_kind(template) == "json":
            # Options are per query (known at run time): any option path stands in as {}.
            render_json(template, TemplateContext("q", _AnyOption(), curator_vars))
    except TemplateError as exc:
        return exc.located(template)
    return None


class _AnyOption(dict[str, Any]):
    """Query options that have every path (each step is another such mapping, rendered {})."""

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: str) -> _AnyOption:
        return _AnyOption()


class EndpointForm(forms.ModelForm):
    headers = JSONObjectField(label="Custom headers", help_text='e.g. {"X-Api-Key": "…"}')
    options = JSONObjectField(label="Options")
    # Write-only: the stored password is never rendered back, not even masked.
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave blank to keep the stored password.",
    )
    clear_password = forms.BooleanField(required=False, label="Remove the stored password")
    csv_file = forms.FileField(
        required=False,
        label="Static results (CSV)",
        help_text="Static engine only: Quepid's CSV (Query Text,Doc ID,Doc Position,fields…), "
        "stored as the URL's static://NAME. All-or-nothing: a file with any problem is refused "
        "with every problem and its line, and nothing is saved.",
    )

    class Meta:
        model = SearchEndpoint
        fields = [
            "name",
            "kind",
            "url",
            "method",
            "headers",
            "username",
            "options",
            "requests_per_minute",
            "timeout",
            "teams",
        ]
        widgets = {
            "teams": forms.CheckboxSelectMultiple,
            "url": forms.TextInput(attrs={"class": "mono"}),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["teams"].queryset = my_teams(user)
        self.static_results: Any = None  # a validated CSV upload, stored by store_static()
        if self.instance.pk and not self.is_bound:
            from searchbench.engines.http import mask_url

            # A row saved before passwords in URLs were refused: show it masked (saving then asks
            # for the basic-auth fields instead).
            self.initial["url"] = mask_url(self.instance.url)
        if self.instance.pk and not self.is_bound and self.instance.headers:
            from searchbench.engines.http import mask_headers

            # Secret headers (Authorization, API keys) are write-only like the password: shown
            # masked, and a masked value posted back keeps the stored one (see clean_headers).
            self.initial["headers"] = mask_headers(self.instance.headers)

    def clean_url(self) -> str:
        from urllib.parse import urlsplit

        url = str(self.cleaned_data["url"]).strip()
        try:
            has_password = urlsplit(url).password is not None
        except ValueError:
            has_password = False
        if has_password:
            from searchbench.engines.http import mask_url

            # A URL is shown on pages and in logs; the password field is write-only and encrypted.
            # The re-rendered form must not echo it either.
            self.data = self.data.copy()
            self.data["url"] = mask_url(url)
            raise forms.ValidationError(
                "do not put a password in the URL: use the basic-auth user and password fields"
            )
        return url

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        from searchbench.engines import ENGINES

        kind, url = cleaned.get("kind"), cleaned.get("url")
        engine = ENGINES.get(kind or "")
        upload = cleaned.get("csv_file")
        if upload and not (engine and engine.stored_results):
            self.add_error("csv_file", "a CSV upload is for the static engine only")
        if not kind or not url or engine is None:
            return cleaned
        if "options" in cleaned:
            from searchbench.engines.registry import refused_options

            for problem in refused_options(cleaned["options"], kind):
                if problem not in self.errors.get("options", []):
                    self.add_error("options", problem)
        if engine.stored_results:
            self._clean_static(cleaned, url, upload)
        elif engine.remote:
            self._check_url_policy(url)
        elif engine.scheme:
            self._clean_index(cleaned, url)
        return cleaned

    def _clean_index(self, cleaned: dict[str, Any], url: str) -> None:
        """A built-in engine endpoint names a built index the user may use (own or their team's).
        Messages name only indexes the user may use, never where the server keeps them."""
        from searchbench.engines.local.index import LocalIndexError, index_exists, index_name

        try:
            name = index_name(url)
        except LocalIndexError as exc:
            self.add_error("url", str(exc))
            return
        cleaned["url"] = f"local://{name}"
        if not services.may_use_data(self.user, "local", name):
            yours = services.usable_data(self.user, "local").values_list("name", flat=True)
            self.add_error(
                "url",
                f"no built-in index named {name!r} that you may use "
                f"(yours: {', '.join(yours) or 'none'}); make one on the Indexes page",
            )
        elif not index_exists(name):
            self.add_error("url", f"index {name!r} is not built yet; see it on the Indexes page")

    def _check_url_policy(self, url: str) -> None:
        problem = url_policy_problem(url)
        if problem:
            self.add_error("url", problem)

    def _clean_static(self, cleaned: dict[str, Any], url: str, upload: Any) -> None:
        """A static endpoint names a set the user may use (own or their team's), or uploads one
        under a name that is theirs or free. Messages name only sets the user may use."""
        from searchbench.engines.static import StaticResultsError, read_csv, static_name

        try:
            name = static_name(url)
        except StaticResultsError as exc:
            self.add_error("url", "; ".join(exc.problems))
            return
        cleaned["url"] = f"static://{name}"
        if upload:
            taken = services.data_name_taken(self.user, "static", name)
            if taken:
                self.add_error("url", taken)
                return
            try:
                self.static_results = _read_upload(upload, read_csv)
            except StaticResultsError as exc:
                for problem in exc.problems:
                    self.add_error("csv_file", problem)
            return
        if "results" in (cleaned.get("options") or {}):
            return  # a snapshot's frozen results, kept in the options (before sets had owners)
        if not services.may_use_data(self.user, "static", name):
            yours = services.usable_data(self.user, "static").values_list("name", flat=True)
            self.add_error(
                "url",
                f"no static results named {name!r} that you may use "
                f"(yours: {', '.join(yours) or 'none'}); upload a CSV below",
            )

    def store_static(self) -> None:
        """Store the validated CSV upload as the endpoint's static://NAME, owned by the user and
        shared with the endpoint's teams (ServiceError if the name was taken meanwhile)."""
        if self.static_results is None:
            return
        services.store_static_set(
            self.static_results,
            self.cleaned_data["url"].removeprefix("static://"),
            owner=self.user,
            teams=self.cleaned_data.get("teams") or [],
        )

    def clean_options(self) -> dict[str, Any]:
        from searchbench.engines.registry import refused_options

        options = self.cleaned_data["options"]
        problems = refused_options(options)
        if problems:
            raise forms.ValidationError(problems)
        return options

    def _stored_headers(self) -> dict[str, str]:
        """The instance's headers in clear; none when they were sealed under an old secret key."""
        from searchbench.web.crypto import CredentialError

        try:
            return self.instance.get_headers()
        except CredentialError:
            return {}

    def clean_headers(self) -> dict[str, str]:
        from searchbench.engines.http import MASK, header_problems

        headers = self.cleaned_data["headers"]
        bad = [k for k, v in headers.items() if not isinstance(v, str)]
        if bad:
            raise forms.ValidationError(f"header values must be strings: {', '.join(bad)}")
        problems = header_problems(headers)
        if problems:
            raise forms.ValidationError(problems)
        stored = {k.lower(): v for k, v in self._stored_headers().items()}
        kept = {k: stored.get(k.lower(), v) if v == MASK else v for k, v in headers.items()}
        unknown = [k for k, v in kept.items() if v == MASK]
        if unknown:
            raise forms.ValidationError(
                f"{', '.join(unknown)}: {MASK} keeps a stored value, but none is stored; "
                "type the header's value"
            )
        return kept

    def clean_timeout(self) -> float:
        timeout = float(self.cleaned_data["timeout"])
        if not 0 < timeout <= 300:
            raise forms.ValidationError("timeout must be between 0 and 300 seconds")
        return timeout

    def save(self, commit: bool = True) -> SearchEndpoint:
        endpoint: SearchEndpoint = super().save(commit=False)
        if self.cleaned_data.get("clear_password"):
            endpoint.set_password(None)
        elif self.cleaned_data.get("password"):
            endpoint.set_password(self.cleaned_data["password"])
        if commit:
            endpoint.save()
            self.save_m2m()
        return endpoint


def url_policy_problem(url: str) -> str:
    """What the outbound-URL policy says against ``url`` ("" when it lets it through), checked
    on save so a denied host is named on the form rather than failing every call at run time.
    A server that is down or not yet in DNS may still be saved: every call checks again."""
    from searchbench.engines.http import BadUrl, ConnectFailed, UrlDenied, check_url

    try:
        check_url(url)
    except (UrlDenied, BadUrl) as exc:
        return str(exc)
    except ConnectFailed:
        pass
    return ""


class ScaleForm(forms.ModelForm):
    """A model form with a rating scale typed as text and its labels (a scorer's, a book's):
    ``cleaned_data["scale_text"]`` is the sorted grades; a label must name one of them."""

    scale_text = forms.CharField(
        label="Scale",
        initial="0, 1, 2, 3",
        help_text="The rating values people can give, comma-separated, e.g. 0, 1, 2, 3.",
    )
    labels = JSONObjectField(label="Labels", help_text='e.g. {"0": "Poor", "3": "Perfect"}')

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["scale_text"].initial = ", ".join(f"{v:g}" for v in self.instance.scale)

    def clean_scale_text(self) -> list[float]:
        raw = [p.strip() for p in self.cleaned_data["scale_text"].split(",") if p.strip()]
        try:
            values = sorted({safejson.parse_number(p) for p in raw})
        except ValueError as exc:
            raise forms.ValidationError(
                f"the scale must be finite numbers separated by commas: {exc}"
            ) from None
        if not 2 <= len(values) <= 11:
            raise forms.ValidationError("give between 2 and 11 distinct rating values")
        return values

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        scale = cleaned.get("scale_text")
        labels = cleaned.get("labels") or {}
        if scale is not None:
            for key in labels:
                try:
                    ok = float(key) in scale
                except ValueError:
                    ok = False
                if not ok:
                    self.add_error("labels", f"label key {key!r} is not a value of the scale")
        return cleaned


class ScorerForm(ScaleForm):
    """A custom (JavaScript) scorer; the code is tried on a sample query before it is saved."""

    class Meta:
        model = Scorer
        fields = ["name", "description", "scale_text", "labels", "code", "teams"]
        widgets = {
            "code": forms.Textarea(attrs={"rows": 14, "class": "mono", "spellcheck": "false"}),
            "description": forms.Textarea(attrs={"rows": 2}),
            "teams": forms.CheckboxSelectMultiple,
        }
        help_texts = {"teams": "Teams whose members may see and use it; else only you."}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = my_teams(user)
        self.fields["code"].required = True

    def clean_name(self) -> str:
        from searchbench.domain.scoring import UnknownScorerError, check_scorer

        name = self.cleaned_data["name"].strip()
        if name.startswith(("quepid:", "js:")):
            raise forms.ValidationError("names starting with quepid: or js: are reserved")
        try:
            check_scorer(name)
        except UnknownScorerError:
            return name
        raise forms.ValidationError(f"{name!r} is a built-in scorer's name; choose another")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        scale = cleaned.get("scale_text")
        if cleaned.get("code") and scale:
            error = try_scorer_code(cleaned["code"], scale)
            if error:
                self.add_error("code", error)
        return cleaned

    def save(self, commit: bool = True) -> Scorer:
        scorer: Scorer = super().save(commit=False)
        scorer.kind = Scorer.Kind.CUSTOM
        scorer.scale = self.cleaned_data["scale_text"]
        if commit:
            scorer.save()
            self.save_m2m()
        return scorer


MAX_CSV_BYTES = 64 * 1024 * 1024


def _read_upload(upload: Any, read_csv: Any) -> Any:
    """Parse an uploaded CSV through the static engine's reader; problems name the file's name."""
    from searchbench.engines.static import StaticResultsError

    label = Path(upload.name or "upload.csv").name
    if upload.size is not None and upload.size > MAX_CSV_BYTES:
        raise StaticResultsError(
            [f"{label}: {upload.size} bytes; the limit is {MAX_CSV_BYTES // (1024 * 1024)} MB"]
        )
    with tempfile.TemporaryDirectory(prefix="searchbench-csv-") as folder:
        path = Path(folder) / "upload.csv"
        with path.open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        return read_csv(path, name=label)


def try_scorer_code(code: str, scale: list[float]) -> str | None:
    """Run the code on a small sample query; the error message (with its line) or None."""
    from searchbench.domain.scorers import JsScorer, RankedDoc, ScorerError, ScoringInput

    top, low = scale[-1], scale[0]
    docs = [RankedDoc(id="a", rating=top), RankedDoc(id="b", rating=low), RankedDoc(id="c")]
    sample = ScoringInput(docs=docs, ratings={"a": top, "b": low}, num_found=3)
    try:
        scorer = JsScorer(code)
    except ScorerError as exc:
        return str(exc)
    try:
        scorer.score(sample)
    except ScorerError as exc:
        return f"on a sample query: {exc}"
    finally:
        scorer.close()
    return None
