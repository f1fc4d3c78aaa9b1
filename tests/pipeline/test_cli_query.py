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


def test_a_query_file_that_is_not_there_is_a_clean_error(built, capfd, tmp_path):
    settings, _ = built
    code = main(["query", "--store-dir", str(settings.store_dir), "@queries/nope.rq"])
    err = capfd.readouterr().err
    assert code == 2
    assert "cannot read the query from queries/nope.rq" in err and "Traceback" not in err
    latin = tmp_path / "latin.rq"
    latin.write_bytes("SELECT * WHERE { ?s ?p \"caf\xe9\" }".encode("latin-1"))
    assert main(["query", "--store-dir", str(settings.store_dir), f"@{latin}"]) == 2
    assert "Traceback" not in capfd.readouterr().err
