"""The child process that validates one submission, and the validation core it runs.

One fresh process per submission: whatever a hostile document does to the parsers or
to pyshacl (stack overflow, runaway time or memory) ends with this process, and no
state survives from one submission to the next. The process never opens the published
store: it asks the web process for context over its pipe, so the store is touched only
by the one interface that owns it (:class:`publisher.store.Store`), read-only.

Messages on the pipe are JSON, never pickle, so even a compromised child cannot make the
web process execute anything by what it sends back.

Protocol (child -> parent, one JSON object per message; parent replies to ``ask``):
``{"op": "ask", "question": "context" | "exists", ...}``, then one final
``{"op": "done", ...}`` | ``{"op": "invalid", ...}`` | ``{"op": "failed", ...}`` |
``{"op": "memory"}`` (MemoryError: the submission needed more than the worker's cap).

The process runs under a memory cap (:func:`publisher.process.limit_memory`): past it,
Python code raises MemoryError, reported as ``memory``, and the parsers (Rust) abort the
process, which the parent recognises by its exit status.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import time
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from ..namespaces import compact
from ..pipeline.mapping import parse_turtle_dir
from ..pipeline.shacl import (
    SEVERITY_ORDER,
    parse_report,
    run_shacl,
    run_shacl_turbo,
    shape_label,
    shape_owner,
    to_rdflib_graph,
)
from ..process import die_with_parent, limit_memory, peak_resident_mb
from .submission import Document, SubmissionError, SubmissionTooLarge, parse_document

#: Components whose failing IRI value is a reference worth looking up in the dataset.
REFERENCE_COMPONENTS = frozenset({
    "ClassConstraintComponent", "OrConstraintComponent", "XoneConstraintComponent",
    "NodeConstraintComponent",
})
#: Added to the worker's nice value: the web process keeps priority over validations.
WORKER_NICENESS = 5
#: Largest single message the parent accepts from a worker (the report).
MAX_MESSAGE_BYTES = 64 * 1024 * 1024

Ask = Callable[[str, dict[str, Any]], dict[str, Any]]


def validation_vocab(base: str) -> str:
    """Namespace of the report's own annotations (``val:valueInPublishedDataset``)."""
    return base + "validate#"


# --------------------------------------------------------------------------- process


def main(conn: Connection, memory_mb: int = 0) -> None:
    """Entry point of the child: read the job, validate, send one final message."""
    _harden(memory_mb)
    out_of_memory = False
    try:
        job = json.loads(conn.recv_bytes())
        documents = [Document(spec["name"], ox.RdfFormat.from_media_type(spec["format"]),
                              conn.recv_bytes()) for spec in job["documents"]]
        ask = (lambda question, body: _ask(conn, question, body)) if job["context"] else None
        outcome = validate_documents(documents, job["base"], Path(job["shapes_dir"]),
                                     Path(job["ontology_dir"]), ask,
                                     max_triples=job.get("max_triples"),
                                     engine=job.get("engine", "turbo"))
        _send(conn, {"op": "done", **outcome})
    except SubmissionError as error:
        _send(conn, {"op": "invalid", **error.as_dict()})
    except MemoryError:
        # Answered below, once leaving this handler has dropped the traceback and,
        # with it, the graphs that filled the memory.
        out_of_memory = True
    except Exception as error:  # noqa: BLE001 - the parent must get an answer, not EOF
        _send(conn, {"op": "failed", "message": f"{type(error).__name__}: {error}"})
    if out_of_memory:
        _send(conn, {"op": "memory"})
    conn.close()


def _send(conn: Connection, message: dict[str, Any]) -> None:
    conn.send_bytes(json.dumps(message, ensure_ascii=False).encode("utf-8"))


def _ask(conn: Connection, question: str, body: dict[str, Any]) -> dict[str, Any]:
    _send(conn, {"op": "ask", "question": question, **body})
    return json.loads(conn.recv_bytes())


def _harden(memory_mb: int = 0) -> None:
    """Die with the parent, leave the network, yield the CPU, cap the memory.

    The network namespace is defence in depth: nothing here fetches (tests prove it),
    and if some future parser tried, it would find no network to use.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        clone_newnet, clone_newuser = 0x40000000, 0x10000000
        for flags in (clone_newnet, clone_newuser | clone_newnet):
            if libc.unshare(flags) == 0:
                break
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    limit_memory(memory_mb)


# --------------------------------------------------------------------------- core


def validate_documents(documents: list[Document], base: str, shapes_dir: Path,
                       ontology_dir: Path, ask: Ask | None,
                       max_triples: int | None = None,
                       engine: str = "turbo") -> dict[str, Any]:
    """Parse, add context from the published data, validate, keep the submission's results.

    ``engine`` is the build's (``settings.shacl_engine``): pyshacl-turbo by default, which
    ``tests/pipeline/test_shacl_engines.py`` holds equal to pyshacl on our shapes and which
    validates a 1,000-triple document with its context in milliseconds, not seconds.

    ``ask`` reaches the published store (through the parent); None validates the
    submission standalone. ``max_triples`` bounds the whole submission (all documents).
    Returns a JSON-ready dict that :mod:`.report` turns back into a
    :class:`~.report.ValidationReport`.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    submission, defined_in = parse_submission(documents, base, max_triples)
    subjects = set(defined_in)
    timings["parse"] = _lap(started)

    context = Graph()
    if ask is not None:
        reply = ask("context", {"subjects": sorted(_iris(subjects)),
                                "mentioned": sorted(mentioned_iris(submission))})
        context_quads = ox.parse(reply["ntriples"].encode("utf-8"),
                                 format=ox.RdfFormat.N_TRIPLES, rename_blank_nodes=True)
        to_rdflib_graph(context_quads, context)
    timings["context"] = _lap(started) - timings["parse"]

    shapes = to_rdflib_graph(parse_turtle_dir(shapes_dir, base, None))
    ontology = to_rdflib_graph(parse_turtle_dir(ontology_dir, base, None))
    data = Graph()
    data += submission
    data += context
    if ask is None or engine == "turbo":
        # The shapes import the ontology: its individuals (roles, statuses, precisions)
        # are typed there, so a document naming dip:Chair or dip:Stated needs no more.
        # (With the published dataset, the context already brings their types.) Turbo
        # takes no separate ontology graph: its class hierarchy comes with the data.
        data += ontology
    shacl = (run_shacl_turbo(data, shapes) if engine == "turbo"
             else run_shacl(data, shapes, ontology))
    report_graph, result_nodes = keep_results(shacl.graph, subjects)
    timings["validate"] = _lap(started) - timings["parse"] - timings["context"]

    rows = [describe_result(report_graph, node, shapes, base) for node in result_nodes]
    submitted = _iris(subjects)
    for row in rows:
        if row["reference"] == "unchecked" and row["value"] in submitted:
            row["reference"] = "submission"
    look_up = sorted({row["value"] for row in rows if row["reference"] == "unchecked"}
                     | {row["focus"] for row in rows if not row["focus"].startswith("_:")})
    published: set[str] = set()
    if ask is not None and look_up:
        published = set(ask("exists", {"iris": look_up})["iris"])
        vocab = URIRef(validation_vocab(base) + "valueInPublishedDataset")
        for node, row in zip(result_nodes, rows, strict=True):
            if row["reference"] == "unchecked":
                row["reference"] = "dataset" if row["value"] in published else "missing"
                report_graph.add((node, vocab, Literal(row["reference"] == "dataset")))
    ordered = sorted(zip(result_nodes, rows, strict=True), key=lambda pair: _row_order(pair[1]))
    rows = [row for _node, row in ordered]
    conforms = not any(row["severity"] == "Violation" for row in rows)
    report_nt = ordered_ntriples(report_graph, [node for node, _row in ordered], conforms,
                                 keep_labels=_blank_nodes(submission))
    timings["total"] = _lap(started)

    focus = {}
    for row in rows:
        node = _node_from_key(row["focus"])
        focus.setdefault(row["focus"], {
            "types": sorted(compact(str(t), base) for t in data.objects(node, RDF.type)),
            "documents": defined_in.get(node, []),
            "published": row["focus"] in published,
        })
    return {
        "conforms": conforms,
        "report_nt": report_nt,
        "rows": rows,
        "focus": focus,
        "stats": {"documents": [d.name for d in documents], "triples": len(submission),
                  "subjects": len(subjects), "context_triples": len(context),
                  "timings": {k: round(v, 4) for k, v in timings.items()},
                  "worker_max_rss_mb": _max_rss_mb()},
    }


def _blank_nodes(graph: Graph) -> set[Node]:
    return {term for triple in graph for term in triple if isinstance(term, BNode)}


#: Order of a result's properties in the serialized report (the rest follow).
RESULT_PREDICATES = (RDF.type, SH.focusNode, SH.resultPath, SH.value, SH.resultMessage,
                     SH.resultSeverity, SH.sourceShape, SH.sourceConstraintComponent)


def ordered_ntriples(report: Graph, results: list[Node], conforms: bool,
                     keep_labels: set[Node]) -> str:
    """The report as N-Triples in reading order, with stable blank node labels.

    Serializers group consecutive triples by subject, so writing the report node first
    and each result with its own blank nodes after it makes the Turtle read top-down in
    the same order as the table. Blank nodes of the report get stable labels
    (``_:report``, ``_:result1``...) so the same submission gives the same bytes; blank
    nodes of the submission keep the labels the submitter wrote.
    """
    report_node = next(report.subjects(RDF.type, SH.ValidationReport))
    labels: dict[Node, BNode] = {report_node: BNode("report")}
    labels.update({node: BNode(f"result{i}") for i, node in enumerate(results, start=1)})

    def term(node: Node) -> Node:
        if not isinstance(node, BNode) or node in keep_labels:
            return node
        if node not in labels:
            labels[node] = BNode(f"b{len(labels) - len(results)}")
        return labels[node]

    triples: list[tuple[Node, Node, Node]] = [
        (report_node, RDF.type, SH.ValidationReport),
        (report_node, SH.conforms, Literal(conforms)),
        *((report_node, SH.result, node) for node in results),
    ]
    for node in results:
        stack, seen = [node], {node}
        while stack:
            current = stack.pop(0)
            pairs = sorted(report.predicate_objects(current), key=lambda po: (
                RESULT_PREDICATES.index(po[0]) if po[0] in RESULT_PREDICATES
                else len(RESULT_PREDICATES), str(po[0]), str(po[1])))
            for p, o in pairs:
                triples.append((current, p, o))
                if (isinstance(o, BNode) and o not in seen and o not in keep_labels
                        and p != SH.focusNode):
                    seen.add(o)
                    stack.append(o)
    return ox.serialize([ox.Triple(*(to_oxigraph(term(t)) for t in triple))
                         for triple in triples], format=ox.RdfFormat.N_TRIPLES).decode()


def to_oxigraph(node: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """rdflib term to pyoxigraph term (the report is serialized by the format registry)."""
    if isinstance(node, URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, BNode):
        return ox.BlankNode(str(node))
    if isinstance(node, Literal):
        if node.language:
            return ox.Literal(str(node), language=node.language)
        if node.datatype is not None:
            return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)))
        return ox.Literal(str(node))
    raise TypeError(f"unsupported term {node!r}")


def _max_rss_mb() -> float:
    """Peak memory of this process: the cost of one submission, for the logs and docs."""
    return round(peak_resident_mb(), 1)


def _lap(started: float) -> float:
    return time.perf_counter() - started


def parse_submission(documents: list[Document], base: str, max_triples: int | None = None,
                     ) -> tuple[Graph, dict[Node, list[str]]]:
    """All documents merged into one rdflib graph (graph names dropped, as in the build).

    Blank node labels are kept for a single document, so the report names them as the
    submitter wrote them; with several documents they are renamed so that ``_:b0`` in
    one file is not ``_:b0`` in another.
    """
    graph = Graph()
    defined_in: dict[Node, list[str]] = {}
    rename = len(documents) > 1
    parsed = 0
    for document in documents:
        remaining = None if max_triples is None else max_triples - parsed
        try:
            quads = parse_document(document, base, rename_blank_nodes=rename,
                                   max_triples=remaining)
        except SubmissionTooLarge as error:
            raise SubmissionTooLarge(max_triples or 0, error.document) from None
        parsed += len(quads)
        if any(isinstance(quad.object, ox.Triple) for quad in quads):
            raise SubmissionError("RDF 1.2 triple terms (<<( … )>>, << … >>) are not "
                                  "supported by the SHACL engine", document=document.name,
                                  refused=True)
        to_rdflib_graph(quads, graph)
        for quad in quads:
            subject = _to_node(quad.subject)
            names = defined_in.setdefault(subject, [])
            if not names or names[-1] != document.name:
                names.append(document.name)
    return graph, defined_in


def _to_node(term: ox.NamedNode | ox.BlankNode | ox.Triple) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    raise SubmissionError("RDF-star quoted triples are not supported")


def _iris(nodes: Iterable[Node]) -> set[str]:
    return {str(node) for node in nodes if isinstance(node, URIRef)}


def mentioned_iris(graph: Graph) -> set[str]:
    """Every IRI used as subject or object, except classes (their hierarchy is ours)."""
    found = set()
    for s, p, o in graph:
        if isinstance(s, URIRef):
            found.add(str(s))
        if isinstance(o, URIRef) and p != RDF.type:
            found.add(str(o))
    return found


def keep_results(report: Graph, subjects: set[Node]) -> tuple[Graph, list[Node]]:
    """A new report graph with only the results about the submission's own nodes.

    The data graph also holds context (types of referenced entities, descriptions of
    existing ones); results about those are not the submitter's to fix, so they are
    dropped, each with everything reachable from it through blank nodes.
    """
    kept = Graph()
    report_node = next(report.subjects(RDF.type, SH.ValidationReport))
    kept.add((report_node, RDF.type, SH.ValidationReport))
    nodes = []
    for result in report.objects(report_node, SH.result):
        if report.value(result, SH.focusNode) not in subjects:
            continue
        nodes.append(result)
        kept.add((report_node, SH.result, result))
        _copy_description(report, result, kept)
    return kept, nodes


def _copy_description(source: Graph, node: Node, target: Graph) -> None:
    stack, seen = [node], {node}
    while stack:
        current = stack.pop()
        for p, o in source.predicate_objects(current):
            target.add((current, p, o))
            if isinstance(o, BNode) and o not in seen and p != SH.focusNode:
                seen.add(o)
                stack.append(o)


def describe_result(report: Graph, node: Node, shapes: Graph, base: str) -> dict[str, Any]:
    """One result as a JSON-ready row: pyshacl's fields plus what people need to act."""
    single = Graph()
    _copy_description(report, node, single)
    result = parse_report(single)[0]
    focus = report.value(node, SH.focusNode)
    value = report.value(node, SH.value)
    shape_node = report.value(node, SH.sourceShape)
    owner = shape_owner(shapes, shape_node)
    is_reference = (isinstance(value, URIRef) and result.component in REFERENCE_COMPONENTS)
    return {
        "focus": node_key(focus),
        "focus_display": display(focus, base),
        "path": result.path,
        "path_display": compact(result.path, base) if result.path else None,
        "value": None if value is None else str(value),
        "value_display": None if value is None else display(value, base),
        "value_kind": _kind(value),
        "message": result.message,
        "severity": result.severity,
        "shape": str(owner) if owner is not None else None,
        "shape_display": shape_label(shapes, shape_node, owner, base),
        "component": result.component,
        "reference": "unchecked" if is_reference else None,
    }


def _row_order(row: dict[str, Any]) -> tuple:
    return (row["focus"], SEVERITY_ORDER.get(row["severity"], 9), row["path"] or "",
            row["message"], row["value"] or "")


def node_key(node: Node | None) -> str:
    """How a focus node is named in rows: the IRI, or ``_:label`` for a blank node."""
    return f"_:{node}" if isinstance(node, BNode) else str(node)


def _node_from_key(key: str) -> Node:
    return BNode(key[2:]) if key.startswith("_:") else URIRef(key)


def _kind(node: Node | None) -> str | None:
    if node is None:
        return None
    return {URIRef: "iri", BNode: "bnode", Literal: "literal"}.get(type(node), "other")


def display(node: Node, base: str) -> str:
    """Short, Turtle-like text for a term: ``id/person/x``, ``dip:Meeting``, ``"x"@en``."""
    if isinstance(node, URIRef):
        return compact(str(node), base)
    if isinstance(node, BNode):
        return f"_:{node}"
    if isinstance(node, Literal):
        text = json.dumps(str(node), ensure_ascii=False)
        if node.language:
            return f"{text}@{node.language}"
        if node.datatype is not None and str(node.datatype) != str(_XSD_STRING):
            return f"{text}^^{compact(str(node.datatype), base)}"
        return text
    return str(node)


_XSD_STRING = URIRef("http://www.w3.org/2001/XMLSchema#string")
