"""The reconciliation service through the one application, as OpenRefine drives it, on
the repository's build (both base paths). Every request we send is checked against the
0.2 request schemas and every answer against the response schemas."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from publisher.app import create_app
from publisher.settings import Settings

from .schemas import check


@pytest.fixture(scope="module")
def client(shipped: Settings) -> Iterator[TestClient]:
    app = create_app(shipped.model_copy(update={"prewarm": False, "reconcile_batch_size": 10}))
    with TestClient(app, base_url=shipped.base.rstrip("/"), follow_redirects=False) as c:
        yield c


def ok(response) -> dict:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def reconcile(client: TestClient, queries: dict, method: str = "POST") -> dict:
    check("reconciliation-query-batch", queries)
    raw = json.dumps(queries)
    if method == "POST":
        answer = ok(client.post("reconcile", data={"queries": raw}))
    else:
        answer = ok(client.get("reconcile", params={"queries": raw}))
    return check("reconciliation-result-batch", answer)


def test_openrefine_flow(client: TestClient, shipped: Settings) -> None:
    """Manifest, type suggestions, a batch with types and properties, preview, property
    suggestions and proposals, then data extension of the matched rows."""
    manifest = check("manifest", ok(client.get("reconcile")))
    assert manifest["versions"] == ["0.2"]
    assert manifest["identifierSpace"] == shipped.id_base
    assert manifest["schemaSpace"] == shipped.vocab
    assert manifest["view"]["url"] == shipped.id_base + "{{id}}"
    assert manifest["batchSize"] == 10
    service = manifest["suggest"]["type"]["service_url"]
    assert service == shipped.base + "reconcile"
    assert {"foaf:Person", "Country"} <= {t["id"] for t in manifest["defaultTypes"]}

    types = check("suggest-types-response", ok(client.get(
        "reconcile/suggest/type", params={"prefix": "coun"})))
    assert "Country" in [t["id"] for t in types["result"]]

    answer = reconcile(client, {
        "q0": {"query": "Sergei Lavrov", "type": "foaf:Person", "limit": 3},
        "q1": {"query": "Turkey", "type": "Country"},
        "q2": {"query": "Wang Yi", "type": "foaf:Person",
               "properties": [{"pid": "country", "v": "China"}]},
        "q3": {"query": "Malaysia", "type": "Country",
               "properties": [{"pid": "iso3166Alpha2", "v": "MY"}]},
        "q4": {"query": "Anwar", "type": "foaf:Person"},
    })
    top = {key: value["result"][0] for key, value in answer.items()}
    assert top["q0"]["id"] == "person/sergey-lavrov"
    assert top["q1"]["id"] == "country/TUR" and top["q1"]["match"] is True
    assert top["q2"]["id"] == "person/wang-yi" and top["q2"]["match"] is True
    assert {"id": "property:country", "value": 100.0} in top["q2"]["features"]
    assert top["q3"]["id"] == "country/MYS" and top["q3"]["match"] is True
    assert top["q4"]["id"] == "person/anwar-ibrahim"
    for value in answer.values():
        assert sum(1 for candidate in value["result"] if candidate["match"]) <= 1

    preview_url = manifest["preview"]["url"].replace("{{id}}", top["q0"]["id"])
    card = client.get(preview_url.removeprefix(shipped.base))
    assert card.status_code == 200 and card.headers["content-type"].startswith("text/html")
    assert "Sergey Lavrov" in card.text

    properties = check("suggest-properties-response", ok(client.get(
        "reconcile/suggest/property", params={"prefix": "iso"})))
    assert "iso3166Alpha2" in [p["id"] for p in properties["result"]]
    proposed = check("data-extension-property-proposal", ok(client.get(
        "reconcile/propose_properties", params={"type": "Country", "limit": 5})))
    assert "iso3166Alpha2" in [p["id"] for p in proposed["properties"]]

    request = {"ids": [top["q1"]["id"], top["q3"]["id"], top["q0"]["id"]],
               "properties": [{"id": "iso3166Alpha2"}, {"id": "wikidata"},
                              {"id": "heldPost", "settings": {"limit": "1"}}]}
    check("data-extension-query", request)
    extended = check("data-extension-response", ok(client.post(
        "reconcile", data={"extend": json.dumps(request)})))
    rows = extended["rows"]
    assert rows["country/TUR"]["iso3166Alpha2"] == [{"str": "TR"}]
    assert rows["country/MYS"]["wikidata"] == [{"id": "Q833", "name": "Malaysia"}]
    assert rows["person/sergey-lavrov"]["heldPost"][0]["id"] == "post/foreign-minister-rus"
    assert len(rows["person/sergey-lavrov"]["heldPost"]) == 1


def test_get_answers_as_post_does(client: TestClient) -> None:
    queries = {"a": {"query": "Kuala Lumpur"}, "b": {"query": "ASEAN", "limit": 2}}
    assert reconcile(client, queries, "GET") == reconcile(client, queries, "POST")


def test_suggest_entity_is_the_search_ranking_and_pages(client: TestClient) -> None:
    first = check("suggest-entities-response", ok(client.get(
        "reconcile/suggest/entity", params={"prefix": "malaysian f", "limit": 2})))
    assert first["result"][0]["id"] == "post/foreign-minister-mys"
    more = check("suggest-entities-response", ok(client.get(
        "reconcile/suggest/entity", params={"prefix": "malaysia", "cursor": 2, "limit": 2})))
    whole = ok(client.get("reconcile/suggest/entity", params={"prefix": "malaysia",
                                                             "limit": 4}))
    assert [r["id"] for r in whole["result"]][2:] == [r["id"] for r in more["result"]]
    people = ok(client.get("reconcile/suggest/entity",
                           params={"prefix": "lav", "type": "foaf:Person"}))
    assert [r["id"] for r in people["result"]] == ["person/sergey-lavrov"]


@pytest.mark.parametrize(("request_args", "status", "words"), [
    ({"data": {"queries": "{not json"}}, 400, "JSON"),
    ({"data": {"queries": json.dumps({"q": {"query": "x", "type": "Spaceship"}})}}, 400,
     "Spaceship"),
    ({"data": {"queries": json.dumps({"q": {"query": "x", "limit": 0}})}}, 400, "limit"),
    ({"data": {"queries": json.dumps({"q": {"query": "x", "colour": "red"}})}}, 400, "colour"),
    ({"data": {"queries": json.dumps({"q": {"query": "x", "properties": [
        {"pid": "shoeSize", "v": "42"}]}})}}, 400, "shoeSize"),
    ({"data": {"queries": json.dumps({f"q{i}": {"query": "x"} for i in range(11)})}}, 413,
     "at most 10"),
    ({"data": {"queries": "{}", "extend": "{}"}}, 400, "not both"),
    ({"data": {"extend": json.dumps({"ids": "country/MYS", "properties": []})}}, 400, "ids"),
    ({"data": {"callback": "jsonp"}}, 400, "callback"),
    ({"content": json.dumps({"q": {"query": "x"}}),
      "headers": {"content-type": "application/json"}}, 415, "form"),
])
def test_malformed_requests_are_refused_with_a_reason(client: TestClient, request_args: dict,
                                                       status: int, words: str) -> None:
    response = client.post("reconcile", **request_args)
    assert response.status_code == status, response.text
    assert words in response.text


@pytest.mark.parametrize(("path", "params", "status"), [
    ("reconcile/suggest/planet", {"prefix": "x"}, 404),
    ("reconcile/suggest/entity", {}, 400),
    ("reconcile/suggest/entity", {"prefix": "x", "cursor": "-1"}, 400),
    ("reconcile/suggest/entity", {"prefix": "x", "limit": "lots"}, 400),
    ("reconcile/preview", {"id": "person/nobody-at-all"}, 404),
    ("reconcile/preview", {}, 400),
    ("reconcile/propose_properties", {"type": "Spaceship"}, 400),
    ("reconcile", {"queries": "[]"}, 400),
])
def test_bad_service_requests(client: TestClient, path: str, params: dict,
                              status: int) -> None:
    response = client.get(path, params=params)
    assert response.status_code == status, (path, params, response.text)


def test_a_request_beyond_the_size_limit_is_refused(shipped: Settings) -> None:
    small = shipped.model_copy(update={"prewarm": False, "reconcile_max_body_bytes": 2048})
    with TestClient(create_app(small), base_url=shipped.base.rstrip("/")) as client:
        big = json.dumps({"q": {"query": "x" * 3000}})
        assert client.post("reconcile", data={"queries": big}).status_code == 413
        assert client.get("reconcile", params={"queries": big}).status_code == 414
