"""Every page kind in a real browser, at desktop and phone widths: it loads, makes no
request beyond 127.0.0.1, fits a 390 px phone, and axe-core finds no serious or critical
accessibility violation. A screenshot of each is saved (see conftest)."""

from __future__ import annotations

import pytest

from .harness import WIDTHS, Browser

#: One page of each kind, by path under the base.
PAGES = {
    "home": "",
    "person": "doc/person/sergey-lavrov",
    "meeting": "doc/event/2024-07-25-lavrov-wang-yi-vientiane",
    "country": "doc/country/MYS",
    "organisation": "doc/organization/asean",
    "place": "doc/place/vientiane",
    "source": "doc/graph/004-russian-mfa-lavrov-asean-2024",
    "article": "doc/article/russian-mfa-lavrov-asean-vientiane-kuala-lumpur-2024",
    "topic": "doc/topic/strategic-partnership",
    "meetings": "meetings",
    "reference": "doc/graph/reference",
    "ontology": "ontology",
    "shapes": "shapes",
    "void": "void",
    "dumps": "dumps/",
    "validate": "validate",
    "sparql": "sparql",
    "not-found": "id/person/nobody-at-all",
}
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module", params=sorted(WIDTHS))
def width(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.mark.parametrize("kind", PAGES)
def test_page_kind_in_a_real_browser(browser: Browser, site: str, screenshots, kind: str,
                                     width: str) -> None:
    browser.open(site + PAGES[kind], width)
    assert browser.driver.title, "every page has a title"
    browser.screenshot(screenshots / "after" / f"{kind}-{width}.png")
    assert browser.requests_leaving_loopback() == []
    assert not browser.overflows_horizontally(), f"{kind} is wider than {width}"
    serious = [v for v in browser.axe() if v.impact in SERIOUS]
    assert not serious, "\n".join(map(str, serious))


def test_readme_pictures(browser: Browser, site: str, screenshots) -> None:
    """The README's pictures: a person with the timeline and network, a meeting."""
    browser.open(site + PAGES["person"], "desktop")
    browser.screenshot(screenshots / "person.png", max_height=1900)
    browser.open(site + PAGES["meeting"], "desktop")
    browser.screenshot(screenshots / "meeting.png", max_height=1900)
    assert (screenshots / "person.png").stat().st_size > 10_000
