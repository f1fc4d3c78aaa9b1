"""The ontology and shapes pages: every term has a row or section to link to."""

from __future__ import annotations

import pyoxigraph as ox

from publisher.pages.page_html import render_page
from publisher.pages.vocabulary import ontology_page, shapes_page

from ..conftest import ROOT
from .sample import SITE

BASE = "http://127.0.0.1:8000/"


def parsed(folder: str) -> list[ox.Quad]:
    return list(ox.parse(path=str(ROOT / folder / "diplomacy.ttl"), format=ox.RdfFormat.TURTLE,
                         base_iri=BASE + folder))


def label(iri: str) -> str:
    return iri.rsplit("#", 1)[-1]


def test_ontology_page_has_a_row_per_term_with_its_count() -> None:
    quads = parsed("ontology")
    classes = {q.subject.value for q in quads if q.predicate.value.endswith("#type")
               and q.object.value == "http://www.w3.org/2002/07/owl#Class"
               and q.subject.value.startswith(BASE + "ontology#")}
    page = ontology_page(quads, BASE + "ontology", BASE + "ontology", label,
                         {BASE + "ontology#Country": 28}, BASE + "ontology#inverseLabel")
    rows = {r.anchor: r for r in page.sections[0].rows}
    assert set(rows) == {c.rsplit("#", 1)[1] for c in classes}
    assert rows["Country"].cells[2][0].text == "28"
    html = render_page(page, SITE).decode()
    assert '<tr id="Meeting">' in html


def test_shapes_page_has_a_section_per_shape_saying_what_it_applies_to() -> None:
    page = shapes_page(parsed("shapes"), BASE + "shapes", BASE + "shapes", label)
    assert len(page.sections) >= 15
    for section in page.sections:
        assert section.intro and section.intro.split(".")[0]
        assert section.rows
    html = render_page(page, SITE).decode()
    assert 'id="DiplomaticEventShape"' in html
