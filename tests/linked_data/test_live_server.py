"""Against a real uvicorn process on loopback: rdflib dereferencing and a full crawl."""

from __future__ import annotations

import html
import re
from collections import deque
from urllib.parse import urldefrag

import httpx
import rdflib

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_rdflib_dereferences_a_person(server: str) -> None:
    graph = rdflib.Graph().parse(server + "id/person/sergey-lavrov")
    me = rdflib.URIRef(server + "id/person/sergey-lavrov")
    assert (me, rdflib.RDFS.label, rdflib.Literal("Sergey Lavrov", lang="en")) in graph
    participant = rdflib.URIRef(server + "ontology#participant")
    assert len(set(graph.subjects(participant, me))) >= 10


def test_real_client_sees_303_and_compression(server: str, base_path: str) -> None:
    with httpx.Client(base_url=server, headers={"accept-encoding": "br, gzip"}) as client:
        response = client.get("id/person/sergey-lavrov", headers={"accept": "text/turtle"})
        assert response.status_code == 303
        assert response.headers["location"] == f"{base_path}doc/person/sergey-lavrov"
        document = client.get(str(response.url.join(response.headers["location"])),
                              headers={"accept": "text/turtle"})
        assert document.status_code == 200
        # from the build's document pack, which holds gzip only (PACKED_CODINGS)
        assert document.headers["content-encoding"] == "gzip"
        assert "Sergey Lavrov" in document.text
        again = client.get("doc/person/sergey-lavrov", headers={
            "accept": "text/turtle", "if-none-match": document.headers["etag"]})
        assert again.status_code == 304
        # a page is rendered on request, and compressed with the policy's first choice
        page = client.get("doc/person/sergey-lavrov", headers={"accept": "text/html"})
        assert page.headers["content-encoding"] == "br"
        # a client that takes brotli only gets the document as it is, with its own tag
        plain = client.get("doc/person/sergey-lavrov", headers={
            "accept": "text/turtle", "accept-encoding": "br"})
        assert "content-encoding" not in plain.headers
        assert plain.text == document.text
        assert plain.headers["etag"] != document.headers["etag"]


def _links_in_html(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'(?:href|src)="([^"]+)"', page)]


def _iris_in_rdf(body: bytes, base: str) -> set[str]:
    graph = rdflib.Graph().parse(data=body, format="turtle")
    return {str(term) for triple in graph for term in triple
            if isinstance(term, rdflib.URIRef) and str(term).startswith(base)}


def test_crawl_every_link_from_the_home_page(server: str) -> None:
    """Follow every link under the base from the home page (HTML links, the query page's
    links included, and every IRI in the Turtle of each document): each must answer 200
    to a browser after redirects, never 404, 406 or 500."""
    seen: set[str] = set()
    queue: deque[tuple[str, str]] = deque([(server, "/")])
    failures: list[str] = []
    documents = 0
    with httpx.Client(follow_redirects=True, timeout=30) as client:
        while queue:
            url, found_on = queue.popleft()
            url = urldefrag(url)[0]
            if url in seen or not url.startswith(server):
                continue
            seen.add(url)
            response = client.get(url, headers={"accept": BROWSER})
            if response.status_code != 200:
                failures.append(f"{url} (linked from {found_on}): {response.status_code}")
                continue
            if not response.headers["content-type"].startswith("text/html"):
                continue
            documents += 1
            for link in _links_in_html(response.text):
                absolute = str(httpx.URL(str(response.url)).join(link))
                queue.append((absolute, url))
            for rel in re.findall(r'<([^>]+)>; rel="alternate"; type="text/turtle"',
                                  response.headers.get("link", "")):
                turtle = client.get(str(httpx.URL(str(response.url)).join(rel)))
                for iri in _iris_in_rdf(turtle.content, server):
                    queue.append((iri, f"{url} (Turtle)"))
    assert not failures, "dead links:\n" + "\n".join(failures[:50])
    assert documents > 250          # every entity page was reached
    assert server + "doc/person/sergey-lavrov" in seen
    assert server + "ontology" in seen and server + "shapes" in seen
