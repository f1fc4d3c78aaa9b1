"""What the pages need from the data: an inverse label for every relation of the
ontology, and coordinates a map can trust."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

from publisher.pipeline.build import BuildFailed, build
from publisher.settings import Settings

from ..conftest import ROOT

DIP = rdflib.Namespace("http://x/ontology#")
PLACES = "data/reference/places.yaml"


def test_every_relation_has_a_hand_written_inverse_label() -> None:
    graph = rdflib.Graph().parse(ROOT / "ontology" / "diplomacy.ttl",
                                 publicID="http://x/ontology")
    relations = {p for p in graph.subjects(rdflib.RDF.type, rdflib.OWL.ObjectProperty)
                 if str(p).startswith(str(DIP))}
    assert len(relations) > 40
    for relation in relations:
        labels = [o for o in graph.objects(relation, DIP.inverseLabel)
                  if o.language == "en"]
        assert len(labels) == 1, f"{relation}: one English inverse label"
        words = str(labels[0])
        assert not (words.startswith("is ") and words.endswith(" of")), words
        assert words != str(graph.value(relation, rdflib.RDFS.label))


def _build(project: Path) -> None:
    build(Settings(project_dir=project, store_dir=project / "var" / "store",
                   base="http://localhost:8000/"), progress=lambda _line: None)


@pytest.mark.parametrize(("edit", "words"), [
    ('lat: "17.97"', 'lat: "97.97"'),               # beyond the pole
    ('long: "102.60", ', ""),                        # a latitude without its longitude
])
def test_impossible_coordinates_fail_the_build(project_copy: Path, edit: str,
                                               words: str) -> None:
    places = project_copy / PLACES
    text = places.read_text(encoding="utf-8")
    assert edit in text
    places.write_text(text.replace(edit, words, 1), encoding="utf-8")
    with pytest.raises(BuildFailed) as failure:
        _build(project_copy)
    assert "place/vientiane" in "\n".join(failure.value.problems)
