"""The validation service's engine (pyshacl-turbo, the build's) judges submissions as
pyshacl, the reference, does: same rows for the shipped examples and for broken copies
of a published document, validated in the context of the published data."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from publisher.settings import Settings
from publisher.snapshot import open_live
from publisher.validation import service
from publisher.validation.submission import Document

from .conftest import EXAMPLES

LAVROV = "doc/person/sergey-lavrov.ttl"


def _published(settings: Settings, name: str) -> bytes:
    from fastapi.testclient import TestClient

    from publisher.app import create_app

    with TestClient(create_app(settings), base_url=settings.base) as client:
        response = client.get(name)
        assert response.status_code == 200
        return response.content


def _breakages(lavrov: bytes) -> dict[str, bytes]:
    text = lavrov.decode()
    return {
        "published": lavrov,
        "a dangling reference": text.replace("id/country/RUS>", "id/country/NOWHERE>", 1).encode(),
        "a literal for an entity": text.replace("dip:nationality <", 'dip:nationality "Russia", <',
                                                1).encode(),
    }


def _rows(documents: list[Document], settings: Settings, engine: str) -> list[tuple]:
    snapshot = open_live(settings)
    report = service.validate(documents, settings.model_copy(update={"shacl_engine": engine}),
                              service.StoreContext(snapshot), service.Rules.of_build(snapshot))
    return sorted((r.focus, r.path or "", r.value or "", r.severity, r.component, r.message)
                  for r in report.rows)


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.ttl")))
def test_examples_judged_alike(settings: Settings, example: str) -> None:
    document = Document(example, ox.RdfFormat.TURTLE, (EXAMPLES / example).read_bytes())
    assert _rows([document], settings, "turbo") == _rows([document], settings, "pyshacl")


def test_published_and_broken_documents_judged_alike(settings: Settings) -> None:
    lavrov = _published(settings, LAVROV)
    for name, data in _breakages(lavrov).items():
        document = Document(name, ox.RdfFormat.TURTLE, data)
        turbo = _rows([document], settings, "turbo")
        assert turbo == _rows([document], settings, "pyshacl"), name
        assert bool(turbo) == (name != "published"), (name, turbo)
