"""Every HTML page: one Jinja environment, one base layout, one navigation.

Pages are for people: they lay out view objects built from the RDF (never facts of
their own): per-kind page objects (:mod:`.kinds`, :mod:`.model`), dates in words
(:mod:`.dates`) and pictures drawn on the server as SVG (:mod:`.figures`). Autoescaping
is on for every template, so data values and submissions can never inject markup;
``script_json`` makes JSON safe inside ``<script>``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from ..settings import Settings
from .bounds import SECTION_ROWS, query_href
from .dates import time_html

if TYPE_CHECKING:
    from ..snapshot import Snapshot

PACKAGE_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"
#: The site's sections, as (label, path under the base).
NAVIGATION: tuple[tuple[str, str], ...] = (
    ("Home", ""), ("Meetings", "meetings"), ("Ontology", "ontology"), ("Shapes", "shapes"),
    ("Dataset", "void"), ("Dumps", "dumps/"), ("Search", "search"), ("SPARQL", "sparql"),
    ("Validate", "validate"))


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["script_json"] = script_json
    env.globals["when"] = time_html
    env.globals["sparql_href"] = query_href
    env.globals["section_rows"] = SECTION_ROWS
    return env


def script_json(text: str | bytes) -> Markup:
    """JSON safe inside ``<script>``: ``<``, ``>`` and ``&`` as JSON escapes."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    compacted = json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))
    return Markup(compacted.replace("<", "\\u003c").replace(">", "\\u003e")
                  .replace("&", "\\u0026"))


@dataclass
class SiteContext:
    """What the base layout needs: where things are and which build a page shows."""

    base: str
    base_path: str
    build_id: str = ""
    built_at: str = ""
    licence: str | None = None
    nav: list[tuple[str, str]] = field(default_factory=list)

    @property
    def css(self) -> str:
        return self.base_path + "static/css/site.css"

    @property
    def licence_name(self) -> str | None:
        """The licence by its name (CC BY 4.0), its IRI when it has none we know."""
        from .dataset_page import KNOWN_NAMES

        return KNOWN_NAMES.get(self.licence, self.licence) if self.licence else None


def site_context(settings: Settings, snapshot: Snapshot | None) -> SiteContext:
    """The layout's context for a page of ``snapshot`` (None: no build served yet)."""
    nav = [(label, settings.base + path) for label, path in NAVIGATION]
    if snapshot is None:
        return SiteContext(settings.base, settings.base_path, nav=nav)
    built = snapshot.build.built_at.strftime("%d %B %Y, %H:%M UTC")
    return SiteContext(settings.base, settings.base_path, snapshot.build_id, built,
                       snapshot.licence(), nav)


def render(template: str, site: SiteContext, **context: Any) -> bytes:
    page = environment().get_template(template).render(site=site, **context)
    return page.encode("utf-8")


def error_page(site: SiteContext, status: int, title: str, message: str,
               suggestions: Sequence[tuple[str, str]] = ()) -> bytes:
    return render("error.html", site, status=status, title=title, message=message,
                  suggestions=list(suggestions))
