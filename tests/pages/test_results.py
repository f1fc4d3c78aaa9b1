"""SPARQL results for people: labels beside IRIs, no datatype noise."""

from __future__ import annotations

from publisher.pages.results import iris_in, results_table

BASE = "http://127.0.0.1:8000/"
RESULTS = {
    "head": {"vars": ["event", "date", "year", "label", "type", "missing"]},
    "results": {"bindings": [{
        "event": {"type": "uri", "value": BASE + "id/event/talks"},
        "date": {"type": "literal", "value": "2024-07-25",
                 "datatype": "http://www.w3.org/2001/XMLSchema#date"},
        "year": {"type": "literal", "value": "2024",
                 "datatype": "http://www.w3.org/2001/XMLSchema#integer"},
        "label": {"type": "literal", "value": "Talks", "xml:lang": "en"},
        "type": {"type": "uri", "value": BASE + "ontology#BilateralMeeting"},
    }, {
        "event": {"type": "uri", "value": "http://www.wikidata.org/entity/Q1865"},
        "date": {"type": "literal", "value": "2025-07",
                 "datatype": "http://www.w3.org/2001/XMLSchema#gYearMonth"},
        "year": {"type": "bnode", "value": "b0"},
    }]},
}


def test_iris_get_labels_and_a_short_form_beside_them() -> None:
    asked = []

    def labels(iris):
        asked.extend(iris)
        return {BASE + "id/event/talks": "Talks between Lavrov and Wang Yi"}

    table = results_table(RESULTS, labels, BASE)
    assert asked == iris_in(RESULTS) == [BASE + "id/event/talks",
                                         BASE + "ontology#BilateralMeeting",
                                         "http://www.wikidata.org/entity/Q1865"]
    event = table.rows[0][0]
    assert (event.text, event.short, event.internal) == (
        "Talks between Lavrov and Wang Yi", "id/event/talks", True)
    unlabelled = table.rows[0][4]
    assert (unlabelled.text, unlabelled.short) == ("dip:BilateralMeeting", None)
    outside = table.rows[1][0]
    assert (outside.text, outside.internal) == ("http://www.wikidata.org/entity/Q1865", False)


def test_literals_without_datatype_noise() -> None:
    table = results_table(RESULTS, {}, BASE)
    assert table.columns == ["event", "date", "year", "label", "type", "missing"]
    date, year, label, missing = (table.rows[0][i] for i in (1, 2, 3, 5))
    assert (date.text, date.datetime, date.datatype) == ("25 July 2024", "2024-07-25", "xsd:date")
    assert (year.text, year.datatype) == ("2024", "xsd:integer")
    assert (label.text, label.lang) == ("Talks", "en")
    assert missing.kind == "empty"
    assert table.rows[1][1].text == "July 2025"
    assert table.rows[1][2].text == "_:b0"


def test_ask_answers_yes_or_no() -> None:
    assert results_table({"head": {}, "boolean": True}, {}, BASE).boolean is True
