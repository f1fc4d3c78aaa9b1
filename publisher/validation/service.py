"""Validate a submission in a killable child process, in the context of our data.

The web process (or the CLI) calls :func:`validate`. It starts one child per submission
(:mod:`.worker`), sends it the documents, answers its questions about the published data
from the store, and waits at most ``settings.validate_timeout_s`` in total. At the
deadline the child is SIGKILLed: pyshacl and the parsers cannot be interrupted, and a
thread cannot be killed, so a process is the unit that a time limit can really stop.

Children come from a ``forkserver`` with the worker module (rdflib, pyshacl, pyoxigraph)
preloaded and exercised once (:mod:`.preload`): a fork costs milliseconds where a fresh
interpreter costs ~0.4 s of imports, and the forkserver is single-threaded, so forking
it is safe where forking the multi-threaded web process would not be. At most
``settings.parallel_validations`` run at once; a request that cannot get a slot before
its deadline gets :class:`ValidationBusy`.

The shapes and the ontology are those of the build being served (:class:`Rules`), so the
service and the published data never disagree about what conforms.

Each child runs under ``settings.validate_worker_memory_mb`` (RLIMIT_DATA) and parses at
most ``settings.validate_max_triples`` triples: a submission that needs more memory
gets :class:`ValidationOutOfMemory`, one with more triples
:class:`~.submission.SubmissionTooLarge`, and the child ends with it either way.
"""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.forkserver
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox

from ..process import OUT_OF_MEMORY_EXIT
from ..settings import Settings
from ..snapshot import Snapshot
from ..store import Store, describing
from . import worker
from .report import ValidationReport
from .submission import Document, SubmissionError, SubmissionTooLarge, prescreen

#: Upper bound on context triples sent to a worker, so a submission naming every
#: entity cannot make the web process serialize the whole store.
MAX_CONTEXT_TRIPLES = 500_000

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")



@lru_cache(maxsize=8)
def _slots(count: int) -> threading.BoundedSemaphore:
    """The process's validation slots (``settings.parallel_validations`` of them)."""
    return threading.BoundedSemaphore(count)


@dataclass(frozen=True)
class Rules:
    """The shapes and ontology (Turtle folders) a submission is validated against."""

    shapes_dir: Path
    ontology_dir: Path

    @classmethod
    def of_build(cls, snapshot: Snapshot) -> Rules:
        """As the served build was validated: its own copies, made at build time."""
        return cls(snapshot.build.shapes_dir, snapshot.build.ontology_dir)

    @classmethod
    def of_project(cls, settings: Settings) -> Rules:
        """The project's current files (the CLI, with no build to validate against)."""
        return cls(settings.shapes_dir, settings.ontology_dir)


class ValidationTimeout(Exception):
    """The submission took longer than the configured limit; the worker was killed."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__(
            f"validation stopped after {timeout_s:g} s, this service's time limit: the "
            "submission is too large or too complex to validate here; split it into "
            "smaller documents")


class ValidationBusy(Exception):
    """Every validation slot stayed taken until the deadline."""

    def __init__(self, slots: int) -> None:
        super().__init__(f"all {slots} validation slots are busy; retry in a moment")


class ValidationFailed(Exception):
    """The worker died or raised; ``crashed`` tells a dead process from an exception."""

    def __init__(self, message: str, crashed: bool = False) -> None:
        self.crashed = crashed
        super().__init__(message)


class ValidationOutOfMemory(ValidationFailed):
    """The submission needed more memory than a validation worker may use (422)."""

    def __init__(self, memory_mb: int) -> None:
        super().__init__(
            f"validation stopped: this submission needed more memory than this service "
            f"allows one validation ({memory_mb} MiB, PUBLISHER_VALIDATE_WORKER_MEMORY_MB); "
            "split it into smaller documents, or validate it locally with `publisher "
            "validate` and that limit raised", crashed=True)


class ContextSource(Protocol):
    """What a worker may ask about the published data."""

    def context(self, subjects: Sequence[str], mentioned: Sequence[str]) -> bytes:
        """N-Triples: descriptions of existing ``subjects``, types of ``mentioned``."""
        ...

    def existing(self, iris: Sequence[str]) -> list[str]:
        """The IRIs, among ``iris``, that the published dataset uses."""
        ...

    @property
    def build_id(self) -> str | None: ...


class StoreContext:
    """Context from a build's store, through the store interface (read-only).

    Lookups are batched into SPARQL queries with ``VALUES`` (a few thousand IRIs each):
    one query per batch costs what ~100 single lookups cost, which matters for a 5 MB
    submission naming 20,000 IRIs, and it works the same on a remote SPARQL backend.
    IRIs are spliced in only as ``NamedNode`` terms, which pyoxigraph has validated
    (no ``>``, space or brace can get through), so a query cannot be injected.
    """

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.store: Store = snapshot.store

    @property
    def build_id(self) -> str | None:
        return self.snapshot.build_id

    def context(self, subjects: Sequence[str], mentioned: Sequence[str]) -> bytes:
        """The published description of every submitted subject we already publish
        (following blank nodes), so a submission can add facts about an existing entity
        without restating it; and the ``rdf:type`` of every IRI the submission or those
        descriptions mention, so ``sh:class`` sees what a reference points to."""
        triples: set[ox.Triple] = set()
        referenced = set(mentioned)
        for node in self._existing_subjects(_named_nodes(subjects)):
            for triple in self._description(node):
                triples.add(triple)
                if isinstance(triple.object, ox.NamedNode) and triple.predicate != RDF_TYPE:
                    referenced.add(triple.object.value)
            if len(triples) > MAX_CONTEXT_TRIPLES:
                break
        for batch in _batches(_named_nodes(sorted(referenced))):
            values = " ".join(str(node) for node in batch)
            triples.update(self.store.query(
                f"CONSTRUCT {{ ?s a ?type }} WHERE {{ VALUES ?s {{ {values} }} ?s a ?type }}"))
            if len(triples) > MAX_CONTEXT_TRIPLES:
                break
        return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)

    def _existing_subjects(self, nodes: list[ox.NamedNode]) -> list[ox.NamedNode]:
        found: list[ox.NamedNode] = []
        for batch in _batches(nodes):
            values = " ".join(str(node) for node in batch)
            found.extend(row[0] for row in self.store.query(
                f"SELECT DISTINCT ?s WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o }}"))
        return found

    def _description(self, node: ox.NamedNode) -> list[ox.Triple]:
        """The node's statements, following blank nodes and the hash IRIs of its own
        document (``event#participation-…``, ``membership#period``): the parts a source
        states with it, so a restatement of the same claim meets the same nodes."""
        found: list[ox.Triple] = []
        store = describing(self.store)
        stack: list[ox.NamedNode | ox.BlankNode] = [node]
        seen: set[ox.NamedNode | ox.BlankNode] = {node}
        document = node.value.split("#", 1)[0]
        while stack:
            for quad in store.quads(stack.pop(), None, None, None):
                found.append(ox.Triple(quad.subject, quad.predicate, quad.object))
                part = isinstance(quad.object, ox.BlankNode) or (
                    isinstance(quad.object, ox.NamedNode) and "#" in quad.object.value
                    and quad.object.value.split("#", 1)[0] == document)
                if part and quad.object not in seen:
                    seen.add(quad.object)
                    stack.append(quad.object)
        return found

    def existing(self, iris: Sequence[str]) -> list[str]:
        return [node.value for node in _named_nodes(iris) if self.store.exists(node.value)]


def _batches(nodes: list[ox.NamedNode], size: int = 5_000) -> list[list[ox.NamedNode]]:
    return [nodes[i:i + size] for i in range(0, len(nodes), size)]


def _named_nodes(iris: Sequence[str]) -> list[ox.NamedNode]:
    nodes = []
    for iri in iris:
        try:
            nodes.append(ox.NamedNode(iri))
        except ValueError:
            continue  # not an IRI: nothing of ours can match it
    return nodes


def validate(documents: list[Document], settings: Settings, context: ContextSource | None,
             rules: Rules, timeout_s: float | None = None) -> ValidationReport:
    """Validate ``documents`` as one submission; the report covers only its own nodes.

    Raises SubmissionError (unreadable input), ValidationTimeout, ValidationBusy or
    ValidationFailed. ``context=None`` validates standalone.
    """
    timeout_s = settings.validate_timeout_s if timeout_s is None else timeout_s
    started = time.monotonic()
    for document in documents:
        prescreen(document)
    deadline = started + timeout_s
    slots = _slots(settings.parallel_validations)
    if not slots.acquire(timeout=timeout_s):
        raise ValidationBusy(settings.parallel_validations)
    try:
        outcome = _run_worker(documents, settings, context, rules, deadline, timeout_s)
    finally:
        slots.release()
    build_id = context.build_id if context is not None else None
    return ValidationReport.from_worker(outcome, base=settings.base, build_id=build_id,
                                        standalone=context is None,
                                        seconds=time.monotonic() - started)


def _run_worker(documents: list[Document], settings: Settings, context: ContextSource | None,
                rules: Rules, deadline: float, timeout_s: float) -> dict[str, Any]:
    ctx = mp_context()
    parent, child = ctx.Pipe(duplex=True)
    memory_mb = settings.validate_worker_memory_mb
    process = ctx.Process(target=worker.main, args=(child, memory_mb), daemon=True,
                          name="publisher-validate")
    process.start()
    child.close()
    try:
        job = {"base": settings.base, "context": context is not None,
               "shapes_dir": str(rules.shapes_dir.resolve()),
               "ontology_dir": str(rules.ontology_dir.resolve()),
               "max_triples": settings.validate_max_triples,
               "engine": settings.shacl_engine,
               "documents": [{"name": d.name, "format": d.format.media_type}
                             for d in documents]}
        parent.send_bytes(json.dumps(job).encode("utf-8"))
        for document in documents:
            parent.send_bytes(document.data)
        while True:
            message = _receive(parent, process, deadline, timeout_s, memory_mb)
            op = message.get("op")
            if op == "ask" and context is not None:
                parent.send_bytes(json.dumps(_answer(context, message)).encode("utf-8"))
            elif op == "done":
                return message
            elif op == "invalid" and message.get("limit"):
                raise SubmissionTooLarge(int(message["limit"]), message.get("document"))
            elif op == "invalid":
                raise SubmissionError(str(message.get("message")), message.get("line"),
                                      message.get("column"), message.get("document"),
                                      bool(message.get("refused")))
            elif op == "memory":
                raise ValidationOutOfMemory(memory_mb)
            elif op == "failed":
                raise ValidationFailed(f"validation failed: {message.get('message')}")
            else:
                raise ValidationFailed(f"validation worker sent an unexpected {op!r}")
    except (BrokenPipeError, ConnectionResetError):
        raise _crashed(process, memory_mb) from None
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        parent.close()


def _receive(conn: Any, process: Any, deadline: float, timeout_s: float,
             memory_mb: int) -> dict[str, Any]:
    remaining = deadline - time.monotonic()
    if remaining <= 0 or not conn.poll(remaining):
        raise ValidationTimeout(timeout_s)
    try:
        payload = conn.recv_bytes(worker.MAX_MESSAGE_BYTES)
    except (EOFError, ConnectionResetError):
        raise _crashed(process, memory_mb) from None
    except OSError:  # the answer is over the size cap
        raise ValidationFailed(
            f"the report is larger than {worker.MAX_MESSAGE_BYTES // 2**20} MB: fix the "
            "most frequent problems first, or validate smaller parts") from None
    return json.loads(payload)


def _answer(context: ContextSource, message: dict[str, Any]) -> dict[str, Any]:
    question = message.get("question")
    if question == "context":
        ntriples = context.context(_strings(message.get("subjects")),
                                   _strings(message.get("mentioned")))
        return {"ntriples": ntriples.decode("utf-8")}
    if question == "exists":
        return {"iris": context.existing(_strings(message.get("iris")))}
    raise ValidationFailed(f"validation worker asked an unknown question {question!r}")


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _crashed(process: Any, memory_mb: int) -> ValidationFailed:
    """Why the worker's pipe closed: its memory cap (Rust aborts), or another crash."""
    process.join(5)
    if process.exitcode == OUT_OF_MEMORY_EXIT and memory_mb:
        return ValidationOutOfMemory(memory_mb)
    return ValidationFailed(_crash_message(process.exitcode), crashed=True)


def _crash_message(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            cause = signal.Signals(-exitcode).name
        except ValueError:
            cause = f"signal {-exitcode}"
    else:
        cause = f"exit code {exitcode}"
    return (f"the validation process ended abnormally ({cause}) while reading this "
            "submission; the input is probably pathological (for example nested too deep)")


#: Imported by the forkserver: the worker, run once so that children start warm.
PRELOAD = f"{__package__}.preload"


def mp_context() -> Any:
    """forkserver with the worker preloaded and exercised (:mod:`.preload`), added to
    (not replacing) other preloads."""
    try:
        ctx = multiprocessing.get_context("forkserver")
    except ValueError:  # no fork on this platform
        return multiprocessing.get_context("spawn")
    server = multiprocessing.forkserver._forkserver
    current = list(getattr(server, "_preload_modules", None) or [])
    if PRELOAD not in current:
        ctx.set_forkserver_preload([*current, PRELOAD])
    return ctx


def warm_up() -> None:
    """Start the forkserver now, with the worker preloaded, so the first submission is fast.

    The forkserver is one per process and keeps the preload list it started with: if
    another feature (the SPARQL pool) starts it first without our module, every
    validation child imports rdflib and pyshacl itself (~0.4 s each). Not called by
    ``register``: preloading costs ~1 s of CPU in a new process, which the process
    that assembles the app should decide on (``create_app`` or ``publisher serve``),
    after every feature has added its module to the preload list.
    """
    ctx = mp_context()
    if ctx.get_start_method() == "forkserver":
        multiprocessing.forkserver.ensure_running()

