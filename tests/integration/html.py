"""Just enough HTML reading for the integration suite: forms (with their fields) and elements
by id or data attribute. Standard library only, so the suite runs against any URL."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Select:
    name: str
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    selected: list[str] = field(default_factory=list)
    multiple: bool = False


@dataclass
class Form:
    attrs: dict[str, str]
    fields: list[tuple[str, str]] = field(default_factory=list)  # successful controls, in order
    selects: dict[str, Select] = field(default_factory=dict)
    buttons: list[dict[str, str]] = field(default_factory=list)
    inputs: list[dict[str, str]] = field(default_factory=list)  # every <input>, checked or not

    @property
    def action(self) -> str:
        return self.attrs.get("action", "")

    def values(self) -> dict[str, str]:
        """The fields a browser would submit (first value of each name), selects included."""
        data: dict[str, str] = {}
        for name, value in self.fields:
            data.setdefault(name, value)
        for name, select in self.selects.items():
            if select.selected:
                data[name] = select.selected[0]
            elif select.options and not select.multiple:
                data[name] = select.options[0][0]
        return data

    def option_value(self, name: str, label_contains: str) -> str:
        """The value of the first option of select ``name`` whose label contains the text."""
        select = self.selects[name]
        for value, label in select.options:
            if label_contains.lower() in label.lower():
                return value
        labels = ", ".join(label for _, label in select.options)
        raise LookupError(f"select {name!r} has no option like {label_contains!r}: {labels}")


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.elements: list[Element] = []
        self._form: Form | None = None
        self._select: Select | None = None
        self._option: tuple[str, bool] | None = None
        self._option_text: list[str] = []
        self._textarea: tuple[str, list[str]] | None = None
        self._open: list[Element] = []

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: (v if v is not None else "") for k, v in attrs_list}
        element = Element(tag, attrs)
        self.elements.append(element)
        if tag not in {"input", "img", "br", "meta", "link", "hr"}:
            self._open.append(element)
        if tag == "form":
            self._form = Form(attrs)
            self.forms.append(self._form)
        if self._form is None:
            return
        name = attrs.get("name", "")
        if tag == "input":
            self._form.inputs.append(attrs)
            kind = attrs.get("type", "text").lower()
            if not name or "disabled" in attrs:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self._form.fields.append((name, attrs.get("value", "on")))
            elif kind in {"submit", "button", "image", "reset"}:
                self._form.buttons.append(attrs)
            else:
                self._form.fields.append((name, attrs.get("value", "")))
        elif tag == "button":
            self._form.buttons.append(attrs)
        elif tag == "select" and name:
            self._select = Select(name, multiple="multiple" in attrs)
            self._form.selects[name] = self._select
        elif tag == "option" and self._select is not None:
            self._option = (attrs.get("value", ""), "selected" in attrs)
            self._option_text = []
        elif tag == "textarea" and name:
            self._textarea = (name, [])

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i].tag == tag:
                del self._open[i:]
                break
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._close_option()
            self._select = None
        elif tag == "option":
            self._close_option()
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            name, parts = self._textarea
            self._form.fields.append((name, "".join(parts).removeprefix("\n")))
            self._textarea = None

    def _close_option(self) -> None:
        if self._option is None or self._select is None:
            return
        value, selected = self._option
        label = " ".join("".join(self._option_text).split())
        self._select.options.append((value or label, label))
        if selected:
            self._select.selected.append(value or label)
        self._option = None

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option_text.append(data)
        if self._textarea is not None:
            self._textarea[1].append(data)
        for element in self._open:
            element.text += data


class Page:
    def __init__(self, html: str) -> None:
        reader = _Reader()
        reader.feed(html)
        reader.close()
        self.html = html
        self.forms = reader.forms
        self.elements = reader.elements

    def form(self, *, id: str | None = None, action_contains: str | None = None) -> Form:
        for form in self.forms:
            if id is not None and form.attrs.get("id") == id:
                return form
            if action_contains is not None and action_contains in form.action:
                return form
        raise LookupError(f"no form with id={id!r} action~{action_contains!r} on the page")

    def by_id(self, element_id: str) -> Element:
        for element in self.elements:
            if element.attrs.get("id") == element_id:
                return element
        raise LookupError(f"no element with id={element_id!r} on the page")

    def with_attr(self, name: str) -> list[Element]:
        return [e for e in self.elements if name in e.attrs]
