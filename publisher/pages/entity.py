"""The HTML page of one IRI: the per-kind builder's page, rendered in the site layout.

The one function the document renderer calls; it knows how to ask the build (a query
function over the union of its graphs), how to name things (the build's labels) and
how relations read backwards (the ontology's ``dip:inverseLabel``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pyoxigraph as ox

from .kinds import Context, build_page
from .kinds.browse import home_figures, meetings_page
from .kinds.common import SourceIndex
from .kinds.figures import FIGURES
from .page_html import render_page

INVERSE_LABEL = "ontology#inverseLabel"


def inverse_labels(ontology: Iterable[ox.Quad], base: str) -> dict[str, str]:
    """Property IRI -> its hand-written inverse label (English or untagged)."""
    predicate = base + INVERSE_LABEL
    found: dict[str, str] = {}
    for quad in ontology:
        if quad.predicate.value == predicate and isinstance(quad.object, ox.Literal) and \
                quad.object.language in (None, "en"):
            found[quad.subject.value] = quad.object.value
    return found


def source_index(query: Callable[[str], Any], base: str) -> SourceIndex:
    """Read once per build and shared by its pages (see :func:`entity_html`)."""
    return SourceIndex.read(Context(query, base, lambda iri: iri))


def entity_html(context: Context, iri: str, doc_iri: str, site: Any,
                alternates: Sequence[Any], jsonld: bytes | None) -> bytes:
    """``context``: a fresh :class:`Context` per page (it numbers the page's sources)."""
    return render_page(build_page(context, iri, doc_iri), site, alternates, jsonld)


__all__ = ["FIGURES", "INVERSE_LABEL", "Context", "build_page", "entity_html", "home_figures",
           "inverse_labels", "meetings_page", "render_page", "source_index"]
