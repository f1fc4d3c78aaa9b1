"""The dataset as a whole: its VoID/DCAT description, its dumps and the home page summary.

Everything here is computed from the store once per build (counts, classes,
vocabularies, sources), so the description can never disagree with the data; the
dumps are gzipped deterministically (fixed mtime, sorted statements) so that every
worker computes the same size and SHA-256 that the description advertises.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import quote

import pyoxigraph as ox

from ..formats.rdf import EXTRA_PREFIXES
from ..namespaces import STANDARD, prefixes
from ..settings import Settings
from ..store import Store
from .describe import RDF_TYPE, WAS_DERIVED_FROM
from .dumps import Dump

NS = {**STANDARD, **EXTRA_PREFIXES}
XSD = NS["xsd"]
IANA = "https://www.iana.org/assignments/media-types/"

#: Dataset metadata that has no other home in the data; everything else is computed.
TITLE = "Diplomacy facts"
DESCRIPTION = (
    "Curated facts about diplomatic events (meetings, talks, summits, visits), the people "
    "and states taking part, memberships and chairmanships of international organisations "
    "and treaty actions, each stated in a named graph per news source and traceable to "
    "the article it comes from."
)


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _term(prefix: str, local: str) -> ox.NamedNode:
    return ox.NamedNode(NS[prefix] + local)


@dataclass
class ClassEntry:
    iri: str
    count: int
    entities: list[str] = field(default_factory=list)


@dataclass
class Summary:
    """What the home page and the VoID description say about the dataset."""

    triples: int
    classes: list[ClassEntry]
    entity_count: int
    featured: list[tuple[str, int]]
    graphs: list[tuple[str, int]]
    articles: list[str]
    vocabularies: list[str]
    licence: str | None
    publishers: list[str]


def summarize(store: Store, stats: dict, settings: Settings) -> Summary:
    """Counts per class, featured entities, graphs, sources and vocabularies in use."""
    base, ontology_iri, id_base = settings.base, settings.ontology_iri, settings.id_base
    ontology = _n(ontology_iri)
    members: dict[str, set[str]] = defaultdict(set)
    incoming: Counter[str] = Counter()
    vocab_iris: set[str] = set()
    for quad in store.quads(None, None, None, None):
        if quad.graph_name == ontology:
            continue
        vocab_iris.add(quad.predicate.value)
        if quad.predicate == RDF_TYPE and isinstance(quad.object, ox.NamedNode):
            vocab_iris.add(quad.object.value)
            if isinstance(quad.subject, ox.NamedNode):
                members[quad.object.value].add(quad.subject.value)
        elif (isinstance(quad.object, ox.NamedNode) and quad.object.value.startswith(id_base)
              and isinstance(quad.subject, ox.NamedNode)
              and quad.predicate.value != NS["dcterms"] + "source"):
            incoming[quad.object.value] += 1
    classes = [ClassEntry(cls, len(found), sorted(found)) for cls, found in members.items()]
    classes.sort(key=lambda c: (-c.count, c.iri))
    everything = set().union(*members.values()) if members else set()
    skip_kinds = ("graph/", "article/")
    featured = [(iri, n) for iri, n in incoming.most_common()
                if not iri[len(id_base):].startswith(skip_kinds)][:8]
    per_graph = stats.get("triples_per_graph", {})
    graphs = sorted((g, n) for g, n in per_graph.items() if g and g != ontology_iri)
    articles = sorted({q.object.value for q in store.quads(None, WAS_DERIVED_FROM, None,
                                                              ox.DefaultGraph())
                       if isinstance(q.object, ox.NamedNode)})
    licence = next((q.object.value for q in store.quads(
        ontology, _term("dcterms", "license"), None, None)
        if isinstance(q.object, ox.NamedNode)), None)
    publishers = sorted({q.object.value for q in store.quads(
        None, _term("prov", "wasAttributedTo"), None, ox.DefaultGraph())
        if isinstance(q.object, ox.NamedNode)})
    vocabularies = set()
    namespaces = prefixes(base)
    for iri in vocab_iris:
        for name, namespace in namespaces.items():
            if iri.startswith(namespace):
                vocabularies.add(ontology_iri if name == "dip" else namespace)
    return Summary(
        triples=int(stats.get("triples", 0)), classes=classes, entity_count=len(everything),
        featured=featured, graphs=graphs, articles=articles,
        vocabularies=sorted(vocabularies), licence=licence, publishers=publishers,
    )


def dataset_iri(base: str) -> str:
    return base + "void#dataset"


def _lit(value: object, datatype: str | None = None, lang: str | None = None) -> ox.Literal:
    if lang:
        return ox.Literal(str(value), language=lang)
    return ox.Literal(str(value), datatype=_n(XSD + datatype) if datatype else None)


class _Quads(list):
    """Triples in the default graph, added one statement at a time."""

    def add(self, s: ox.NamedNode | ox.BlankNode, p: ox.NamedNode, o: ox.Term) -> None:
        self.append(ox.Quad(s, p, o))


def void_quads(summary: Summary, dumps: list[Dump], settings: Settings, built_at: str,
               build_id: str) -> list[ox.Quad]:
    """VoID + DCAT: size, classes, vocabularies, endpoint, dumps (size, SHA-256), sources."""
    base = settings.base
    out = _Quads()
    doc, dataset = _n(base + "void"), _n(dataset_iri(base))
    out.add(doc, RDF_TYPE, _term("void", "DatasetDescription"))
    out.add(doc, _term("dcterms", "title"), _lit(f"Description of the {TITLE} dataset",
                                                 lang="en"))
    out.add(doc, _term("foaf", "primaryTopic"), dataset)
    _describe_dataset(out, dataset, summary, settings, built_at, build_id)
    _describe_contents(out, dataset, summary)
    service = _n(base + "void#sparql")
    out.add(service, RDF_TYPE, _term("dcat", "DataService"))
    out.add(service, _term("rdfs", "label"), _lit("SPARQL 1.1 endpoint", lang="en"))
    out.add(service, _term("dcat", "endpointURL"), _n(settings.sparql_endpoint))
    out.add(service, _term("dcat", "servesDataset"), dataset)
    for dump in dumps:
        _describe_dump(out, dataset, dump, base, summary.licence)
    return list(out)


def _describe_dataset(out: _Quads, dataset: ox.NamedNode, summary: Summary,
                      settings: Settings, built_at: str, build_id: str) -> None:
    out.add(dataset, RDF_TYPE, _term("void", "Dataset"))
    out.add(dataset, RDF_TYPE, _term("dcat", "Dataset"))
    out.add(dataset, _term("rdfs", "label"), _lit(TITLE, lang="en"))
    out.add(dataset, _term("dcterms", "title"), _lit(TITLE, lang="en"))
    out.add(dataset, _term("dcterms", "description"), _lit(DESCRIPTION, lang="en"))
    out.add(dataset, _term("dcterms", "modified"), _lit(built_at, "dateTime"))
    out.add(dataset, _term("owl", "versionInfo"), _lit(build_id))
    if summary.licence:
        out.add(dataset, _term("dcterms", "license"), _n(summary.licence))
    for publisher in summary.publishers:
        out.add(dataset, _term("dcterms", "publisher"), _n(publisher))
    out.add(dataset, _term("void", "uriSpace"), _lit(settings.id_base))
    out.add(dataset, _term("void", "triples"), _lit(summary.triples, "integer"))
    out.add(dataset, _term("void", "entities"), _lit(summary.entity_count, "integer"))
    out.add(dataset, _term("void", "sparqlEndpoint"), _n(settings.sparql_endpoint))
    out.add(dataset, _term("void", "rootResource"), _n(settings.base))


def _describe_contents(out: _Quads, dataset: ox.NamedNode, summary: Summary) -> None:
    for iri, _count in summary.featured:
        out.add(dataset, _term("void", "exampleResource"), _n(iri))
    for vocabulary in summary.vocabularies:
        out.add(dataset, _term("void", "vocabulary"), _n(vocabulary))
    for article in summary.articles:
        out.add(dataset, _term("dcterms", "source"), _n(article))
    for index, entry in enumerate(summary.classes):
        partition = ox.BlankNode(f"class{index}")
        out.add(dataset, _term("void", "classPartition"), partition)
        out.add(partition, _term("void", "class"), _n(entry.iri))
        out.add(partition, _term("void", "entities"), _lit(entry.count, "integer"))
    for graph, count in summary.graphs:
        out.add(dataset, _term("void", "subset"), _n(graph))
        out.add(_n(graph), RDF_TYPE, _term("void", "Dataset"))
        out.add(_n(graph), _term("void", "triples"), _lit(count, "integer"))


def _describe_dump(out: _Quads, dataset: ox.NamedNode, dump: Dump, base: str,
                   licence: str | None) -> None:
    distribution = _n(base + "void#" + dump.name.replace(".", "-"))
    out.add(dataset, _term("dcat", "distribution"), distribution)
    out.add(dataset, _term("void", "dataDump"), _n(base + "dumps/" + dump.name))
    out.add(distribution, RDF_TYPE, _term("dcat", "Distribution"))
    out.add(distribution, _term("rdfs", "label"), _lit(dump.title, lang="en"))
    out.add(distribution, _term("dcterms", "title"), _lit(dump.title, lang="en"))
    out.add(distribution, _term("dcat", "downloadURL"), _n(base + "dumps/" + dump.name))
    out.add(distribution, _term("dcat", "mediaType"), _n(IANA + dump.inner.media_type))
    out.add(distribution, _term("dcat", "compressFormat"), _n(IANA + "application/gzip"))
    out.add(distribution, _term("dcat", "byteSize"), _lit(dump.size, "nonNegativeInteger"))
    checksum = ox.BlankNode("checksum-" + dump.name.replace(".", "-"))
    out.add(distribution, _term("spdx", "checksum"), checksum)
    out.add(checksum, RDF_TYPE, _term("spdx", "Checksum"))
    out.add(checksum, _term("spdx", "algorithm"), _term("spdx", "checksumAlgorithm_sha256"))
    out.add(checksum, _term("spdx", "checksumValue"), _lit(dump.sha256, "hexBinary"))
    if licence:
        out.add(distribution, _term("dcterms", "license"), _n(licence))


def example_queries(base: str) -> list[tuple[str, str, str]]:
    """(title, query, link that opens it on the query page) for the home page.

    The same examples the query page offers (:mod:`publisher.sparql.examples`): one list.
    """
    from ..sparql.examples import EXAMPLES

    return [(example.question, query, f"{base}sparql?query={quote(query)}")
            for example in EXAMPLES[:3] for query in [example.query(base)]]
