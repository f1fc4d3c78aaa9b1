"""Every entity document we publish conforms to our shapes, on its own and when posted to
our own validation service (a real uvicorn process on loopback).

"On its own" is the document with nothing but the shapes and the ontology they import:
a document carries what its typed resources refer to. "Posted to validate" is what a
client does who re-states one of our facts: the service adds the published descriptions
of the document's subjects, so a claim with a blank node in both would be two claims
(two periods for one membership); with claims named from their owner it is one.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal
from rdflib.namespace import SH

from publisher.pipeline.mapping import parse_turtle_dir
from publisher.pipeline.shacl import run_shacl_turbo, to_rdflib_graph
from publisher.settings import Settings
from publisher.snapshot import open_live

#: Validations run at once; the service has a slot per core.
POSTERS = 2


def entity_documents(settings: Settings) -> list[str]:
    """Every document under doc/: one per IRI under id/ that the store describes (hash
    IRIs are parts of their owner's document), but for the IRIs the data retired (they
    answer 301 or 410, tests/search/test_http.py)."""
    prefix = settings.id_base
    snapshot = open_live(settings)
    found = {quad.subject.value.split("#", 1)[0] for quad in snapshot.store.quads()
             if isinstance(quad.subject, ox.NamedNode) and quad.subject.value.startswith(prefix)}
    retired = {settings.base + path for path in snapshot.retired()}
    return sorted(iri[len(prefix):] for iri in found - retired)


@pytest.fixture(scope="module")
def documents(settings: Settings) -> list[str]:
    names = entity_documents(settings)
    assert len(names) > 300
    return names


@pytest.fixture(scope="module")
def shapes_and_ontology(settings: Settings) -> tuple[Graph, list[ox.Quad]]:
    shapes = to_rdflib_graph(parse_turtle_dir(settings.shapes_dir, settings.base, None))
    return shapes, parse_turtle_dir(settings.ontology_dir, settings.base, None)


def _fetch(client: httpx.Client, name: str) -> bytes:
    response = client.get(f"doc/{name}.ttl")
    assert response.status_code == 200, (name, response.status_code)
    return response.content


def test_every_document_conforms_on_its_own(
        server: str, documents: list[str],
        shapes_and_ontology: tuple[Graph, list[ox.Quad]]) -> None:
    """With pyshacl-turbo, which tests/pipeline/test_shacl_engines.py holds equal to pyshacl
    on our shapes (the service's engine, used by the next test)."""
    shapes, ontology = shapes_and_ontology
    failures = []
    with httpx.Client(base_url=server, timeout=30) as client:
        for name in documents:
            data = ox.Store()
            data.bulk_extend(ontology)
            data.load(_fetch(client, name), format=ox.RdfFormat.TURTLE)
            report = run_shacl_turbo(data, shapes)
            if not report.conforms:
                failures.append(f"doc/{name}: " + "; ".join(
                    f"{r.focus} {r.path} {r.message}" for r in report.results[:3]))
    assert not failures, f"{len(failures)} documents do not conform:\n" + "\n".join(failures)


def test_every_document_conforms_when_posted_to_validate(server: str, documents: list[str],
                                                         base_path: str) -> None:
    if base_path != "/":  # minutes of validation, for the same documents: once is enough
        pytest.skip("every document is posted once, under the root base; the service "
                    "under a base with a path is tested in tests/validation")
    def post(name: str) -> str | None:
        with httpx.Client(base_url=server, timeout=120) as client:
            body = _fetch(client, name)
            response = client.post("validate", content=body, headers={
                "content-type": "text/turtle", "accept": "text/turtle"})
            if response.status_code != 200:
                return f"doc/{name}: {response.status_code} {response.text[:200]}"
            report = Graph().parse(data=response.text, format="turtle")
            if (None, SH.conforms, Literal(True)) in report:
                return None
            messages = sorted(str(m) for m in report.objects(None, SH.resultMessage))
            return f"doc/{name}: " + "; ".join(messages[:3])

    with ThreadPoolExecutor(POSTERS) as pool:
        failures = [failure for failure in pool.map(post, documents) if failure]
    assert not failures, f"{len(failures)} documents do not conform:\n" + "\n".join(failures)


def test_the_reported_membership_posted_back_conforms(server: str) -> None:
    """The case of the issue: a membership's period used to be a blank node, and posting
    the document back gave 'More than 1 values on org:memberDuring'."""
    with httpx.Client(base_url=server, timeout=60, follow_redirects=True) as client:
        body = client.get("id/membership/asean-russia-coordinator-khm",
                          headers={"accept": "text/turtle"}).content
        assert b"#period" in body
        response = client.post("validate", content=body, headers={
            "content-type": "text/turtle", "accept": "text/turtle"})
    report = Graph().parse(data=response.text, format="turtle")
    assert (None, SH.conforms, Literal(True)) in report, response.text[:2000]
