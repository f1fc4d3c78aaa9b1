"""A project with more than a page shows: one source reporting 520 people who met in a
chain (one connected who-met-whom graph of more than 500 people: networkx's switch to
scipy), one of them in 60 more meetings, every meeting on the sidelines of one summit,
in one city, for Malaysia or Russia. Small enough to build in seconds, large enough to
cross every bound of :mod:`publisher.pages.bounds`."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

PEOPLE = 520
#: Meetings of the first person beyond the chain.
HUB_MEETINGS = 60
SUMMIT = "event/busy-summit"
HUB = "person/busy-0000"
PLACE = "place/vientiane"
SOURCE = "data/sources/900-busy-fixture.yaml"


def _q(text: str) -> str:
    return json.dumps(text)


def person(i: int) -> str:
    return f"person/busy-{i:04d}"


def meetings() -> list[tuple[str, str, str, date]]:
    """(id, a, b, date): the chain, then the hub's meetings."""
    first = date(2020, 1, 1)
    found = [(f"event/busy-chain-{i:04d}", person(i), person(i + 1), first + timedelta(days=i))
             for i in range(PEOPLE - 1)]
    found += [(f"event/busy-hub-{k:04d}", HUB, person(k + 2), first + timedelta(days=k, weeks=80))
              for k in range(HUB_MEETINGS)]
    return found


def write(project: Path) -> None:
    lines = [
        "# Fictitious facts for the page-bound tests (tests/pages/busy_data.py).",
        "id: graph/900-busy-fixture",
        "type: SourceGraph",
        'label: "Facts stated by a fictitious report of a very busy summit"',
        "derivedFrom: article/busy-fixture",
        "attributedTo: organization/diplomacy-publisher",
        'created: "2026-12-01"',
        "facts:",
        '  - {id: article/busy-fixture, type: NewsArticle, headline: "A very busy summit", '
        'publisher: organization/bernama, datePublished: "2022-12-31", '
        'publicationDateStatus: stated, evidence: ["A very busy summit"]}',
        f'  - {{id: {SUMMIT}, type: Summit, label: "Busy Summit", startDate: "2020-01-01", '
        f'endDate: "2022-12-31", dateStatus: stated, place: {PLACE}, '
        "participants: [{agent: country/MYS}, {agent: country/RUS}], "
        'evidence: ["Busy Summit"]}',
    ]
    for i in range(PEOPLE):
        label = f"Busy Person {i:04d}"
        lines.append(f"  - {{id: {person(i)}, type: Person, label: {_q(label)}, "
                     f"evidence: [{_q(label)}]}}")
    for identifier, a, b, day in meetings():
        label = f"Meeting of {a[7:]} and {b[7:]}, {day.isoformat()}"
        lines.append(
            f"  - {{id: {identifier}, type: BilateralMeeting, label: {_q(label)}, "
            f'date: "{day.isoformat()}", dateStatus: stated, place: {PLACE}, '
            f"onSidelinesOf: [{SUMMIT}], "
            f"participants: [{{agent: {a}, represents: country/MYS}}, "
            f"{{agent: {b}, represents: country/RUS}}], evidence: [{_q(label)}]}}")
    (project / SOURCE).write_text("\n".join(lines) + "\n", encoding="utf-8")
