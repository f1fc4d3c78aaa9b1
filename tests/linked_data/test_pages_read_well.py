"""Every page of the shipped data reads well: no label glued as "is … of" from another
label, every list of events in date order, every date a <time> a machine can read."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from publisher.pages.dates import PartialDate
from publisher.settings import Settings
from tests.pages.page_checks import built_inverse_labels, out_of_order

from .test_documents_conform import entity_documents


def test_no_page_glues_labels_and_every_event_list_is_in_date_order(
        client: TestClient, settings: Settings) -> None:
    names = entity_documents(settings)
    assert len(names) > 300
    problems: list[str] = []
    extra = ["", "meetings", "void", "ontology", "shapes"]
    for path in [f"doc/{name}.html" for name in names] + extra:
        page = client.get("/" + path, headers={"accept": "text/html"})
        assert page.status_code == 200, path
        html = page.text
        problems += [f"{path}: label {label!r}" for label in built_inverse_labels(html)]
        problems += [f"{path}: {problem}" for problem in out_of_order(html)]
        for value in re.findall(r'<time datetime="([^"]+)"', html):
            PartialDate.parse(value)  # a date, month, year or date-time, nothing else
    assert problems == []
