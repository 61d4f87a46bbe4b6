"""One small document model for cards and reports, rendered as Markdown, HTML or JSON.

Cards and risk reports are built once as a :class:`Document` (sections of fields, lists
and tables) and rendered three ways, so the formats never disagree. HTML goes through a
jinja2 template with autoescaping on, so text from a register cannot inject markup.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jinja2

__all__ = ["FORMATS", "MEDIA_TYPES", "Document", "Section", "Table", "render"]

FORMATS = ("md", "html", "json")
#: The media type of a document rendered in each format (what the API and a download answer with).
MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "json": "application/json",
}


@dataclass
class Table:
    """Rows of cells under column headings; ``styles`` optionally gives each cell a CSS class."""

    columns: list[str]
    rows: list[list[str]]
    caption: str = ""
    styles: list[list[str]] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: one object per row."""
        return {"caption": self.caption, "rows": [dict(zip(self.columns, r, strict=True)) for r in self.rows]}


@dataclass
class Section:
    """A titled part of a document."""

    title: str
    text: list[str] = field(default_factory=list)
    fields: list[tuple[str, str]] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    preformatted: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        out: dict[str, Any] = {"title": self.title}
        if self.text:
            out["text"] = self.text
        if self.fields:
            out["fields"] = dict(self.fields)
        if self.items:
            out["items"] = self.items
        if self.tables:
            out["tables"] = [t.to_dict() for t in self.tables]
        if self.preformatted:
            out["preformatted"] = self.preformatted
        return out


@dataclass
class Document:
    """A card or report: a title, a subtitle naming what it covers, and sections."""

    kind: str
    title: str
    subtitle: str
    generated_at: str
    sections: list[Section] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form; ``data`` carries machine-readable extras (evidence ids, metrics)."""
        return {
            "kind": self.kind,
            "title": self.title,
            "subtitle": self.subtitle,
            "generated_at": self.generated_at,
            "sections": [s.to_dict() for s in self.sections],
            **({"data": self.data} if self.data else {}),
        }


def _md_cell(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _markdown(doc: Document) -> str:
    out = [f"# {doc.title}", "", f"_{doc.subtitle}_ — generated {doc.generated_at}", ""]
    for section in doc.sections:
        out += [f"## {section.title}", ""]
        for para in section.text:
            out += [para, ""]
        if section.fields:
            out += [f"- **{k}:** {v}" for k, v in section.fields] + [""]
        if section.items:
            out += [f"- {item}" for item in section.items] + [""]
        for table in section.tables:
            if table.caption:
                out += [f"**{table.caption}**", ""]
            out.append("| " + " | ".join(_md_cell(c) for c in table.columns) + " |")
            out.append("|" + "---|" * len(table.columns))
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
            out.append("")
        if section.preformatted:
            out += ["```", section.preformatted, "```", ""]
    return "\n".join(out).rstrip() + "\n"


@cache
def _html_template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("steward.govern", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("document.html")


def render(doc: Document, fmt: str) -> str:
    """The document as ``md``, ``html`` or ``json``."""
    if fmt == "md":
        return _markdown(doc)
    if fmt == "html":
        return _html_template().render(doc=doc) + "\n"
    if fmt == "json":
        return json.dumps(doc.to_dict(), indent=2, ensure_ascii=False) + "\n"
    raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
