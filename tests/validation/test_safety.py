"""Hostile inputs: size, time, fetching, entity bombs, crashes, isolation, escaping."""

from __future__ import annotations

import multiprocessing
import threading
import urllib.request

import pyoxigraph as ox
import pytest

from publisher.snapshot import open_live
from publisher.validation import service
from publisher.validation.service import _crash_message
from publisher.validation.submission import (
    MAX_NESTING,
    Document,
    SubmissionError,
    parse_document,
)
from publisher.validation.worker import validate_documents

from .conftest import BASE, example

TURTLE = {"Content-Type": "text/turtle"}
RDF_XML = {"Content-Type": "application/rdf+xml"}
JSON_LD = {"Content-Type": "application/ld+json"}
RDF_NS = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'


def billion_laughs(levels: int = 9) -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels + 1)]
    return ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n' + "\n".join(entities) + "\n]>\n"
            f'<rdf:RDF {RDF_NS} xmlns:ex="http://example.org/">\n'
            f'<rdf:Description rdf:about="http://example.org/a"><ex:p>&lol{levels};</ex:p>'
            "</rdf:Description></rdf:RDF>\n").encode()


def no_validation_children() -> bool:
    return not [p for p in multiprocessing.active_children() if p.name == "publisher-validate"]


# ----------------------------------------------------------------------------- tripwire


def test_the_tripwire_notices_a_connection(tripwire):
    """The listener really records connections, so "no connection" below means something."""
    with pytest.raises(OSError):
        urllib.request.urlopen(tripwire.url, timeout=2)
    assert tripwire.settle()


# ----------------------------------------------------------------------------- size, format


def test_body_over_the_limit_is_413(client_with):
    client = client_with(validate_max_body_bytes=2048)
    body = b"<http://example.org/a> <http://example.org/b> " + b'"' + b"x" * 3000 + b'" .\n'
    assert client.post("/validate", content=body, headers=TURTLE).status_code == 413

    def chunked():  # no Content-Length: the limit must hold while streaming
        for _ in range(10):
            yield b"# " + b"x" * 500 + b"\n"

    response = client.post("/validate", content=chunked(), headers=TURTLE)
    assert response.status_code == 413
    assert "limit of 2,048 bytes" in response.text
    page = client.post("/validate", data={"data": "x" * 3000, "format": "text/turtle"},
                       headers={"Accept": "text/html"})
    assert page.status_code == 413 and "limit of 2,048 bytes" in page.text


@pytest.mark.parametrize("content_type", ["application/pdf", "text/plain", None])
def test_unknown_or_missing_content_type_is_415(client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/validate", content=example("meeting-conforming.ttl"),
                           headers=headers)
    assert response.status_code == 415
    for media_type in ("text/turtle", "application/trig", "application/n-triples",
                       "application/n-quads", "application/ld+json", "application/rdf+xml"):
        assert media_type in response.text


@pytest.mark.parametrize("headers,body,where", [
    (TURTLE, b'@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b "open .\n',
     "line 3, column 11"),
    ({"Content-Type": "application/n-triples"}, b"<http://a/b> <http://a/c> <d> .\n",
     "line 1, column 27"),
    (RDF_XML, f'<rdf:RDF {RDF_NS}>\n<rdf:Description>\n</rdf:RDF>'.encode(),
     "line 3, column 3"),
    (JSON_LD, b'{\n  "@id": "http://a/b",\n  "http://a/p": \n}', "line 4, column 1"),
    (TURTLE, b'<http://a/b> <http://a/c> "caf\xe9" .', "line 1, column 31"),
])
def test_unparseable_input_is_400_with_line_and_column(client, headers, body, where):
    response = client.post("/validate", content=body, headers=headers)
    assert response.status_code == 400
    assert response.text.startswith("the submission does not parse: request body: ")
    assert where in response.text


def test_empty_body_is_400(client):
    assert client.post("/validate", content=b"", headers=TURTLE).status_code == 400


# ----------------------------------------------------------------------------- no fetching


def remote_context_documents(url: str) -> list[bytes]:
    return [
        f'{{"@context": "{url}ctx.jsonld", "@id": "http://a/b", "name": "x"}}'.encode(),
        f'{{"@context": ["{url}ctx.jsonld"], "@id": "http://a/b"}}'.encode(),
        f'{{"@context": {{"@version": 1.1, "@import": "{url}ctx"}}, "@id": "http://a/b"}}'
        .encode(),
        f'{{"@context": {{"x": {{"@id": "http://a/x", "@context": "{url}scoped"}}}}, '
        f'"@id": "http://a/b", "x": {{"http://a/p": 1}}}}'.encode(),
    ]


def test_jsonld_remote_contexts_are_never_fetched(client, tripwire):
    for body in remote_context_documents(tripwire.url):
        with pytest.raises(SubmissionError, match="remote JSON-LD contexts are not fetched"):
            parse_document(Document("x.jsonld", ox.RdfFormat.JSON_LD, body), BASE)
        response = client.post("/validate", content=body, headers=JSON_LD)
        assert response.status_code == 400
        assert "put the @context inline" in response.text
    assert tripwire.settle() == []


def xml_entity_documents(url: str) -> list[bytes]:
    tail = (f'<rdf:RDF {RDF_NS} xmlns:ex="http://example.org/"><rdf:Description '
            'rdf:about="http://example.org/a"><ex:p>&ext;</ex:p></rdf:Description></rdf:RDF>')
    return [
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY ext SYSTEM "{url}ext">]>\n{tail}'
        .encode(),
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF SYSTEM "{url}dtd">\n{tail}'.encode(),
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY % p SYSTEM "{url}p"> %p;]>\n'
        f'{tail}'.encode(),
        f'<?xml version="1.0"?>\n<!doctype rdf:RDF PUBLIC "-//x//EN" "{url}dtd">\n{tail}'
        .encode(),
    ]


def test_xml_external_entities_and_dtds_are_refused_unfetched(client, tripwire):
    for body in xml_entity_documents(tripwire.url):
        with pytest.raises(SubmissionError) as refused:
            parse_document(Document("x.rdf", ox.RdfFormat.RDF_XML, body), BASE)
        assert refused.value.refused and refused.value.line == 2
        response = client.post("/validate", content=body, headers=RDF_XML)
        assert response.status_code == 400
        assert "declaration is refused" in response.text
    assert tripwire.settle() == []


def test_owl_imports_are_not_followed(client, settings, tripwire):
    """Checked in-process too: the worker also runs without network, which would hide a
    fetch attempt, so the parser and pyshacl are proved not to try on their own."""
    body = (f"<id/person/x> a <http://xmlns.com/foaf/0.1/Person> ; "
            f'<http://www.w3.org/2000/01/rdf-schema#label> "X"@en .\n'
            f"<submission> <http://www.w3.org/2002/07/owl#imports> <{tripwire.url}onto.ttl> .\n"
            ).encode()
    outcome = validate_documents([Document("x.ttl", ox.RdfFormat.TURTLE, body)], BASE,
                                 settings.shapes_dir, settings.ontology_dir, ask=None)
    assert outcome["conforms"] is True
    response = client.post("/validate", content=body, headers=TURTLE)
    assert response.status_code == 200 and "sh:conforms true" in response.text
    assert tripwire.settle() == []


# ----------------------------------------------------------------------------- bombs


def test_billion_laughs_is_refused_before_parsing_or_any_worker(client, monkeypatch):
    bomb = billion_laughs()
    assert len(bomb) < 1200  # ~3 GB once expanded, which pyoxigraph would do

    def must_not_run(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the bomb reached the parser or a validation worker")

    monkeypatch.setattr(ox, "parse", must_not_run)
    monkeypatch.setattr(service, "_run_worker", must_not_run)
    with pytest.raises(SubmissionError, match="DOCTYPE declaration is refused"):
        parse_document(Document("bomb.rdf", ox.RdfFormat.RDF_XML, bomb), BASE)
    response = client.post("/validate", content=bomb, headers=RDF_XML)
    assert response.status_code == 400
    assert "DOCTYPE declaration is refused" in response.text
    assert no_validation_children()


def test_deep_json_is_refused_before_it_can_crash_the_parser(client):
    """pyoxigraph's JSON-LD parser overflows the native stack (SIGSEGV) at ~4,000 nested
    objects, and costs quadratic time well before that."""
    deep = b'{"@id": "http://a/b", "http://a/p": ' + b'{"http://a/p": ' * 5000 + b"1" \
        + b"}" * 5001
    response = client.post("/validate", content=deep, headers=JSON_LD)
    assert response.status_code == 400
    assert f"nested deeper than {MAX_NESTING} levels" in response.text
    fine = client.post("/validate", content=example("meeting-conforming.jsonld"),
                       headers=JSON_LD)
    assert fine.status_code == 200


def test_deep_xml_is_refused(client):
    depth = MAX_NESTING + 5
    body = (f'<rdf:RDF {RDF_NS} xmlns:ex="http://example.org/"><rdf:Description>'
            + "<ex:p><rdf:Description>" * depth + "</rdf:Description></ex:p>" * depth
            + "</rdf:Description></rdf:RDF>").encode()
    response = client.post("/validate", content=body, headers=RDF_XML)
    assert response.status_code == 400
    assert "nested deeper than" in response.text


def test_time_limit_kills_the_worker(client_with):
    client = client_with(validate_timeout_s=0.05)
    response = client.post("/validate", content=example("meeting-conforming.ttl"),
                           headers=TURTLE)
    assert response.status_code == 422
    assert "validation stopped after 0.05 s" in response.text
    assert no_validation_children()  # killed and reaped, not left running


def test_a_crashed_worker_is_reported_by_its_signal():
    message = _crash_message(-11)
    assert "SIGSEGV" in message and "ended abnormally" in message


# ----------------------------------------------------------------------------- isolation


def test_submissions_never_reach_the_store_or_each_other(client, app):
    snapshot = open_live(app.state.settings)
    store = snapshot.store
    build_before = snapshot.build_id
    assert client.post("/validate", content=example("meeting-conforming.ttl"),
                       headers=TURTLE).status_code == 200
    assert not store.exists(app.state.settings.base + "id/person/rashid-amanov")
    assert open_live(app.state.settings).build_id == build_before
    # The next submission cannot see the previous one's new person.
    follow_up = b"<id/person/someone> a <http://xmlns.com/foaf/0.1/Person> ; " \
        b'<http://www.w3.org/2000/01/rdf-schema#label> "Someone"@en ; ' \
        b"<http://xmlns.com/foaf/0.1/knows> <id/person/rashid-amanov> ; " \
        b"<ontology#nationality> <id/person/rashid-amanov> .\n"
    response = client.post("/validate", content=follow_up, headers=TURTLE)
    assert "val:valueInPublishedDataset false" in response.text


def test_concurrent_submissions_get_their_own_reports(client):
    bodies = {"good": example("meeting-conforming.ttl"),
              "bad": example("meeting-nonconforming.ttl")}
    answers: dict[str, str] = {}

    def post(name: str) -> None:
        answers[name] = client.post("/validate", content=bodies[name], headers=TURTLE).text

    threads = [threading.Thread(target=post, args=(name,)) for name in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert "sh:conforms true" in answers["good"] and "atlantis" not in answers["good"]
    assert "sh:conforms false" in answers["bad"] and "amanov-kuala" not in answers["bad"]


# ----------------------------------------------------------------------------- escaping


def test_the_html_report_escapes_the_submission(client):
    hostile = (b'<id/person/x> a <http://xmlns.com/foaf/0.1/Person> ;\n'
               b'  <http://www.w3.org/2000/01/rdf-schema#label> "<script>alert(1)</script>" ;\n'
               b'  <ontology#nationality> <javascript:alert(2)> , '
               b'<http://evil.example/"onmouseover=alert(3)> .\n')
    hostile = hostile.replace(b'"onmouseover=alert(3)', b"x%22onmouseover=alert(3)")
    response = client.post("/validate", content=hostile,
                           headers={**TURTLE, "Accept": "text/html"})
    assert response.status_code == 200
    page = response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert "javascript:alert(2)" in page  # shown as text ...
    assert 'href="javascript:' not in page  # ... never as a link
    assert 'href="http://evil.example' not in page  # only our own IRIs are links
    upload = client.post("/validate", data={"format": "text/turtle"}, files={
        "file": ('"><img src=x onerror=alert(4)>.ttl', hostile, "text/turtle")})
    assert "<img src=x" not in upload.text
    assert "&lt;img src=x onerror=alert(4)&gt;.ttl" in upload.text



def test_triple_terms_are_refused_not_crashed_on(client):
    body = b"<http://a/s> <http://a/p> <<( <http://a/s> <http://a/p> <http://a/o> )>> .\n"
    response = client.post("/validate", content=body, headers=TURTLE)
    assert response.status_code == 400
    assert "triple terms" in response.text
