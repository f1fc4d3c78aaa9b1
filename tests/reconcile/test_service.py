"""The reconciliation service (0.2) over a hand-made index; every answer schema-checked."""

from __future__ import annotations

import json

import pytest

from publisher.reconcile import ReconcileError, ReconciliationService

from ..search.helpers import BASE, VOCAB, E, make_service
from .schemas import check

ENTITIES = [
    E("country/RUS", "Russia", alt=("Russian Federation",), links=40,
      values={"iso3166Alpha2": ["RU"], "owl:sameAs": ["http://www.wikidata.org/entity/Q159"]}),
    E("country/MYS", "Malaysia", links=30, values={"iso3166Alpha2": ["MY"]}),
    E("country/CHN", "China", links=20, values={"iso3166Alpha2": ["CN"]}),
    E("place/vientiane", "Vientiane", ("City",), links=10,
      values={"locatedIn": ["id/country/LAO"]}),
    E("place/kuala-lumpur", "Kuala Lumpur", ("City",), links=10),
    E("person/sergey-lavrov", "Sergey Lavrov", ("foaf:Person",), alt=("Lavrov",), links=33,
      values={"nationality": ["id/country/RUS"],
              "owl:sameAs": ["http://www.wikidata.org/entity/Q80"]}),
    # Two namesakes told apart only by nationality.
    E("person/ali-hassan-mys", "Ali Hassan", ("foaf:Person",), links=3,
      values={"nationality": ["id/country/MYS"]}),
    E("person/ali-hassan-chn", "Ali Hassan", ("foaf:Person",), links=2,
      values={"nationality": ["id/country/CHN"]}),
    E("event/2024-07-25-talks", "Talks of Sergey Lavrov and Wang Yi", ("BilateralMeeting",),
      links=4, values={"date": ["2024-07-25"], "place": ["id/place/vientiane"]}),
    E("event/2025-07-10-talks", "Talks of Sergey Lavrov and Wang Yi", ("BilateralMeeting",),
      links=4, values={"date": ["2025-07-10"], "place": ["id/place/kuala-lumpur"]}),
]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> ReconciliationService:
    return make_service(tmp_path_factory.mktemp("reconcile"), ENTITIES, batch_size=5,
                        max_limit=20, extend_ids=3)


def reconcile(service: ReconciliationService, **queries) -> dict:
    return check("reconciliation-result-batch", service.reconcile(json.dumps(queries)))


def ids(result: list[dict]) -> list[str]:
    return [candidate["id"] for candidate in result]


def test_manifest_is_valid_and_names_our_spaces(service) -> None:
    manifest = check("manifest", service.manifest())
    assert manifest["versions"] == ["0.2"]
    assert manifest["identifierSpace"] == BASE + "id/"
    assert manifest["schemaSpace"] == VOCAB
    assert manifest["view"]["url"] == BASE + "id/{{id}}"
    assert manifest["preview"]["url"] == BASE + "reconcile/preview?id={{id}}"
    assert manifest["batchSize"] == 5
    assert {t["id"] for t in manifest["defaultTypes"]} == {
        "foaf:Person", "Country", "City", "Place", "Meeting", "DiplomaticEvent", "Organization"}
    assert set(manifest["suggest"]) == {"entity", "type", "property"}
    assert manifest["extend"]["propose_properties"]["service_path"] == "/propose_properties"


def test_one_query_exact_name_is_a_match(service) -> None:
    answer = reconcile(service, q0={"query": "Sergey Lavrov"})
    (top, *rest) = answer["q0"]["result"]
    assert top["id"] == "person/sergey-lavrov" and top["match"] is True
    assert top["score"] == 100 and top["type"] == [{"id": "foaf:Person", "name": "person"}]
    assert all(not c["match"] for c in rest)
    features = {f["id"]: f["value"] for f in top["features"]}
    assert features["name"] == 100 and features["name_exact"] is True
    assert features["links"] == 33


def test_a_batch_answers_every_query_by_its_key(service) -> None:
    answer = reconcile(service, a={"query": "Malaysia"}, b={"query": "Russian Federation"},
                       c={"query": "nothing like this at all"})
    assert set(answer) == {"a", "b", "c"}
    assert answer["a"]["result"][0]["id"] == "country/MYS"
    assert answer["b"]["result"][0]["id"] == "country/RUS"  # by its alternative name
    assert not any(c["match"] for c in answer["c"]["result"])


def test_spelling_variants_are_candidates_but_not_matches(service) -> None:
    (top, *_) = reconcile(service, q={"query": "Sergei Lavrov"})["q"]["result"]
    assert top["id"] == "person/sergey-lavrov" and top["match"] is False
    assert 85 < top["score"] < 100
    (typo, *_) = reconcile(service, q={"query": "Lavrof"})["q"]["result"]  # no shared word
    assert typo["id"] == "person/sergey-lavrov" and typo["match"] is False


def test_namesakes_are_never_a_match_without_a_property_to_tell_them_apart(service) -> None:
    result = reconcile(service, q={"query": "Ali Hassan"})["q"]["result"]
    assert set(ids(result[:2])) == {"person/ali-hassan-mys", "person/ali-hassan-chn"}
    assert not any(c["match"] for c in result)
    for country, expected in (("Malaysia", "person/ali-hassan-mys"),
                              ({"id": "country/CHN"}, "person/ali-hassan-chn"),
                              ({"id": BASE + "id/country/CHN", "name": "China"},
                               "person/ali-hassan-chn")):
        result = reconcile(service, q={
            "query": "Ali Hassan", "properties": [{"pid": "nationality", "v": country}]
        })["q"]["result"]
        assert result[0]["id"] == expected and result[0]["match"] is True
        assert result[1]["match"] is False and result[1]["score"] < result[0]["score"]
        features = {f["id"]: f["value"] for f in result[0]["features"]}
        assert features["property:nationality"] == 100


def test_derived_country_property_and_codes_as_values(service) -> None:
    result = reconcile(service, q={"query": "Ali Hassan",
                                   "properties": [{"pid": "country", "v": "MY"}]})["q"]["result"]
    assert result[0]["id"] == "person/ali-hassan-mys" and result[0]["match"]


def test_a_meeting_by_its_date_and_place(service) -> None:
    for date, place, expected in (("2024-07-25", "Vientiane", "event/2024-07-25-talks"),
                                  ("2025-07-10", "Kuala Lumpur", "event/2025-07-10-talks"),
                                  ("2025-07", "place/kuala-lumpur", "event/2025-07-10-talks")):
        result = reconcile(service, q={
            "query": "Talks of Sergey Lavrov and Wang Yi", "type": "Meeting",
            "properties": [{"pid": "date", "v": date}, {"pid": "place", "v": place}],
        })["q"]["result"]
        assert ids(result)[0] == expected
        assert result[0]["score"] > result[1]["score"]
    exact_day = reconcile(service, q={"query": "Talks of Sergey Lavrov and Wang Yi",
                                      "properties": [{"pid": "date", "v": "2024-07-25"}]})
    assert exact_day["q"]["result"][0]["match"] is True
    month_only = reconcile(service, q={"query": "Talks of Sergey Lavrov and Wang Yi",
                                       "properties": [{"pid": "date", "v": "2024-07"}]})
    assert month_only["q"]["result"][0]["id"] == "event/2024-07-25-talks"


def test_type_filter_with_our_classes_and_subclasses(service) -> None:
    assert ids(reconcile(service, q={"query": "Lavrov", "type": "foaf:Person"})["q"]["result"]) \
        == ["person/sergey-lavrov"]
    meetings = reconcile(service, q={"query": "Lavrov", "type": ["DiplomaticEvent"]})
    assert set(ids(meetings["q"]["result"])) == {"event/2024-07-25-talks",
                                                 "event/2025-07-10-talks"}
    both = reconcile(service, q={"query": "Lavrov", "type": ["Person", "Meeting"],
                                 "type_strict": "any"})
    assert len(both["q"]["result"]) == 3
    preferred = reconcile(service, q={"query": "Lavrov", "type": "Meeting",
                                      "type_strict": "should"})["q"]["result"]
    # A soft preference: the exact name of another type is still offered, after meetings.
    assert ids(preferred)[2] == "person/sergey-lavrov" and preferred[2]["score"] == 80
    assert {f["id"]: f["value"] for f in preferred[2]["features"]}["type_match"] is False
    assert not any(c["match"] for c in preferred)


def test_limit_caps_candidates_and_match_still_considers_all(service) -> None:
    result = reconcile(service, q={"query": "Ali Hassan", "limit": 1})["q"]["result"]
    assert len(result) == 1 and result[0]["match"] is False  # its namesake was seen
    capped = reconcile(service, q={"query": "a", "limit": 1000})["q"]["result"]
    assert len(capped) <= 20


def test_query_by_properties_only(service) -> None:
    result = reconcile(service, q={"properties": [{"pid": "iso3166Alpha2", "v": "CN"}]})
    assert ids(result["q"]["result"]) == ["country/CHN"] and result["q"]["result"][0]["match"]
    people = reconcile(service, q={"properties": [{"pid": "nationality", "v": "Russia"}],
                                   "type": "foaf:Person"})
    assert ids(people["q"]["result"]) == ["person/sergey-lavrov"]


def test_an_entity_id_as_query_finds_that_entity(service) -> None:
    for given in ("person/sergey-lavrov", BASE + "id/person/sergey-lavrov"):
        (top, *_) = reconcile(service, q={"query": given})["q"]["result"]
        assert top["id"] == "person/sergey-lavrov" and top["match"] is True


INVALID = [
    ("not json", 400, "not valid JSON"),
    ("[]", 400, "JSON object"),
    (json.dumps({"q": "Lavrov"}), 400, "query 'q': must be a JSON object"),
    (json.dumps({"q": {}}), 400, "non-empty `query` or at least one property"),
    (json.dumps({"q": {"query": "   "}}), 400, "non-empty"),
    (json.dumps({"q": {"query": 5}}), 400, "`query` must be a string"),
    (json.dumps({"q": {"query": "x", "limit": 0}}), 400, "positive integer"),
    (json.dumps({"q": {"query": "x", "limit": "5"}}), 400, "positive integer"),
    (json.dumps({"q": {"query": "x", "type": 5}}), 400, "`type` must be"),
    (json.dumps({"q": {"query": "x", "type": "Planet"}}), 400, "unknown type 'Planet'"),
    (json.dumps({"q": {"query": "x", "properties": [{"pid": "colour", "v": "red"}]}}), 400,
     "unknown property 'colour'"),
    (json.dumps({"q": {"query": "x", "properties": [{"p": "nationality", "v": "x"}]}}), 400,
     "`pid`"),
    (json.dumps({"q": {"properties": []}}), 400, "at least one property"),
    (json.dumps({"q": {"query": "x", "type_strict": "maybe"}}), 400, "type_strict"),
    (json.dumps({"q": {"query": "x", "colour": "red"}}), 400, "unknown field(s) colour"),
    (json.dumps({"q": {"query": "x" * 501}}), 400, "longer than 500"),
    (json.dumps({f"q{i}": {"query": "x"} for i in range(6)}), 413, "at most 5"),
]


@pytest.mark.parametrize("raw, status, message", INVALID)
def test_invalid_batches_are_refused_with_what_is_wrong(service, raw, status, message) -> None:
    with pytest.raises(ReconcileError) as caught:
        service.reconcile(raw)
    assert caught.value.status == status
    assert message in str(caught.value)


def test_the_invalid_batches_are_invalid_by_the_specification_too() -> None:
    """Our refusals agree with the 0.2 query schema (where it can tell; it has no sizes)."""
    from .schemas import validator

    for raw, _status, message in INVALID:
        try:
            batch = json.loads(raw)
        except ValueError:
            continue
        if any(word in message for word in ("unknown type", "unknown property", "at most",
                                            "longer than", "non-empty", "positive integer")):
            continue  # semantic or size checks: beyond what a schema says
        assert not validator("reconciliation-query-batch").is_valid(batch), raw


def test_suggest_entities_types_and_properties(service) -> None:
    entities = check("suggest-entities-response", service.suggest("entity", "lav"))
    assert entities["result"][0]["id"] == "person/sergey-lavrov"
    assert entities["result"][0]["notable"] == [{"id": "foaf:Person", "name": "person"}]
    assert check("suggest-entities-response", service.suggest("entity", "talks", types=["Meeting"]))
    types = check("suggest-types-response", service.suggest("type", "meet"))
    assert [t["id"] for t in types["result"]] == ["Meeting", "BilateralMeeting"]
    assert types["result"][1]["broader"] == [{"id": "Meeting", "name": "meeting"}]
    props = check("suggest-properties-response", service.suggest("property", "nation"))
    assert props["result"][0]["id"] == "nationality"
    derived = check("suggest-properties-response", service.suggest("property", "coun"))
    assert "country" in [p["id"] for p in derived["result"]]


def test_suggest_paging_and_bad_parameters(service) -> None:
    first = service.suggest("entity", "a", cursor=0, limit=2)["result"]
    second = service.suggest("entity", "a", cursor=2, limit=2)["result"]
    assert len(first) == 2 and not {e["id"] for e in first} & {e["id"] for e in second}
    assert service.suggest("entity", "") == {"result": []}
    with pytest.raises(ReconcileError, match="cursor"):
        service.suggest("entity", "a", cursor=-1)
    with pytest.raises(ReconcileError) as caught:
        service.suggest("planet", "a")
    assert caught.value.status == 404


def test_extend_person_posts_and_country_codes(service) -> None:
    query = {"ids": ["person/sergey-lavrov", "country/RUS", "person/nobody"],
             "properties": [{"id": "nationality"}, {"id": "iso3166Alpha2"},
                            {"id": "wikidata"}, {"id": "country", "settings": {"limit": "1"}}]}
    check("data-extension-query", query)
    answer = check("data-extension-response", service.extend(json.dumps(query)))
    rows = answer["rows"]
    assert rows["person/sergey-lavrov"]["nationality"] == [{"id": "country/RUS",
                                                            "name": "Russia"}]
    assert rows["country/RUS"]["iso3166Alpha2"] == [{"str": "RU"}]
    assert rows["country/RUS"]["wikidata"] == [{"id": "Q159", "name": "Russia"}]
    assert rows["person/sergey-lavrov"]["wikidata"] == [{"id": "Q80", "name": "Sergey Lavrov"}]
    assert rows["person/nobody"] == {"nationality": [], "iso3166Alpha2": [], "wikidata": [],
                                     "country": []}
    meta = {m["id"]: m for m in answer["meta"]}
    assert meta["wikidata"]["service"].startswith("https://")
    assert meta["iso3166Alpha2"]["name"] == "ISO 3166-1 alpha-2 code"


def test_extend_dates_are_typed(service) -> None:
    answer = check("data-extension-response", service.extend(json.dumps(
        {"ids": ["event/2024-07-25-talks"], "properties": [{"id": "date"}, {"id": "place"}]})))
    row = answer["rows"]["event/2024-07-25-talks"]
    assert row["date"] == [{"date": "2024-07-25T00:00:00Z"}]
    assert row["place"] == [{"id": "place/vientiane", "name": "Vientiane"}]


@pytest.mark.parametrize("raw, status, message", [
    ("{", 400, "not valid JSON"),
    (json.dumps({"ids": "x", "properties": []}), 400, "`ids`"),
    (json.dumps({"ids": [], "properties": [{"name": "x"}]}), 400, "`id`"),
    (json.dumps({"ids": [], "properties": [{"id": "colour"}]}), 400, "unknown property"),
    (json.dumps({"ids": [], "properties": [{"id": "date", "settings": {"limit": "x"}}]}), 400,
     "`limit`"),
    (json.dumps({"ids": ["a", "b", "c", "d"], "properties": []}), 413, "at most 3"),
])
def test_invalid_extension_queries(service, raw, status, message) -> None:
    with pytest.raises(ReconcileError) as caught:
        service.extend(raw)
    assert caught.value.status == status and message in str(caught.value)


def test_property_proposals_for_a_type(service) -> None:
    answer = check("data-extension-property-proposal", service.propose_properties("Country"))
    proposed = [p["id"] for p in answer["properties"]]
    assert {"iso3166Alpha2", "rdfs:label"} <= set(proposed)
    assert "nationality" not in proposed and "date" not in proposed
    assert answer["type"] == "Country"
    limited = check("data-extension-property-proposal",
                    service.propose_properties("foaf:Person", limit=2))
    assert len(limited["properties"]) == 2 and limited["limit"] == 2
    with pytest.raises(ReconcileError, match="unknown type"):
        service.propose_properties("Planet")


def test_preview_card_of_an_entity(service) -> None:
    preview = service.preview("person/sergey-lavrov")
    assert preview is not None
    assert preview.name == "Sergey Lavrov" and preview.iri == BASE + "id/person/sergey-lavrov"
    assert ("nationality", ["Russia"]) in preview.facts
    assert preview.identifiers == ["http://www.wikidata.org/entity/Q80"]
    assert service.preview("person/nobody") is None
    assert service.preview("http://elsewhere.example/x") is None


def test_the_endpoint_dispatches_by_parameter(service) -> None:
    from publisher.reconcile.protocol import answer

    assert answer(service, {})["versions"] == ["0.2"]
    batch = answer(service, {"queries": json.dumps({"q": {"query": "Malaysia"}})})
    assert check("reconciliation-result-batch", batch)["q"]["result"][0]["id"] == "country/MYS"
    extended = answer(service, {"extend": json.dumps({"ids": ["country/MYS"],
                                                      "properties": [{"id": "iso3166Alpha2"}]})})
    assert check("data-extension-response", extended)["rows"]["country/MYS"] == {
        "iso3166Alpha2": [{"str": "MY"}]}
    for params, message in (({"queries": "{}", "extend": "{}"}, "not both"),
                            ({"query": "Malaysia"}, r"unknown parameter\(s\) query")):
        with pytest.raises(ReconcileError, match=message):
            answer(service, params)
