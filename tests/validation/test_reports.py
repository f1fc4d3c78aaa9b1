"""What the service answers: every input format, exact results, report formats, the page."""

from __future__ import annotations

import json
from urllib.parse import urljoin

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from publisher.snapshot import open_live
from publisher.validation.report import ValidationReport
from publisher.validation.service import Rules, StoreContext, validate
from publisher.validation.submission import Document

from .conftest import EXAMPLES, example


def val_in_dataset(base: str) -> URIRef:
    return URIRef(base + "validate#valueInPublishedDataset")


def conforming_as(fmt: ox.RdfFormat, base: str) -> bytes:
    """The conforming example in ``fmt``; dataset formats put it in a named graph, which
    the service must merge like the build does."""
    triples = [q.triple for q in ox.parse(example("meeting-conforming.ttl"),
                                          format=ox.RdfFormat.TURTLE, base_iri=base)]
    if fmt.supports_datasets:
        graph = ox.NamedNode(base + "id/graph/submitted")
        return ox.serialize([ox.Quad(t.subject, t.predicate, t.object, graph)
                             for t in triples], format=fmt)
    return ox.serialize(triples, format=fmt)


def report_graph(text: str, media_type: str = "text/turtle") -> Graph:
    return Graph().parse(data=text, format={"text/turtle": "turtle",
                                            "application/ld+json": "json-ld",
                                            "application/n-triples": "nt"}[media_type])


def results_of(graph: Graph, base: str) -> set[tuple]:
    """(focus, path, value, severity, component, reference) of every sh:result."""
    report = next(graph.subjects(RDF.type, SH.ValidationReport))
    found = set()
    for result in graph.objects(report, SH.result):
        reference = graph.value(result, val_in_dataset(base))
        found.add((
            _term(graph.value(result, SH.focusNode)), _term(graph.value(result, SH.resultPath)),
            _term(graph.value(result, SH.value)),
            str(graph.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
            str(graph.value(result, SH.sourceConstraintComponent)).rsplit("#", 1)[-1],
            None if reference is None else ("dataset" if reference.toPython() else "missing"),
        ))
    return found


def _term(node) -> str | None:
    if node is None:
        return None
    if isinstance(node, URIRef):
        return f"<{node}>"
    return json.dumps(str(node))


def expected(base: str) -> tuple[bool, list[dict]]:
    spec = json.loads((EXAMPLES / "meeting-nonconforming.expected.json").read_text())
    rows = []
    for row in spec["results"]:
        resolved = {key: (f"<{urljoin(base, value[1:-1])}>"
                          if isinstance(value, str) and value.startswith("<") else value)
                    for key, value in row.items()}
        rows.append(resolved)
    return spec["conforms"], rows


# ----------------------------------------------------------------------------- formats

INPUTS = [
    ("text/turtle", lambda base: example("meeting-conforming.ttl")),
    ("application/ld+json", lambda base: example("meeting-conforming.jsonld")),
    ("application/trig", lambda base: conforming_as(ox.RdfFormat.TRIG, base)),
    ("application/n-triples", lambda base: conforming_as(ox.RdfFormat.N_TRIPLES, base)),
    ("application/n-quads", lambda base: conforming_as(ox.RdfFormat.N_QUADS, base)),
    ("application/rdf+xml", lambda base: conforming_as(ox.RdfFormat.RDF_XML, base)),
]


@pytest.mark.parametrize("media_type,body", INPUTS, ids=[m for m, _ in INPUTS])
def test_every_input_format_conforms(client, base, media_type, body):
    response = client.post("/validate", content=body(base),
                           headers={"Content-Type": f"{media_type}; charset=utf-8"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/turtle; charset=utf-8"
    graph = report_graph(response.text)
    report = next(graph.subjects(RDF.type, SH.ValidationReport))
    assert graph.value(report, SH.conforms) == Literal(True)
    assert results_of(graph, base) == set()


def test_conforming_needs_the_published_context(base, client):
    """The same meeting, standalone, cannot resolve sergey-lavrov, kuala-lumpur, the
    article or the countries: the conforming verdict really comes from our data."""
    response = client.post("/validate?standalone=1", content=example("meeting-conforming.ttl"),
                           headers={"Content-Type": "text/turtle"})
    assert response.status_code == 200
    graph = report_graph(response.text)
    values = {row[2] for row in results_of(graph, base)}
    assert f"<{base}id/person/sergey-lavrov>" in values
    assert f"<{base}id/place/kuala-lumpur>" in values
    assert (None, val_in_dataset(base), None) not in graph  # nothing looked up


# ----------------------------------------------------------------------------- results


@pytest.mark.parametrize("media_type", ["text/turtle", "application/ld+json",
                                        "application/n-triples"])
def test_nonconforming_exact_results_in_each_report_format(base, client, media_type):
    conforms, rows = expected(base)
    response = client.post("/validate", content=example("meeting-nonconforming.ttl"),
                           headers={"Content-Type": "text/turtle", "Accept": media_type})
    assert response.status_code == 200  # a report, whatever it says
    assert response.headers["content-type"].startswith(media_type)
    graph = report_graph(response.text, media_type)
    report = next(graph.subjects(RDF.type, SH.ValidationReport))
    assert graph.value(report, SH.conforms) == Literal(conforms)
    assert results_of(graph, base) == {(r["focus"], r["path"], r["value"], r["severity"],
                                  r["component"], r["reference"]) for r in rows}


def test_nonconforming_rows_name_the_shape_and_group_by_focus(base, settings, app):
    conforms, rows = expected(base)
    document = Document("meeting-nonconforming.ttl", ox.RdfFormat.TURTLE,
                        example("meeting-nonconforming.ttl"))
    snapshot = open_live(settings)
    report = validate([document], settings, StoreContext(snapshot), Rules.of_build(snapshot))
    assert report.conforms is conforms
    got = {(f"<{r.focus}>", r.path and f"<{r.path}>",
            None if r.value is None else (f"<{r.value}>" if r.value_kind == "iri"
                                          else json.dumps(r.value)),
            r.severity, r.component, r.shape and f"<{r.shape}>", r.reference)
           for r in report.rows}
    assert got == {(r["focus"], r["path"], r["value"], r["severity"], r["component"],
                    r["shape"], r["reference"]) for r in rows}
    groups = report.groups
    assert [g.focus for g in groups] == [base + "id/event/2025-07-12-lavrov-nobody-atlantis",
                                         base + "id/person/rashid-amanov"]
    assert groups[0].types == ["dip:BilateralMeeting"]
    assert groups[0].documents == ["meeting-nonconforming.ttl"]
    assert [len(g.rows) for g in groups] == [3, 1]
    assert report.summary == "DOES NOT CONFORM: 4 violation(s), 0 warning(s) on 2 focus node(s)"


def test_adding_facts_to_a_published_entity_uses_its_published_description(base, client):
    """sergey-lavrov is typed foaf:Person in our data, so PersonShape applies to him; his
    label and nationality come from the store, so an added alternative name conforms,
    while a second nationality conflicts with the published one (maxCount 1)."""
    added = (b'<id/person/sergey-lavrov> <http://www.w3.org/2004/02/skos/core#altLabel> '
             b'"Sergei Lavrov"@en .\n')
    response = client.post("/validate", content=added, headers={"Content-Type": "text/turtle"})
    assert "sh:conforms true" in response.text
    conflicting = b'<id/person/sergey-lavrov> <ontology#nationality> <id/country/AZE> .\n'
    response = client.post("/validate", content=conflicting,
                           headers={"Content-Type": "text/turtle"})
    assert results_of(report_graph(response.text), base) == {
        (f"<{base}id/person/sergey-lavrov>", f"<{base}ontology#nationality>", None,
         "Violation", "MaxCountConstraintComponent", None)}


def test_results_about_context_entities_are_not_reported(client):
    """The context holds only types of referenced entities, which fail PersonShape on
    their own (no label); those results are not the submitter's and must not appear."""
    response = client.post("/validate", content=example("meeting-conforming.ttl"),
                           headers={"Content-Type": "text/turtle"})
    assert "sergey-lavrov>" not in response.text.split("sh:result", 1)[-1]


def test_blank_node_labels_of_the_submission_are_kept(client):
    body = (b'_:meeting a <ontology#Meeting> ; <http://www.w3.org/2000/01/rdf-schema#label> '
            b'"x"@en .\n')
    response = client.post("/validate?standalone=1", content=body,
                           headers={"Content-Type": "text/turtle"})
    assert "sh:focusNode _:meeting" in response.text


# ----------------------------------------------------------------------------- negotiation


def test_report_as_html_when_asked(base, client):
    response = client.post("/validate", content=example("meeting-nonconforming.ttl"),
                           headers={"Content-Type": "text/turtle", "Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert "DOES NOT CONFORM: 4 violation(s)" in page
    assert f'<a href="{base}shapes#DiplomaticEventShape">' in page
    assert "not in the published dataset" in page
    assert "exists in the published dataset" in page
    assert "script-src" not in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_unacceptable_report_format_is_406(client):
    response = client.post("/validate", content=example("meeting-conforming.ttl"),
                           headers={"Content-Type": "text/turtle", "Accept": "image/png"})
    assert response.status_code == 406
    assert "text/turtle" in response.text


def test_page_offers_the_form(client):
    response = client.get("/validate", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.text
    assert 'name="file"' in response.text and 'name="data"' in response.text
    for label in ("Turtle", "TriG", "N-Triples", "N-Quads", "JSON-LD", "RDF/XML"):
        assert f">{label}</option>" in response.text
    plain = client.get("/validate", headers={"Accept": "text/plain"})
    assert plain.status_code == 200 and "POST an RDF document" in plain.text


def test_form_paste_and_upload_show_the_table(client):
    pasted = client.post("/validate", data={"data": example("meeting-nonconforming.ttl")
                                            .decode(), "format": "text/turtle"},
                         headers={"Accept": "text/html"})
    assert pasted.status_code == 200
    assert '<table class="report">' in pasted.text
    assert "id/place/atlantis" in pasted.text
    uploaded = client.post("/validate", data={"format": "auto"},
                           files={"file": ("meeting.jsonld", example("meeting-conforming.jsonld"),
                                           "application/octet-stream")})
    assert uploaded.status_code == 200
    assert uploaded.headers["content-type"].startswith("text/html")
    assert "CONFORMS: 0 violation(s)" in uploaded.text
    assert "meeting.jsonld" in uploaded.text


def test_report_from_worker_round_trips(base, settings):
    """The report's RDF is parseable in every registered graph format."""
    report = ValidationReport(conforms=True, rows=[], base=base, standalone=True,
                              report_ntriples=b"_:r <http://www.w3.org/1999/02/22-rdf-syntax"
                              b"-ns#type> <http://www.w3.org/ns/shacl#ValidationReport> .\n")
    from publisher.formats import GRAPH_FORMATS

    for fmt in GRAPH_FORMATS:
        data = report.serialize(fmt)
        assert len(list(ox.parse(data, format=fmt.rdf))) == 1


def test_the_page_shows_at_most_the_row_limit(settings, app, monkeypatch):
    from publisher.validation import routes

    document = Document("meeting-nonconforming.ttl", ox.RdfFormat.TURTLE,
                        example("meeting-nonconforming.ttl"))
    snapshot = open_live(settings)
    report = validate([document], settings, StoreContext(snapshot), Rules.of_build(snapshot))
    groups, hidden = report.limited_groups(2)
    assert [len(g.rows) for g in groups] == [2] and hidden == 2
    monkeypatch.setattr(routes, "ROW_DISPLAY_LIMIT", 3)
    page = routes.render_page(settings, snapshot, report=report).decode()
    assert "1 more results are not shown here" in page
    assert "sh:ValidationReport" in page  # the whole report, as Turtle, below the table


def test_only_published_focus_nodes_are_links(base, client):
    """A new entity has no page yet; a published one (redescribed) links to its page."""
    body = example("meeting-nonconforming.ttl") + (
        b'\n<id/person/sergey-lavrov> <ontology#nationality> <id/country/AZE> .\n')
    page = client.post("/validate", content=body,
                       headers={"Content-Type": "text/turtle", "Accept": "text/html"}).text
    assert f'<a href="{base}id/person/sergey-lavrov"><code>id/person/sergey-lavrov' in page
    assert f'<a href="{base}id/person/rashid-amanov">' not in page
    assert "<code>id/person/rashid-amanov</code>" in page
