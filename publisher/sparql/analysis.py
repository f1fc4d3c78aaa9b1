"""A light lexical look at a query before it is sent to a worker.

The protocol layer needs a few facts about a query *before* running it: its form (to
negotiate a result format, answer 406 and compute an ETag without executing anything),
whether it is really an update (refused here), whether it names its own dataset with
``FROM`` (pyoxigraph's union-default-graph option would override that), which
``SERVICE`` endpoints it would call (pyoxigraph fetches them over HTTP itself, so this
is where federation is gated), and whether its answer can change without the store
changing (``NOW()``, ``RAND()``...), which makes it uncacheable.

This is a tokenizer, not a parser: it skips comments, strings and IRIs so that a word
inside them is never mistaken for a keyword, and it leaves syntax checking to Oxigraph.
It errs on the safe side: anything it cannot resolve about a ``SERVICE`` is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin

UPDATE_REFUSED = ("this endpoint is read-only: SPARQL Update is not accepted here, and "
                  "nothing was changed")
QUERY_FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)
#: Deeper nesting of (), {} and [] than this is refused: Oxigraph's recursive parser would
#: overflow its stack on it (measured: 10 000 nested parentheses kill the process).
MAX_NESTING = 200
#: Built-ins whose value differs between two runs over the same data.
NONDETERMINISTIC = frozenset({"NOW", "RAND", "UUID", "STRUUID", "BNODE"})

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*(?:'''|$)
              |\"\"\"(?:[^"\\]|\\.|"(?!""))*(?:\"\"\"|$)
              |'(?:[^'\\\n\r]|\\.)*'?
              |"(?:[^"\\\n\r]|\\.)*"?)
  | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
  | (?P<var>[?$][\w\u00B7\u00C0-\uFFFF]+)
  | (?P<word>[\w\u00B7\u00C0-\uFFFF][\w\-.\u00B7\u00C0-\uFFFF]*
             (?::(?:[^\s{}()<>,;"'\[\]\#^|=!&*+/]|\\.)*)?
           |:(?:[^\s{}()<>,;"'\[\]\#^|=!&*+/]|\\.)*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _unescape(text: str) -> str:
    """SPARQL's ``\\uXXXX`` escapes, which may hide characters of an IRI."""

    def one(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF else match.group(0)

    return _UNICODE_ESCAPE.sub(one, text)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str

    @property
    def keyword(self) -> str | None:
        """The upper-cased keyword, for a bare word that is no prefixed name."""
        if self.kind == "word" and ":" not in self.text:
            return self.text.upper()
        return None


def tokens(query: str) -> list[Token]:
    """Significant tokens: whitespace and comments dropped."""
    found = []
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup or "other"
        if kind not in ("ws", "comment"):
            found.append(Token(kind, match.group()))
    return found


@dataclass(frozen=True)
class QueryInfo:
    """What the protocol layer needs to know about a query before executing it."""

    form: str | None  # SELECT, CONSTRUCT, DESCRIBE, ASK, or None when not recognised
    is_update: bool
    has_dataset: bool  # FROM / FROM NAMED in the query
    deterministic: bool
    #: SERVICE targets as absolute IRIs; None for a target that cannot be resolved
    #: statically (a variable, an unknown prefix): such a target is always refused.
    services: tuple[str | None, ...] = field(default=())
    nesting: int = 0  # deepest nesting of (), {} and []

    @property
    def returns_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")


#: Queries up to this length have their analysis remembered (1024 of them at most).
CACHED_QUERY_CHARS = 16_384


def analyse(query: str) -> QueryInfo:
    """Classify a query by its tokens; see the module docstring for why.

    Cached: clients repeat the same queries (links, dashboards), and tokenizing a long
    query costs more than the rest of the request handling. Only short queries are kept,
    so the cache cannot pin a thousand megabyte-sized POST bodies.
    """
    if len(query) <= CACHED_QUERY_CHARS:
        return _cached_analysis(query)
    return _analyse(query)


@lru_cache(maxsize=1024)
def _cached_analysis(query: str) -> QueryInfo:
    return _analyse(query)


def _analyse(query: str) -> QueryInfo:
    toks = tokens(query)
    base: str | None = None
    prefixes: dict[str, str] = {}
    form: str | None = None
    is_update = False
    i = 0
    # Prologue: BASE <iri> and PREFIX p: <iri>, in any order.
    while i < len(toks):
        kw = toks[i].keyword
        if kw == "BASE" and i + 1 < len(toks) and toks[i + 1].kind == "iri":
            base = _resolve(toks[i + 1].text[1:-1], base)
            i += 2
        elif (kw == "PREFIX" and i + 2 < len(toks) and toks[i + 1].kind == "word"
              and toks[i + 1].text.endswith(":") and toks[i + 2].kind == "iri"):
            prefixes[toks[i + 1].text[:-1]] = _resolve(toks[i + 2].text[1:-1], base)
            i += 3
        else:
            break
    if i < len(toks):
        kw = toks[i].keyword
        if kw in QUERY_FORMS:
            form = kw
        elif kw in UPDATE_KEYWORDS:
            is_update = True

    has_dataset = False
    deterministic = True
    services: list[str | None] = []
    depth = nesting = 0
    for j, tok in enumerate(toks):
        if tok.kind == "other":
            if tok.text in "({[":
                depth += 1
                nesting = max(nesting, depth)
            elif tok.text in ")}]":
                depth -= 1
            continue
        kw = tok.keyword
        if kw is None:
            continue
        if kw == "FROM":
            has_dataset = True
        elif kw in NONDETERMINISTIC and j + 1 < len(toks) and toks[j + 1].text == "(":
            deterministic = False
        elif kw == "SERVICE":
            k = j + 1
            if k < len(toks) and toks[k].keyword == "SILENT":
                k += 1
            services.append(_service_target(toks[k] if k < len(toks) else None, base, prefixes))
    return QueryInfo(form, is_update, has_dataset, deterministic, tuple(services), nesting)


def _resolve(iri: str, base: str | None) -> str:
    iri = _unescape(iri)
    return urljoin(base, iri) if base else iri


def _service_target(tok: Token | None, base: str | None, prefixes: dict[str, str]) -> str | None:
    if tok is None:
        return None
    if tok.kind == "iri":
        return _resolve(tok.text[1:-1], base)
    if tok.kind == "word" and ":" in tok.text:
        prefix, _, local = tok.text.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + _unescape(re.sub(r"\\(.)", r"\1", local))
    return None


def gate(info: QueryInfo, allowlist: list[str]) -> str | None:
    """Why a query may not run here (an update, a refused SERVICE, too deep), or None."""
    if info.is_update:
        return UPDATE_REFUSED
    if info.nesting > MAX_NESTING:
        return (f"the query nests (), {{}} or [] {info.nesting} levels deep; this endpoint "
                f"accepts at most {MAX_NESTING}")
    refused = refused_services(info, allowlist)
    if refused:
        allowed = ", ".join(allowlist) or "none"
        return ("SERVICE (federated query) is not allowed to: " + ", ".join(refused)
                + ". This endpoint does not fetch other servers except those its operator "
                  f"allowed (allowed: {allowed}); nothing was fetched.")
    return None


def refused_services(info: QueryInfo, allowlist: list[str]) -> list[str]:
    """The SERVICE targets of a query that the operator has not allowed, as shown text."""
    allowed = {entry.strip() for entry in allowlist}
    return [target or "(a target that is not a constant IRI)"
            for target in info.services if target is None or target not in allowed]
