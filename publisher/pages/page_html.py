"""A page object to HTML, through the site's one Jinja environment and base layout."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from .model import Page


def render_page(page: Page, site: Any, alternates: Sequence[Any] = (),
                jsonld: bytes | None = None, current_nav: str | None = None) -> bytes:
    from . import render  # the site's one environment and layout

    page = replace(page, sections=[s.without_empty_columns() for s in page.sections])
    return render(page.template, site, page=page, alternates=list(alternates), jsonld=jsonld,
                  current_nav=current_nav)
