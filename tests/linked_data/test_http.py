"""The HTTP contract of the linked-data URL space, through FastAPI's TestClient."""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import re
import urllib.parse

import brotli
import pyoxigraph as ox
import pytest
import rdflib
from fastapi.testclient import TestClient
from rdflib.compare import isomorphic

from publisher import formats

LAVROV = "person/sergey-lavrov"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
RDFLIB_FORMAT = {"ttl": "turtle", "jsonld": "json-ld", "nt": "nt", "rdf": "xml",
                 "nq": "nquads", "trig": "trig"}
GRAPH_EXTS = ("ttl", "jsonld", "nt", "rdf")
QUAD_EXTS = ("nq", "trig")


def graph_of(body: bytes, ext: str, base: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=body, format=RDFLIB_FORMAT[ext], publicID=base)


def dataset_of(body: bytes, ext: str) -> rdflib.Dataset:
    dataset = rdflib.Dataset()
    dataset.parse(data=body, format=RDFLIB_FORMAT[ext])
    return dataset


def embedded_jsonld(page: str) -> str:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert match, "no embedded JSON-LD"
    return match.group(1)


# -- 303 from the thing to its description ----------------------------------------------

@pytest.mark.parametrize("accept", [None, "text/turtle", BROWSER, "application/ld+json"])
def test_thing_answers_303_to_its_description(client: TestClient, accept: str | None,
                                              base_path: str) -> None:
    response = client.get(f"/id/{LAVROV}", headers={"accept": accept} if accept else {})
    assert response.status_code == 303
    assert response.headers["location"] == f"{base_path}doc/{LAVROV}"
    assert "Accept" in response.headers["vary"]
    assert response.headers["access-control-allow-origin"] == "*"


def test_thing_with_unacceptable_type_is_406(client: TestClient) -> None:
    response = client.get(f"/id/{LAVROV}", headers={"accept": "image/png"})
    assert response.status_code == 406


def test_following_the_redirect_gets_the_chosen_format(client: TestClient, base: str) -> None:
    response = client.get(f"/id/{LAVROV}", headers={"accept": "text/turtle"},
                          follow_redirects=True)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    graph = graph_of(response.content, "ttl", base)
    assert (rdflib.URIRef(base + "id/" + LAVROV), rdflib.RDFS.label,
            rdflib.Literal("Sergey Lavrov", lang="en")) in graph


# -- content negotiation ----------------------------------------------------------------

@pytest.mark.parametrize("fmt", formats.DOCUMENT_FORMATS, ids=lambda f: f.extension)
def test_negotiated_document(client: TestClient, fmt: formats.Format, base_path: str) -> None:
    response = client.get(f"/doc/{LAVROV}", headers={"accept": fmt.media_type})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == fmt.media_type
    assert response.headers["content-location"] == f"{base_path}doc/{LAVROV}.{fmt.extension}"
    assert response.headers["vary"] == "Accept, Accept-Encoding"
    links = response.headers["link"]
    for other in formats.DOCUMENT_FORMATS:
        if other is not fmt:
            expected = f'<{base_path}doc/{LAVROV}.{other.extension}>; rel="alternate"'
            assert f'{expected}; type="{other.media_type}"' in links


@pytest.mark.parametrize("fmt", formats.DOCUMENT_FORMATS, ids=lambda f: f.extension)
def test_fixed_format_variant_needs_no_header(client: TestClient, fmt: formats.Format) -> None:
    response = client.get(f"/doc/{LAVROV}.{fmt.extension}")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == fmt.media_type
    assert "content-location" not in response.headers
    assert response.headers["vary"] == "Accept-Encoding"
    assert fmt.media_type not in response.headers["link"]
    assert response.headers["link"].count('rel="alternate"') == len(formats.DOCUMENT_FORMATS) - 1


@pytest.mark.parametrize("accept,expected", [
    ("*/*", "text/html"),
    (BROWSER, "text/html"),
    ("", "text/html"),
    ("text/turtle;q=0.5, application/rdf+xml;q=0.9", "application/rdf+xml"),
    ("application/ld+json;q=0.1, text/turtle", "text/turtle"),
    ("application/json", "application/ld+json"),
    ("text/*", "text/html"),
    ("text/html;q=0, */*;q=0.5", "text/turtle"),
    ("application/rdf+xml, text/n3;q=0.9, */*;q=0.1", "application/rdf+xml"),
])
def test_quality_values_are_honoured(client: TestClient, accept: str, expected: str) -> None:
    response = client.get(f"/doc/{LAVROV}", headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == expected


def test_unsupported_type_is_406_listing_the_available_ones(client: TestClient) -> None:
    response = client.get(f"/doc/{LAVROV}", headers={"accept": "application/pdf"})
    assert response.status_code == 406
    for fmt in formats.DOCUMENT_FORMATS:
        assert fmt.media_type in response.text
    assert 'rel="alternate"' in response.headers["link"]


# -- every format parses back into the same graph -----------------------------------------

@pytest.fixture(scope="module")
def reference_graph(client: TestClient, base: str) -> rdflib.Graph:
    return graph_of(client.get(f"/doc/{LAVROV}.nt").content, "nt", base)


@pytest.mark.parametrize("ext", GRAPH_EXTS)
def test_each_graph_format_parses_into_the_same_graph(client: TestClient, base: str, ext: str,
                                                      reference_graph: rdflib.Graph) -> None:
    graph = graph_of(client.get(f"/doc/{LAVROV}.{ext}").content, ext, base)
    assert len(graph) == len(reference_graph) > 100
    assert isomorphic(graph, reference_graph)


@pytest.mark.parametrize("ext", QUAD_EXTS)
def test_each_dataset_format_keeps_the_source_graphs(client: TestClient, base: str, ext: str,
                                                     reference_graph: rdflib.Graph) -> None:
    dataset = dataset_of(client.get(f"/doc/{LAVROV}.{ext}").content, ext)
    names = {str(g.identifier) for g in dataset.graphs()}
    assert base + "id/graph/reference" in names
    assert base + "id/graph/001-bernama-lavrov-rubio-meeting-being-finalised" in names
    union = rdflib.Graph()
    for s, p, o, _g in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    assert isomorphic(union, reference_graph)
    # Each fact names the graph stating it: Lavrov's label comes from the reference graph.
    label = (rdflib.URIRef(base + "id/" + LAVROV), rdflib.RDFS.label, None)
    graphs = {str(g) for _s, _p, _o, g in dataset.quads(label)}
    assert graphs == {base + "id/graph/reference"}


def test_html_embeds_the_same_graph_as_jsonld(client: TestClient, base: str,
                                              reference_graph: rdflib.Graph) -> None:
    page = client.get(f"/doc/{LAVROV}.html").text
    graph = rdflib.Graph().parse(data=embedded_jsonld(page), format="json-ld")
    assert isomorphic(graph, reference_graph)


def test_jsonld_has_a_readable_compacted_context(client: TestClient, base: str) -> None:
    document = client.get(f"/doc/{LAVROV}.jsonld").json()
    context = document["@context"]
    assert context["dip"] == base + "ontology#"
    assert context["rdfs"] == "http://www.w3.org/2000/01/rdf-schema#"
    node = next(n for n in document["@graph"] if n["@id"] == base + "id/" + LAVROV)
    assert node["@type"] == "foaf:Person"
    assert node["rdfs:label"] == {"@value": "Sergey Lavrov", "@language": "en"}
    assert node["dip:nationality"] == {"@id": base + "id/country/RUS"}


# -- HTML for people ------------------------------------------------------------------------

def test_html_page_reads_like_a_page(client: TestClient, base: str) -> None:
    page = client.get(f"/doc/{LAVROV}.html").text
    assert "<h1>Sergey Lavrov" in page
    assert "<dt>Nationality</dt>" in page                   # words, not IRIs
    assert f'href="{base}id/country/RUS"' in page and ">Russia</a>" in page
    assert "Meeting of Sergey Lavrov and Marco Rubio, Kuala Lumpur, 10 July 2025" in page
    assert "Minister of Foreign Affairs of Russia</a>" in page    # his post, at the top
    assert "Meetings and other events" in page and "reference" in page
    assert "Lavrov Rubio Meeting In Kl Being Finalised" in page    # a source, by headline
    for fmt in formats.DOCUMENT_FORMATS:
        assert f"{base}doc/{LAVROV}.{fmt.extension}" in page
    assert '<meta name="viewport"' in page
    # No JavaScript needed: the one script only adds suggestions to the search box,
    # which is a plain GET form without it.
    assert [src.rsplit("/", 1)[-1] for src in re.findall(r'<script src="([^"]+)"', page)] \
        == ["search.js"]
    assert re.search(r'<form class="search-box" role="search" action="[^"]+search" '
                     r'method="get"', page)
    assert 'rel="license">Creative Commons Attribution 4.0 (CC BY 4.0)</a>' in page


def test_dates_are_readable(client: TestClient) -> None:
    page = client.get("/doc/event/2025-07-10-lavrov-rubio-kuala-lumpur.html").text
    assert "10 July 2025" in page
    assert "10 July 2025, 18:00 (UTC+08:00)" in page
    country = client.get("/doc/country/MYS.html").text   # "until 7 July 2025", one phrase
    assert re.search(r'until <time datetime="2025-07-07">7 July 2025</time>', country)
    assert "until</span>," not in country


def test_values_are_escaped() -> None:
    import pyoxigraph as ox

    from publisher.linked_data.html import entity_page
    from publisher.linked_data.views import Labeler
    from publisher.pages import SiteContext

    base = "http://example.org/"
    me = ox.NamedNode(base + "id/x/evil")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    note = ox.NamedNode("http://www.w3.org/2004/02/skos/core#note")
    quads = [ox.Quad(me, label, ox.Literal("<script>alert(1)</script>")),
             ox.Quad(me, note, ox.Literal('"><img src=x onerror=alert(1)>'))]
    site = SiteContext(base, "/", "0" * 20, "today")
    jsonld = json.dumps({"@id": "</script><script>alert(2)</script>"}).encode()
    page = entity_page(quads, me.value, Labeler(base), site, base + "doc/x/evil", jsonld).decode()
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "\\u003c/script\\u003e" in page


# -- 404, 405, HEAD -------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/id/person/nobody", "/doc/person/nobody",
                                  "/doc/person/nobody.ttl", "/ontology/Nothing",
                                  "/id/", "/dumps/nothing.gz", "/shapes.pdf"])
def test_missing_iri_is_a_helpful_404(client: TestClient, path: str) -> None:
    page = client.get(path, headers={"accept": BROWSER})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "home page" in page.text
    text = client.get(path, headers={"accept": "text/turtle"})
    assert text.status_code == 404
    assert text.headers["content-type"].startswith("text/plain")
    assert "Nothing is published at" in text.text


def test_404_suggests_close_matches(client: TestClient, base: str) -> None:
    page = client.get("/id/person/sergey-lavrof", headers={"accept": BROWSER})
    assert page.status_code == 404
    assert f"{base}id/person/sergey-lavrov" in page.text


def test_404_suggestions_stay_bounded(client: TestClient, base: str,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A miss is never cached, so its cost is bounded: only the alphabetical neighbours
    of the path among its own kind are compared, and a long path gets no suggestions."""
    from publisher.linked_data import urls

    monkeypatch.setattr(urls, "MAX_SUGGESTION_CANDIDATES", 2)
    near = client.get("/id/person/sergey-lavrof", headers={"accept": BROWSER})
    assert f'href="{base}id/person/sergey-lavrov"' in near.text
    long = client.get("/id/person/" + "sergey-lavrov" * 20, headers={"accept": BROWSER})
    assert long.status_code == 404
    assert f'href="{base}id/person/sergey-lavrov"' not in long.text


#: Paths that name no IRI at all (a space, a quote, brackets, a backslash, control
#: characters, a C1 control character): a 404 like any other, never a 500.
HOSTILE = ["a%20b", "%22", "%3E", "%3C", "%7B", "%7D", "%5C", "%60", "%5E", "%7C", "a%00b",
           "%0A", "%0D%0A", "%7F", "%C2%8A", "%FF", "%C3%28", "%E2%80%AE", "..%2F..%2Fetc",
           "%25", "%"]


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("prefix", ["id/person/", "doc/person/", "doc/", "ontology/",
                                    "shapes/", "dumps/", "static/", "void.", "ontology."])
def test_no_500_for_paths_that_are_no_iri(client: TestClient, prefix: str,
                                          hostile: str) -> None:
    for accept in ("text/turtle", BROWSER):
        response = client.get(f"/{prefix}{hostile}", headers={"accept": accept})
        assert response.status_code in (404, 406), (prefix, hostile, response.text)
    assert client.get(f"/doc/person/{hostile}.ttl").status_code == 404


def test_home_page_query_links_open_the_query_page(client: TestClient, base: str) -> None:
    """Its "run it" links, followed by a browser, show the query page with the query
    loaded and its results as a table."""
    page = client.get("/", headers={"accept": BROWSER}).text
    links = [html.unescape(link) for link in re.findall(r'href="([^"]*sparql\?query=[^"]*)"',
                                                        page)]
    assert len(links) >= 3
    for link in links:
        response = client.get(link[len(base) - 1:], headers={"accept": BROWSER})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/html")
        editor = re.search(r'<textarea id="query"[^>]*>(.*?)</textarea>', response.text, re.S)
        assert html.unescape(editor.group(1)) == urllib.parse.parse_qs(
            urllib.parse.urlsplit(link).query)["query"][0]
        assert '<table class="results">' in response.text


def test_unrouted_path_gets_the_same_404(client: TestClient) -> None:
    response = client.get("/no/such/page", headers={"accept": BROWSER})
    assert response.status_code == 404
    assert "home page" in response.text
    assert client.get("/no/such/page", headers={"accept": "*/*;q=0.1, text/plain"}
                      ).headers["content-type"].startswith("text/plain")


def test_writes_are_refused(client: TestClient) -> None:
    response = client.post(f"/doc/{LAVROV}", content=b"x")
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]


@pytest.mark.parametrize("path", ["/", f"/id/{LAVROV}", f"/doc/{LAVROV}", f"/doc/{LAVROV}.ttl",
                                  "/ontology", "/shapes", "/void", "/.well-known/void",
                                  "/dumps/", "/dumps/dataset.nq.gz", "/id/person/nobody",
                                  "/static/css/site.css"])
def test_head_works_everywhere(client: TestClient, path: str) -> None:
    plain = {"accept-encoding": "identity"}
    got = client.get(path, headers=plain)
    head = client.head(path, headers=plain)
    assert head.status_code == got.status_code
    assert head.content == b""
    for name in ("content-type", "etag", "location", "content-location", "link"):
        assert head.headers.get(name) == got.headers.get(name)
    if got.status_code == 200:
        assert int(head.headers["content-length"]) == len(got.content)


# -- caching --------------------------------------------------------------------------------

def test_validators_and_cache_control(client: TestClient) -> None:
    response = client.get(f"/doc/{LAVROV}.ttl")
    assert re.fullmatch(r'"[0-9a-f]+(-gzip|-br)?"', response.headers["etag"])
    assert response.headers["last-modified"].endswith("GMT")
    assert "public" in response.headers["cache-control"]
    assert "max-age=" in response.headers["cache-control"]


def test_each_variant_has_its_own_etag(client: TestClient) -> None:
    tags = {client.get(f"/doc/{LAVROV}.{f.extension}",
                       headers={"accept-encoding": "identity"}).headers["etag"]
            for f in formats.DOCUMENT_FORMATS}
    assert len(tags) == len(formats.DOCUMENT_FORMATS)


def test_if_none_match_gives_304(client: TestClient) -> None:
    first = client.get(f"/doc/{LAVROV}", headers={"accept": "text/turtle"})
    again = client.get(f"/doc/{LAVROV}", headers={"accept": "text/turtle",
                                                  "if-none-match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["vary"] == first.headers["vary"]
    weak = client.get(f"/doc/{LAVROV}.ttl",
                      headers={"if-none-match": f'"other", W/{first.headers["etag"]}'})
    assert weak.status_code == 304
    other_format = client.get(f"/doc/{LAVROV}.nt",
                              headers={"if-none-match": first.headers["etag"]})
    assert other_format.status_code == 200


def test_if_modified_since_gives_304(client: TestClient) -> None:
    first = client.get(f"/doc/{LAVROV}.ttl")
    again = client.get(f"/doc/{LAVROV}.ttl",
                       headers={"if-modified-since": first.headers["last-modified"]})
    assert again.status_code == 304
    older = client.get(f"/doc/{LAVROV}.ttl",
                       headers={"if-modified-since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert older.status_code == 200


@pytest.mark.parametrize("coding,decode", [("gzip", gzip.decompress),
                                           ("br", brotli.decompress)])
def test_precompressed_bodies(client: TestClient, coding: str, decode) -> None:
    plain = client.get(f"/doc/{LAVROV}.html", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    packed = client.stream("GET", f"/doc/{LAVROV}.html", headers={"accept-encoding": coding})
    with packed as response:
        raw = b"".join(response.iter_raw())
        assert response.headers["content-encoding"] == coding
        assert response.headers["etag"] != plain.headers["etag"]
    assert decode(raw) == plain.content


def test_brotli_preferred_and_q0_respected(client: TestClient) -> None:
    with client.stream("GET", f"/doc/{LAVROV}.html",
                       headers={"accept-encoding": "gzip, deflate, br"}) as response:
        assert response.headers["content-encoding"] == "br"
    with client.stream("GET", f"/doc/{LAVROV}.html",
                       headers={"accept-encoding": "br;q=0, gzip"}) as response:
        assert response.headers["content-encoding"] == "gzip"


# -- CORS -----------------------------------------------------------------------------------

def test_cors_preflight(client: TestClient) -> None:
    response = client.options(f"/doc/{LAVROV}", headers={
        "origin": "https://example.org", "access-control-request-method": "GET",
        "access-control-request-headers": "accept"})
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "GET" in response.headers["access-control-allow-methods"]


def test_cors_on_documents_exposes_link_headers(client: TestClient) -> None:
    response = client.get(f"/doc/{LAVROV}", headers={"origin": "https://example.org"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "Link" in response.headers["access-control-expose-headers"]


# -- ontology and shapes --------------------------------------------------------------------

@pytest.mark.parametrize("doc", ["ontology", "shapes"])
def test_vocabulary_documents_negotiate(client: TestClient, base: str, doc: str,
                                        base_path: str) -> None:
    page = client.get(f"/{doc}", headers={"accept": BROWSER})
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-location"] == f"{base_path}{doc}.html"
    turtle = client.get(f"/{doc}", headers={"accept": "text/turtle"})
    graph = graph_of(turtle.content, "ttl", base)
    assert (rdflib.URIRef(base + doc), rdflib.RDF.type, rdflib.OWL.Ontology) in graph
    for ext in ("jsonld", "rdf", "nt"):
        other = graph_of(client.get(f"/{doc}.{ext}").content, ext, base)
        assert isomorphic(other, graph)


def test_ontology_terms_have_anchors_and_slash_redirects(client: TestClient,
                                                         base_path: str) -> None:
    page = client.get("/ontology.html").text
    assert 'id="Meeting"' in page and 'id="participant"' in page
    assert "A gathering of two or more parties" in page
    slash = client.get("/ontology/Meeting")
    assert slash.status_code == 303
    assert slash.headers["location"] == f"{base_path}ontology#Meeting"
    version = client.get("/ontology/1.0.0")
    assert version.status_code == 303 and version.headers["location"] == f"{base_path}ontology"


def test_shapes_page_documents_each_shape(client: TestClient) -> None:
    page = client.get("/shapes.html").text
    assert 'id="EnglishLabel"' in page
    assert "Every entity needs a label" in page


# -- home, dataset description, dumps -------------------------------------------------------

def test_home_page(client: TestClient, settings, base: str) -> None:
    page = client.get("/", headers={"accept": BROWSER})
    assert page.status_code == 200
    text = page.text
    assert "Diplomacy facts" in text
    assert "Entities by class" in text and "What “person” means</a>" in text
    assert f'href="{base}sparql' in text and f'href="{base}validate"' in text
    assert f'href="{base}void"' in text and f'href="{base}dumps/"' in text
    assert "Example queries" in text and "SELECT" in text
    assert f'href="{base}id/{LAVROV}"' in text
    graph = rdflib.Graph().parse(data=embedded_jsonld(text), format="json-ld")
    assert len(graph) > 50


def test_home_negotiates_to_the_dataset_description(client: TestClient,
                                                    base_path: str) -> None:
    response = client.get("/", headers={"accept": "text/turtle"})
    assert response.status_code == 200
    assert response.headers["content-location"] == f"{base_path}void.ttl"
    assert "void:Dataset" in response.text


def test_well_known_void_redirects(client: TestClient, base_path: str) -> None:
    response = client.get("/.well-known/void")
    assert response.status_code == 303 and response.headers["location"] == f"{base_path}void"


@pytest.fixture(scope="module")
def void_graph(client: TestClient, base: str) -> rdflib.Graph:
    return graph_of(client.get("/void.ttl").content, "ttl", base)


def test_void_counts_and_vocabularies(void_graph: rdflib.Graph, settings, base: str) -> None:
    from publisher.snapshot import open_live

    VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
    dataset = rdflib.URIRef(base + "void#dataset")
    stats = open_live(settings).build.stats
    assert int(void_graph.value(dataset, VOID.triples)) == stats["triples"]
    partitions = {str(void_graph.value(p, VOID["class"])): int(void_graph.value(p, VOID.entities))
                  for p in void_graph.objects(dataset, VOID.classPartition)}
    assert partitions == stats["entities_per_class"]
    vocabularies = {str(v) for v in void_graph.objects(dataset, VOID.vocabulary)}
    assert {base + "ontology", "http://www.w3.org/ns/org#", "http://schema.org/"} <= vocabularies
    assert void_graph.value(dataset, VOID.sparqlEndpoint) == rdflib.URIRef(base + "sparql")
    assert void_graph.value(dataset, rdflib.DCTERMS.license) is not None
    sources = set(void_graph.objects(dataset, rdflib.DCTERMS.source))
    article = base + "id/article/bernama-lavrov-rubio-meeting-being-finalised"
    assert rdflib.URIRef(article) in sources


def test_dumps_match_their_description(client: TestClient, void_graph: rdflib.Graph,
                                       settings, base: str) -> None:
    from publisher.snapshot import open_live

    DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
    distributions = list(void_graph.objects(rdflib.URIRef(base + "void#dataset"),
                                            DCAT.distribution))
    assert len(distributions) == 3
    for distribution in distributions:
        url = str(void_graph.value(distribution, DCAT.downloadURL))
        response = client.get(url[len(base) - 1:])
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/gzip"
        assert "content-encoding" not in response.headers
        body = response.content
        assert int(void_graph.value(distribution, DCAT.byteSize)) == len(body)
        checksum = void_graph.value(distribution, SPDX.checksum)
        assert str(void_graph.value(checksum, SPDX.checksumValue)) == hashlib.sha256(
            body).hexdigest()
    nquads = gzip.decompress(client.get("/dumps/dataset.nq.gz").content)
    dataset = rdflib.Dataset()
    dataset.parse(data=nquads, format="nquads")
    assert len(list(dataset.quads((None, None, None, None)))) == open_live(
        settings).build.stats["triples"]
    turtle = gzip.decompress(client.get("/dumps/dataset.ttl.gz").content)
    assert len(rdflib.Graph().parse(data=turtle, format="turtle")) > 1000
    # one gzip member per graph: each file is still the whole dataset (TriG the same
    # quads, Turtle their union, a statement made by several sources merged)
    trig = gzip.decompress(client.get("/dumps/dataset.trig.gz").content)
    quads = set(ox.parse(nquads, format=ox.RdfFormat.N_QUADS, rename_blank_nodes=False))
    assert set(ox.parse(trig, format=ox.RdfFormat.TRIG, rename_blank_nodes=False)) == quads
    assert {quad.triple for quad in ox.parse(turtle, format=ox.RdfFormat.TURTLE,
                                             rename_blank_nodes=False)} == {
        quad.triple for quad in quads}


def test_dumps_page_lists_size_and_checksum(client: TestClient, base_path: str) -> None:
    page = client.get("/dumps/").text
    body = client.get("/dumps/dataset.nq.gz").content
    assert hashlib.sha256(body).hexdigest() in page
    assert f"{len(body):,} bytes" in page
    assert client.get("/dumps").headers["location"] == f"{base_path}dumps/"


# -- base IRI and the listening address differ ----------------------------------------------

def test_routes_match_the_base_path_whatever_the_host(app, base: str, base_path: str) -> None:
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as other:
        response = other.get(f"{base_path}id/{LAVROV}")
        assert response.status_code == 303
        assert response.headers["location"] == f"{base_path}doc/{LAVROV}"
        document = other.get(f"{base_path}doc/{LAVROV}.ttl")
        assert f"<{base}id/{LAVROV}>" in document.text     # IRIs keep the base
