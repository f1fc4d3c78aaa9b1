"""``publisher query`` over a built store: default formats and relative IRIs."""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from publisher.cli import main
from tests.conftest import ROOT


def test_query_prints_tsv_and_resolves_relative_iris_against_the_base(built, capfdbinary):
    settings, _ = built
    code = main(["query", "--store-dir", str(settings.store_dir),
                 f"@{ROOT / 'queries' / 'cq3-asean-chairs.rq'}"])
    out = capfdbinary.readouterr().out.decode()
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "?year\t?country\t?name"
    assert [line.split("\t")[1] for line in lines[1:]] == [
        "<http://localhost:8000/id/country/LAO>", "<http://localhost:8000/id/country/MYS>"]


def test_construct_defaults_to_turtle(built, capfdbinary):
    settings, _ = built
    code = main(["query", "--store-dir", str(settings.store_dir),
                 "CONSTRUCT { <id/country/MYS> ?p ?o } WHERE { <id/country/MYS> ?p ?o }"])
    out = capfdbinary.readouterr().out.decode()
    assert code == 0
    graph = Graph().parse(data=out, format="turtle")
    mys = URIRef("http://localhost:8000/id/country/MYS")
    assert (mys, RDFS.label, Literal("Malaysia", lang="en")) in graph
    assert set(graph.subjects()) == {mys}


def test_syntax_error_exits_2(built, capfdbinary):
    settings, _ = built
    assert main(["query", "--store-dir", str(settings.store_dir), "SELECT WHERE {"]) == 2
    assert "syntax error" in capfdbinary.readouterr().err.decode()
