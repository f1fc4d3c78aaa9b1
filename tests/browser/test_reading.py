"""What a reader must see, in a real browser: the person's post at the top, meetings in
date order, one timeline mark per dated meeting, a validation report, and pages that
never glue "is … of" around a label."""

from __future__ import annotations

from pathlib import Path

from tests.pages.page_checks import built_inverse_labels, out_of_order

from .harness import Browser

ROOT = Path(__file__).resolve().parents[2]
LAVROV = "doc/person/sergey-lavrov"


def test_person_page_answers_who_he_is_and_whom_he_met(browser: Browser, site: str) -> None:
    browser.open(site + LAVROV)
    summary = browser.texts("header.entity-head dl.summary")[0]
    assert "Post" in summary and "Minister of Foreign Affairs of Russia" in summary
    html = browser.driver.page_source
    assert out_of_order(html) == [] and built_inverse_labels(html) == []
    dated = browser.js("""return [...document.querySelectorAll('#events tbody tr')]
        .filter(tr => tr.querySelector('th time'))
        .map(tr => tr.querySelector('td a').getAttribute('href'))""")
    marks = browser.js("""return [...document.querySelectorAll(
        'svg.timeline .mark')].map(m => m.getAttribute('data-iri'))""")
    assert len(dated) >= 10
    assert sorted(marks) == sorted(dated)          # one mark per dated meeting, no more
    assert browser.js("return document.querySelectorAll('svg.network .edge').length") >= 8
    titles = browser.texts("figure.picture figcaption .caption")
    assert any(t.startswith("Who met whom") for t in titles)


def test_meeting_page_lists_participants_once_and_its_sources(browser: Browser,
                                                              site: str) -> None:
    browser.open(site + "doc/event/2024-07-25-lavrov-wang-yi-vientiane")
    summary = browser.texts("header.entity-head dl.summary")[0]
    assert "25 July 2024" in summary and "Vientiane" in summary
    assert "ASEAN annual ministerial events" in summary           # on the sidelines of
    people = browser.texts("#participants tbody tr")
    assert len(people) == 2 and "Wang Yi" in people[0] + people[1]
    assert browser.js("return document.querySelector('time[datetime=\"2024-07-25\"]')"
                      " !== null")
    assert browser.texts("#sources q.evidence")               # the source's own words
    badge = browser.driver.find_element("css selector", "#participants details.refs summary")
    badge.click()
    assert browser.texts("#participants details.refs[open] li")


def test_every_list_of_events_is_in_date_order_on_the_main_pages(browser: Browser,
                                                                 site: str) -> None:
    for path in ("doc/country/MYS", "doc/organization/asean", "doc/place/kuala-lumpur",
                 "meetings", ""):
        browser.open(site + path)
        assert not browser.driver.title.startswith("404"), path
        html = browser.driver.page_source
        assert out_of_order(html) == [], path
        assert built_inverse_labels(html) == [], path


def test_meetings_page_lists_every_event_with_its_side_meetings(browser: Browser,
                                                               site: str) -> None:
    browser.open(site + "meetings")
    rows = browser.js("return document.querySelectorAll('#events tbody tr').length")
    side = browser.js("return document.querySelectorAll('#events tbody tr.side').length")
    assert rows > 30 and side > 5
    assert browser.js("return document.querySelectorAll('svg.timeline .mark').length") > 15


def test_a_missing_page_suggests_only_near_misses(browser: Browser, site: str) -> None:
    browser.open(site + "id/person/sergei-lavrov")
    assert browser.driver.title.startswith("404")
    assert browser.texts("article.error li a") == ["Sergey Lavrov"]
    browser.open(site + "id/person/nobody-at-all")
    assert browser.texts("article.error li a") == []


def test_validation_page_shows_a_report(browser: Browser, site: str) -> None:
    browser.open(site + "validate")
    example = (ROOT / "tests/validation/examples/meeting-nonconforming.ttl").read_text()
    area = browser.driver.find_element("id", "data")
    browser.js("arguments[0].value = arguments[1]", area, example)
    browser.driver.find_element("css selector", "form.validate button[type=submit]").click()
    browser.wait_for("return document.querySelector('table.report') !== null", 60)
    verdict = browser.texts(".verdict")[0]
    assert "not conform" in verdict.lower() or "violation" in verdict.lower()
    assert browser.requests_leaving_loopback() == []


def test_each_picture_links_to_its_data(browser: Browser, site: str) -> None:
    import httpx

    for path in (LAVROV, "", "meetings"):
        browser.open(site + path)
        hrefs = browser.js("return [...document.querySelectorAll('figure.picture a.data')]"
                           ".map(a => a.href)")
        assert hrefs, path
        for href in hrefs:
            response = httpx.get(href)
            assert response.status_code == 200, href
            assert response.headers["content-type"].startswith("application/json")
            assert response.json()
    data = httpx.get(site + LAVROV + "/timeline.json").json()
    assert data["events"] and all("when" in e for e in data["events"])
    assert httpx.get(site + "doc/topic/strategic-partnership/map.json").status_code == 404


def test_sparql_page_runs_an_example_and_shows_a_table(browser: Browser, site: str) -> None:
    browser.open(site + "sparql")
    assert browser.js("return document.activeElement === document.body")  # no autofocus
    assert browser.js("return document.querySelector('header.site nav') !== null")
    assert browser.js("return document.querySelector('details.examples').open")
    first = browser.driver.find_element("css selector", "details.examples li a")
    question = first.text
    first.click()
    browser.wait_for("return document.querySelector('table.results tbody tr') !== null", 60)
    assert browser.texts("p.question")[0] == question
    cells = browser.texts("table.results tbody td")
    assert cells and not [c for c in cells if "^^" in c or "XMLSchema#" in c]
    assert browser.js("return document.querySelector('table.results td a + code.short')"
                      " !== null")                        # labels beside IRIs
    browser.driver.find_element("css selector", "form.query button[type=submit]").click()
    browser.wait_for("return document.querySelector('table.results tbody tr') !== null", 60)
    assert browser.requests_leaving_loopback() == []


def test_sparql_page_tells_a_mistake_and_offers_the_fix(browser: Browser, site: str) -> None:
    """A query without its PREFIX lines: the problem in words, the line marked, a link
    that runs the query with the declarations; readable on a phone."""
    from urllib.parse import quote

    query = "SELECT ?name WHERE { ?p a foaf:Person ; rdfs:label ?name } LIMIT 3"
    browser.open(site + "sparql?query=" + quote(query), "phone")
    message = browser.texts("section.results p.problem")[0]
    assert "foaf:, rdfs: are used without a PREFIX declaration" in message
    assert browser.texts("section.results pre.excerpt")
    assert not browser.overflows_horizontally()
    assert not [v for v in browser.axe() if v.impact in ("serious", "critical")]
    browser.driver.find_element("css selector", "section.results a.fixed").click()
    browser.wait_for("return document.querySelector('table.results tbody tr') !== null", 60)
    assert len(browser.texts("table.results tbody tr")) == 3


def test_keyboard_first_tab_shows_the_skip_link_and_focus_is_visible(browser: Browser,
                                                                      site: str) -> None:
    """The first Tab lands on a visible "Skip to content" link that moves focus to the
    main content; a focused link draws an outline (WCAG 2.4.1, 2.4.7)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    for width in ("desktop", "phone"):
        browser.open(site + LAVROV, width)
        ActionChains(browser.driver).send_keys(Keys.TAB).perform()
        skip = browser.js("""const a = document.activeElement, r = a.getBoundingClientRect(),
            s = getComputedStyle(a);
            return {text: a.textContent, top: r.top, height: r.height,
                    outline: parseFloat(s.outlineWidth), style: s.outlineStyle}""")
        assert skip["text"] == "Skip to content"
        assert skip["top"] >= 0 and skip["height"] >= 24          # on screen, a real target
        assert skip["outline"] >= 2 and skip["style"] != "none"   # focus is visible
        ActionChains(browser.driver).send_keys(Keys.ENTER).perform()
        assert browser.js("return document.activeElement.id") == "main"
