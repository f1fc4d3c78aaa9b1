"""A page object to HTML, through the site's one Jinja environment and base layout."""

from __future__ import annotations

from collections.abc import Sequence

from ..linked_data.html import Alternate, SiteContext, render
from .model import Page


def render_page(page: Page, site: SiteContext, alternates: Sequence[Alternate] = (),
                jsonld: bytes | None = None) -> bytes:
    return render(page.template, site, page=page, alternates=list(alternates), jsonld=jsonld)
