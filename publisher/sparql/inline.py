"""Queries proved cheap, answered in the web process without the hop to a worker.

Every query runs in a killable worker process because pyoxigraph cannot interrupt a
query: nothing else makes a timeout stop the work. That costs a small query more than
the query itself (measured: a one-entity SELECT takes ~55 µs of CPU in process; crossing
to a worker costs the web process as much again, the worker more, plus two wake-ups).
A query whose *total work* is bounded before it starts needs no timeout, so it can run
here. The proof has two steps, both cheaper than the hop:

1. **Shape** (:func:`shape`, from the tokens of :mod:`.analysis`, cached per text): a
   ``SELECT`` (``*`` or variables, optionally ``DISTINCT``/``REDUCED``) or ``ASK`` whose
   ``WHERE`` is one group of plain triple patterns (``;`` and ``,`` allowed; no
   ``FILTER``, ``OPTIONAL``, ``UNION``, ``GRAPH``, sub-query, property path, expression,
   ``ORDER BY``, ``GROUP BY``, ``VALUES``), then at most ``LIMIT`` and ``OFFSET``.
   Anything else, or anything the tokenizer cannot vouch for, is not cheap.
   Evaluating such a query is a join of index scans, one per pattern: whatever the join
   order or algorithm Oxigraph picks (hash join or a loop substituting bindings, which
   only narrows a scan), it reads at most the quads each pattern matches on its own and
   builds at most the product of those counts in intermediate solutions.
2. **Counts** (:func:`bounded`, remembered per build and shape): each pattern's
   matches, with the constants the query gives (absolute IRIs; anything not resolved
   with certainty, such as a literal or a relative IRI, counts as "any", which can only
   over-count), are counted in the store's indexes, across every graph, stopping at the
   budget. The query is cheap when every
   count, and the product of the counts, stays within ``settings.sparql_inline_quads``.

A cheap query then runs through the very function the workers run
(:func:`.workers.run_job`), so its answer and its errors are the same bytes; an answer
larger than :data:`MAX_BYTES`, or anything unexpected (a panic in the engine), sends the
query to a worker after all. Only the embedded store and the default (union) dataset
qualify: a remote store's latency is not bounded, and named datasets are rare.
"""

from __future__ import annotations

import collections
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import Any

import pyoxigraph as ox

from ..store.embedded import EmbeddedStore
from .analysis import CACHED_QUERY_CHARS, Token, tokens
from .workers import CUT, DATA, DONE, DONE_NATIVE, ERROR, Complete, Failure, cut_message, run_job

#: Most triple patterns a cheap query may have: the product bound grows with each.
MAX_PATTERNS = 8
#: Largest answer kept in the web process; a larger one goes to a worker (and streams).
MAX_BYTES = 1024 * 1024

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]*\Z")
_NUMBER = re.compile(r"\d+(\.\d+)?\Z")
#: What a prefixed name's local part may hold here (a subset of SPARQL's PN_LOCAL): a
#: token with anything else (``dip:p?``, a path) is no plain prefixed name.
_LOCAL = re.compile(r"(?:[\w\-:%\u00B7\u00C0-\uFFFF](?:[\w\-.:%\u00B7\u00C0-\uFFFF]*"
                    r"[\w\-:%\u00B7\u00C0-\uFFFF])?)?\Z")
_MODIFIERS = frozenset({"LIMIT", "OFFSET"})

#: A pattern's term: a constant, or None for anything (a variable, or a constant not
#: resolved with certainty, which may only make a count larger).
Term = ox.NamedNode | None


@dataclass(frozen=True)
class Shape:
    """A query of the cheap shape: its triple patterns, as the counts see them."""

    patterns: tuple[tuple[Term, Term, Term], ...]


class _NotCheap(Exception):
    pass


def shape(query: str) -> Shape | None:
    """The query's triple patterns if it has the cheap shape (module docstring), else None."""
    if len(query) > CACHED_QUERY_CHARS:
        return None
    return _shape(query)


@lru_cache(maxsize=4096)
def _shape(query: str) -> Shape | None:
    try:
        return _Reader(_split_dots(tokens(query))).read()
    except (_NotCheap, IndexError, AttributeError):
        return None


def _split_dots(toks: list[Token]) -> list[Token]:
    """The tokenizer keeps a dot after a prefixed name (``dip:Country.``) in the name; in
    SPARQL a prefixed name never ends with a dot, so it is the end of a triple."""
    out = []
    for tok in toks:
        if tok.kind == "word" and ":" in tok.text and tok.text.endswith("."):
            name = tok.text.rstrip(".")
            out.append(Token("word", name))
            out.extend(Token("other", ".") for _ in range(len(tok.text) - len(name)))
        else:
            out.append(tok)
    return out


class _Reader:
    """A strict reader of the cheap shape; anything unexpected raises :class:`_NotCheap`."""

    def __init__(self, toks: list[Token]) -> None:
        self.toks = toks
        self.i = 0
        self.prefixes: dict[str, str | None] = {}
        self.patterns: list[tuple[Term, Term, Term]] = []

    def peek(self) -> Token | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> Token:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        if self.take().text != text:
            raise _NotCheap

    def read(self) -> Shape:
        self.prologue()
        form = self.take().keyword
        if form == "SELECT":
            if self.peek() is not None and self.peek().keyword in ("DISTINCT", "REDUCED"):
                self.take()
            if self.peek() is not None and self.peek().text == "*":
                self.take()
            else:
                count = 0
                while self.peek() is not None and self.peek().kind == "var":
                    self.take()
                    count += 1
                if not count:
                    raise _NotCheap
        elif form != "ASK":
            raise _NotCheap
        if self.peek() is not None and self.peek().keyword == "WHERE":
            self.take()
        self.group()
        seen: set[str] = set()
        while self.peek() is not None:
            keyword = self.take().keyword
            if keyword not in _MODIFIERS or keyword in seen:
                raise _NotCheap
            seen.add(keyword)
            if not _NUMBER.match(self.take().text) or "." in self.toks[self.i - 1].text:
                raise _NotCheap
        if not self.patterns or len(self.patterns) > MAX_PATTERNS:
            raise _NotCheap
        return Shape(tuple(self.patterns))

    def prologue(self) -> None:
        while True:
            keyword = self.peek().keyword if self.peek() is not None else None
            if keyword == "BASE":
                raise _NotCheap  # relative IRIs would need resolving: leave it to a worker
            if keyword != "PREFIX":
                return
            self.take()
            name, iri = self.take(), self.take()
            if name.kind != "word" or not name.text.endswith(":") or iri.kind != "iri":
                raise _NotCheap
            value = iri.text[1:-1]
            self.prefixes[name.text[:-1]] = value if _ABSOLUTE.match(value) else None

    def group(self) -> None:
        self.expect("{")
        while self.peek().text != "}":
            subject = self.term(self.take(), position="subject")
            while True:
                verb = self.take()
                predicate = RDF_TYPE if verb.kind == "word" and verb.text == "a" else \
                    self.term(verb, position="predicate")
                while True:
                    self.patterns.append((subject, predicate,
                                          self.term(self.take(), position="object")))
                    if self.peek().text != ",":
                        break
                    self.take()
                if self.peek().text != ";":
                    break
                while self.peek().text == ";":
                    self.take()
                if self.peek().text in (".", "}"):
                    break
            if self.peek().text == ".":
                self.take()
            elif self.peek().text != "}":
                raise _NotCheap
        self.take()

    def term(self, tok: Token, position: str) -> Term:
        if tok.kind == "var":
            return None
        if tok.kind == "iri":
            value = tok.text[1:-1]
            return _named(value) if _ABSOLUTE.match(value) else None
        if tok.kind == "word" and ":" in tok.text:
            prefix, _, local = tok.text.partition(":")
            if prefix == "_":  # a blank node in a pattern matches anything, like a variable
                return None
            if prefix not in self.prefixes or not _LOCAL.match(local):
                raise _NotCheap
            namespace = self.prefixes[prefix]
            if namespace is None or "%" in local:
                return None  # not resolved with certainty: counts as anything
            return _named(namespace + local)
        if position != "object":
            raise _NotCheap
        if tok.kind == "string":
            self.literal_suffix()
            return None
        if tok.kind == "word" and (_NUMBER.match(tok.text) or tok.text in ("true", "false")):
            return None
        raise _NotCheap

    def literal_suffix(self) -> None:
        """``@lang`` or ``^^datatype`` after a string."""
        tok = self.peek()
        if tok is None:
            return
        if tok.text == "@":
            self.take()
            if self.take().kind != "word":
                raise _NotCheap
        elif tok.text == "^":
            self.take()
            self.expect("^")
            datatype = self.take()
            if datatype.kind != "iri" and not (datatype.kind == "word" and ":" in datatype.text):
                raise _NotCheap


def _named(iri: str) -> Term:
    try:
        return ox.NamedNode(iri)
    except ValueError:
        return None  # Oxigraph will say what is wrong with it


def bounded(store: Any, found: Shape, budget: int) -> bool:
    """Whether every pattern, and the product of the patterns, matches at most ``budget``
    quads in the store (counted across every graph, so an over-estimate of the union)."""
    quads = store.quads
    product = 1
    for subject, predicate, obj in sorted(found.patterns, key=_unknowns):
        if subject is None and predicate is None and obj is None:
            return False
        limit = budget // product
        count = sum(1 for _ in islice(quads(subject, predicate, obj, None), limit + 1))
        if count > limit:
            return False
        product *= max(count, 1)
    return True


#: Proofs by (store, shape, budget): a build's store never changes, so neither does a
#: count; repeated queries (links, dashboards) skip the counting.
_PROOFS: collections.OrderedDict[tuple[str, Shape, int], bool] = collections.OrderedDict()
MAX_PROOFS = 4096


def _proved(store: Any, found: Shape, budget: int) -> bool:
    key = (store.location, found, budget)
    known = _PROOFS.get(key)
    if known is None:
        known = _PROOFS[key] = bounded(store, found, budget)
        if len(_PROOFS) > MAX_PROOFS:
            _PROOFS.popitem(last=False)
    return known


def _unknowns(pattern: tuple[Term, Term, Term]) -> int:
    return sum(term is None for term in pattern)


class _TooLarge(Exception):
    """The answer grew past :data:`MAX_BYTES`: a worker streams it instead."""


class _Collector:
    """Stands in for a worker's frame writer: keeps the DATA frames of one job."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def frame(self, kind: bytes, payload: bytes = b"", *, final: bool = False) -> None:
        if kind == DATA:
            self.size += len(payload)
            if self.size > MAX_BYTES:
                raise _TooLarge
            self.parts.append(payload)


def answer(store: Any, job: dict[str, Any], budget: int) -> Complete | Failure | None:
    """The query's answer when it is proved cheap (module docstring); None: use a worker.

    ``job`` is the worker job the endpoint would send (same query, dataset, format, row
    cap), so the answer is the one a worker would give.
    """
    if budget <= 0 or not isinstance(store, EmbeddedStore) or not job.get("union") \
            or job.get("default_graph") is not None or job.get("named_graphs") is not None:
        return None
    found = shape(job["query"])
    if found is None:
        return None
    out = _Collector()
    try:
        if not _proved(store, found, min(budget, int(job["max_rows"]))):
            return None
        kind, payload = run_job(out, job, {job["store"]: store},  # type: ignore[arg-type]
                                within_cap=True)
    except _TooLarge:
        return None
    except BaseException as error:  # noqa: BLE001 - a panic of the engine is a BaseException
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        return None  # a worker will run it, where a crash harms nothing else
    if kind == DONE:
        rows = None if payload == DONE_NATIVE else json.loads(payload)["rows"]
        return Complete(b"".join(out.parts), rows)
    if kind == CUT:
        return Failure(422, cut_message(int(job["max_rows"])))
    if kind == ERROR:
        error = json.loads(payload)
        return Failure(int(error["status"]), error["message"], error.get("retry_after"))
    return None
