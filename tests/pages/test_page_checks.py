"""The page checks catch what they look for (so a clean crawl means something)."""

from __future__ import annotations

from publisher.pages.model import Row, Section, When
from publisher.pages.page_html import render_page

from .page_checks import built_inverse_labels, out_of_order
from .sample import ALTERNATES, SITE, person_page


def test_the_sample_page_is_clean() -> None:
    html = render_page(person_page(), SITE, ALTERNATES).decode()
    assert built_inverse_labels(html) == []
    assert out_of_order(html) == []


def test_labels_glued_from_another_label_are_found() -> None:
    html = "<dl><dt>is hosted by of</dt><dd>x</dd><dt>took part in</dt></dl><h2>is part of of</h2>"
    assert built_inverse_labels(html) == ["is hosted by of", "is part of of"]


def test_events_out_of_date_order_are_found() -> None:
    page = person_page()
    meetings = next(s for s in page.sections if s.id == "meetings")
    meetings.rows.reverse()
    assert out_of_order(render_page(page, SITE, ALTERNATES).decode()) == [
        "Meetings 4: 2024-07 after a later date"]
    meetings.rows.reverse()
    meetings.rows[0].children.reverse()
    assert out_of_order(render_page(page, SITE, ALTERNATES).decode()) == [
        "Meetings 4: 2024-07-25 after a later date"]


def test_a_new_parent_starts_its_children_afresh() -> None:
    page = person_page()
    meetings = next(s for s in page.sections if s.id == "meetings")
    later = meetings.rows[1]
    later.children = [Row([[When("2024-01-01")], [], [], [], []])]
    html = render_page(page, SITE, ALTERNATES).decode()
    assert out_of_order(html) == []  # nested under the 2025 meeting, compared only there
    assert isinstance(meetings, Section)
