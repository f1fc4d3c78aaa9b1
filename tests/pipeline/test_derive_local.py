"""Derivation graph by graph gives what derivation over the union gives, and is used
only when the rules and the data are proven to allow it."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from publisher.pipeline import derive_local
from publisher.pipeline.build import derivation_rules, prepare
from publisher.pipeline.build_cache import Entries
from publisher.pipeline.derive_local import (
    derive_by_graph,
    not_graph_local,
    proven_graph_local,
)
from publisher.pipeline.mapping import MappedFile
from publisher.pipeline.nquads import canonical_nquads
from publisher.settings import Settings

BASE = "http://localhost:8000/"
ROOT = Path(__file__).resolve().parents[2]

NOT_LOCAL = {
    "another graph": "INSERT { GRAPH ?g { ?a <p> ?b } } WHERE { GRAPH ?g { ?a <q> ?c } "
                     "GRAPH ?h { ?c <r> ?b } }",
    "default graph": "INSERT { GRAPH ?g { ?a <p> ?b } } WHERE { GRAPH ?g { ?a <q> ?c } "
                     "?c <r> ?b }",
    "writes the default graph": "INSERT { ?a <p> ?b } WHERE { GRAPH ?g { ?a <q> ?b } }",
    "aggregate": "INSERT { GRAPH ?g { ?a <p> ?n } } WHERE { { SELECT ?g (COUNT(*) AS ?n) "
                 "WHERE { GRAPH ?g { ?a ?b ?c } } GROUP BY ?g } }",
    "exists elsewhere": "INSERT { GRAPH ?g { ?a <p> ?b } } WHERE { GRAPH ?g { ?a <q> ?b "
                        "FILTER NOT EXISTS { GRAPH ?h { ?a <x> ?y } } } }",
    "exists in the union": "INSERT { GRAPH ?g { ?a <p> ?b } } WHERE { GRAPH ?g { ?a <q> ?b } "
                           "FILTER NOT EXISTS { ?a <x> ?y } }",
    "blank node made": "INSERT { GRAPH ?g { ?a <p> [] } } WHERE { GRAPH ?g { ?a <q> ?b } }",
    "data": "INSERT DATA { GRAPH <g> { <a> <b> <c> } }",
    "bind the graph": "INSERT { GRAPH ?g { ?a <p> ?b } } WHERE { GRAPH ?g { ?a <q> ?b } "
                      "BIND(<x> AS ?g) }",
    "path from the description": "INSERT { GRAPH ?g { ?a <p> ?b } } WHERE { ?g <p>/<q> ?b . "
                                 "GRAPH ?g { ?a <q> ?b } }",
    "with": "WITH <g> INSERT { GRAPH ?g { ?a <p> ?b } } WHERE { GRAPH ?g { ?a <q> ?b } }",
    "using": "INSERT { GRAPH ?g { ?a <p> ?b } } USING <g> WHERE { GRAPH ?g { ?a <q> ?b } }",
    "drop": "INSERT { GRAPH ?g { ?a <p> ?b } } WHERE { GRAPH ?g { ?a <q> ?b } } ; DROP ALL",
    "values": "INSERT { GRAPH ?g { ?a <p> ?b } } WHERE { GRAPH ?g { ?a <q> ?b } "
              "VALUES ?g { <x> } }",
    "optional outside": "INSERT { GRAPH ?g { ?a <p> ?b } } WHERE { GRAPH ?g { ?a <q> ?b } "
                        "OPTIONAL { ?b <r> ?c } }",
    "description then more": "INSERT { GRAPH ?g { ?a <p> ?b } } WHERE { GRAPH ?g { ?a <q> ?b }"
                             " ?g <r> ?c . ?c <s> ?d }",
}


@pytest.mark.parametrize("name", list(NOT_LOCAL))
def test_rules_that_reach_beyond_one_graph_are_not_proven(name: str) -> None:
    assert not_graph_local(NOT_LOCAL[name], BASE) is not None


def test_the_projects_rules_are_proven_local() -> None:
    assert not_graph_local((ROOT / "mappings/derive.ru").read_text(), BASE) is None
    local = ("INSERT { GRAPH ?g { ?a <p> ?b } } WHERE { ?g <d> ?x . GRAPH ?g { ?a <q> ?b "
             "OPTIONAL { ?b <r> ?c } MINUS { ?a <z> ?q } FILTER NOT EXISTS { ?a <y> ?w } } }")
    assert not_graph_local(local, BASE) is None


def test_by_graph_is_the_union_derivation(project_copy: Path, tmp_path: Path) -> None:
    settings = Settings(project_dir=project_copy, store_dir=project_copy / "var" / "store",
                        base=BASE, build_cache=False)
    prepared = prepare(settings)  # the union (no cache: no keys)
    rules = derivation_rules(settings)
    assert rules is not None
    mapped = [MappedFile(m.fact_file, m.graph, m.quads, f"key-{i}")
              for i, m in enumerate(_mapped(settings))]
    entries = Entries(tmp_path / "derived")
    first = derive_by_graph(mapped, rules, BASE, entries)
    again = derive_by_graph(mapped, rules, BASE, Entries(tmp_path / "derived"))
    assert first is not None and again is not None
    union = ox.Store()
    union.bulk_extend(q for q in prepared.dataset if q.graph_name != ox.NamedNode(
        settings.ontology_iri))
    codes = {q for q in union} - set(first[0])  # ISO codes are added after derivation
    assert all("iso3166" in q.predicate.value for q in codes)
    assert canonical_nquads(first[0]) == canonical_nquads(again[0])  # read back
    assert canonical_nquads(q for q in union if q not in codes) == canonical_nquads(first[0])
    assert first[1] == again[1] and len(first[1]) == len({m.graph for m in mapped})
    # No graph of the project keeps a blank node, and both runs saw it in the bytes.
    assert first.blank_free == again.blank_free == {m.graph for m in mapped}


def test_a_graph_keeping_a_blank_node_is_not_called_free_of_them(tmp_path: Path) -> None:
    graph, thing = ox.NamedNode(BASE + "g"), ox.NamedNode(BASE + "id/x")
    p = ox.NamedNode(BASE + "p")
    mapped = [MappedFile(None, graph, [ox.Quad(thing, p, ox.BlankNode("b1"), graph)],  # type: ignore[arg-type]
                         "key-0")]
    rules = "INSERT { GRAPH ?g { ?a <p2> ?b } } WHERE { GRAPH ?g { ?a <p> ?b } }"
    for entries in (Entries(tmp_path / "d"), Entries(tmp_path / "d")):  # written, read back
        derived = derive_by_graph(mapped, rules, BASE, entries)
        assert derived is not None and derived.blank_free == set()
        assert ox.BlankNode("b1") in {q.object for q in derived.dataset}


def _mapped(settings: Settings) -> list[MappedFile]:
    from publisher.pipeline.build import fact_checker, mapping_cache
    from publisher.pipeline.facts import ReadLimits
    from publisher.pipeline.mapping import load_context, parse_turtle_dir
    from publisher.pipeline.parallel_map import read_and_map

    root = settings.project_dir
    context = load_context(settings.mappings_dir, root)
    ontology = parse_turtle_dir(settings.ontology_dir, settings.base,
                                ox.NamedNode(settings.ontology_iri), root)
    return read_and_map(settings.data_dir, context, settings.base, root, 1, ReadLimits(),
                        fact_checker(settings, context, ontology), mapping_cache(settings))


def test_data_one_graph_cannot_be_derived_alone_from_falls_back() -> None:
    graph = ox.NamedNode("http://example.org/graph/a")
    other = ox.NamedNode("http://example.org/graph/b")
    thing = ox.NamedNode("http://example.org/thing")
    p = ox.NamedNode("http://example.org/p")
    rules = "INSERT { GRAPH ?g { ?s <http://example.org/q> ?o } } WHERE { GRAPH ?g { ?s " \
            "<http://example.org/p> ?o } }"

    def one(*quads: ox.Quad) -> list[MappedFile]:
        return [MappedFile(None, graph, list(quads))]  # type: ignore[arg-type]

    assert derive_by_graph(one(ox.Quad(thing, p, thing, graph)), rules, BASE, None) is not None
    # a statement in the default graph about something other than the graph itself
    assert derive_by_graph(one(ox.Quad(thing, p, thing)), rules, BASE, None) is None
    # a statement in another graph than the file's
    assert derive_by_graph(one(ox.Quad(thing, p, thing, other)), rules, BASE, None) is None


def test_the_verdict_is_remembered_by_the_rules(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    entries = Entries(tmp_path / "derived")
    rules = "INSERT { GRAPH ?g { ?a <p> ?b } } WHERE { GRAPH ?g { ?a <q> ?b } }"
    assert proven_graph_local(rules, BASE, entries)
    calls: list[str] = []
    monkeypatch.setattr(derive_local, "not_graph_local",
                        lambda text, base: calls.append(text) or None)
    assert proven_graph_local(rules, BASE, Entries(tmp_path / "derived"))
    assert calls == []  # remembered
    changed = rules + " ;\n" + rules
    proven_graph_local(changed, BASE, Entries(tmp_path / "derived"))
    assert calls == [changed]  # other rules, analysed again
