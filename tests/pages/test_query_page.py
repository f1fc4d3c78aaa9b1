"""The query page tells a failed query's problem in words (query_page.query_problem)."""

from __future__ import annotations

from publisher.pages.query_page import query_problem, undeclared_prefixes

KNOWN = {"dip": "http://example.org/ontology#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#"}


def test_undeclared_prefixes_skip_declarations_strings_and_iris() -> None:
    query = ('PREFIX dip: <http://example.org/ontology#>\n'
             'SELECT * WHERE { ?s dip:x "a:b" ; <http://e/c:d> ?o ; rdfs:label ?l ; ex:y 1 }')
    assert undeclared_prefixes(query) == ["rdfs", "ex"]


def test_a_missing_prefix_gets_its_declaration_and_the_query_with_it() -> None:
    query = "SELECT ?l WHERE {\n  ?s rdfs:label ?l }"
    problem = query_problem("SPARQL syntax error: error at 2:17: expected one of Prefix "
                            "not found, ['%'], ['\\u{00B7}']", query, KNOWN)
    assert problem.message == ("Syntax error at line 2: The prefix rdfs: is used without a "
                               "PREFIX declaration.")
    assert problem.excerpt == "  ?s rdfs:label ?l }" and problem.marker == " " * 16 + "^"
    assert problem.declarations == ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>",)
    assert problem.fixed_query == problem.declarations[0] + "\n" + query


def test_an_unknown_prefix_is_named_without_a_guess() -> None:
    problem = query_problem("SPARQL syntax error: error at 1:20: expected one of Prefix not "
                            "found", "ASK { ?s ex:p ?o }", KNOWN)
    assert "ex:" in problem.message and "namespace you mean" in problem.message
    assert problem.declarations == () and problem.fixed_query is None


def test_other_syntax_errors_are_cut_short_and_placed() -> None:
    detail = "expected one of " + ", ".join(f"['{c}']" for c in "abcdefghijklmnopqrstuvwxyz" * 3)
    problem = query_problem(f"SPARQL syntax error: error at 1:8: {detail}", "SELECT nonsense",
                            KNOWN)
    assert problem.message.startswith("Syntax error at line 1, column 8: expected one of")
    assert len(problem.message) < 220 and problem.message.endswith("…")
    assert problem.excerpt == "SELECT nonsense" and problem.column == 8


def test_other_failures_keep_their_message() -> None:
    problem = query_problem("the query took longer than 30 s", "ASK {}", KNOWN)
    assert problem.message == "the query took longer than 30 s" and problem.line is None
