"""The page layout: what every page kind is made of, rendered from a page object."""

from __future__ import annotations

import re

from defusedxml import ElementTree

from publisher.pages.page_html import render_page

from .sample import ALTERNATES, SITE, person_page


def html() -> str:
    return render_page(person_page(), SITE, ALTERNATES).decode()


def test_skip_link_and_main_landmark() -> None:
    page = html()
    assert page.index('<a class="skip" href="#main">') < page.index('<header class="site">')
    assert '<main id="main" tabindex="-1">' in page


def test_dates_are_machine_readable_and_in_words() -> None:
    page = html()
    assert '<time datetime="2024-07-25">25 July 2024</time>' in page
    assert '<time datetime="2024-07">July 2024</time>' in page
    assert '<time datetime="2004">2004</time>' in page


def test_each_row_has_one_reference_badge_with_its_evidence() -> None:
    page = html()
    rows = re.findall(r"<tr[ >].*?</tr>", page, re.S)
    body_rows = [r for r in rows if "<td" in r]
    assert body_rows and all(r.count('<details class="refs">') <= 1 for r in body_rows)
    assert "<summary><span>2 references</span></summary>" in page
    assert "<mark>Sergey Lavrov held talks with Wang Yi</mark>" in page


def test_sections_are_counted_and_side_meetings_nested() -> None:
    page = html()
    assert re.search(r'Meetings <span class="count">4</span>', page)
    assert page.count('class="side depth-1"') == 2


def test_bookkeeping_is_collapsed_and_figures_are_inline_svg() -> None:
    page = html()
    about = page.index('<details class="about" id="about">')
    assert "<code class=\"iri\">" in page[about:]
    assert page.count("<svg ") == 3
    for svg in re.findall(r"<svg .*?</svg>", page, re.S):
        ElementTree.fromstring(svg)  # well-formed XML inside HTML


def test_columns_no_row_fills_are_left_out() -> None:
    page = person_page()
    meetings = next(s for s in page.sections if s.id == "meetings")
    for row in meetings.rows:
        for r in (row, *row.children):
            r.cells[2] = []  # nobody in the "With" column
    html = render_page(page, SITE, ALTERNATES).decode()
    headers = re.findall(r'<th scope="col">([^<]*)</th>', html)
    assert "With" not in headers and "Where" in headers
    assert 'data-label="With"' not in html
