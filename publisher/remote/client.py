"""A SPARQL 1.1 Protocol client that never passes on an incomplete answer as complete.

Every query goes as a form POST (``application/x-www-form-urlencoded``): it carries any
number of ``default-graph-uri``/``named-graph-uri`` parameters without URL-length limits,
and Virtuoso never answers a direct POST (``application/sparql-query``: the request hangs
and burns a core, openlink/virtuoso-opensource#842). Answers are streamed and parsed
lazily into pyoxigraph terms, so the caller serialises them itself (same bytes whatever
the engine, Virtuoso's SPARQL 1.0 ``typed-literal`` JSON included) and memory stays flat.

A remote answer is only as good as its last byte. The Oxigraph server, on its own
timeout, has already sent ``200`` and cuts the body, appending "The SPARQL operation has
been cancelled"; a store that dies mid-answer resets the connection; a slow one trickles.
So the client checks, while reading: the deadline (one budget for the whole request,
the same one the embedded store gets), the transfer's own framing (chunked or
Content-Length), the syntax of the result format (a cut JSON or N-Triples document does
not parse) and Oxigraph's cancellation text at the end. Each failure becomes one of the
:class:`StoreError` subclasses, which carry the HTTP status the publisher answers with.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox

FORM = "application/x-www-form-urlencoded"
SPARQL_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
#: The one variable of Virtuoso's answer to ASK (a table, not a boolean).
VIRTUOSO_ASK = "__ASK_RETVAL"
#: What the Oxigraph server appends to a body it stopped streaming on its own timeout.
OXIGRAPH_CANCELLED = b"The SPARQL operation has been cancelled"
#: How much of a body's end is kept to look for that text.
TAIL_BYTES = 256
#: Error bodies are read up to this size, for the message.
ERROR_BODY_BYTES = 4096
#: What a client is told to wait before retrying when the store is unreachable.
RETRY_AFTER_S = 5
#: Virtuoso 7.2's messages for a query stopped by ``MaxQueryExecutionTime``.
_VIRTUOSO_TIMEOUT = re.compile(rb"SR171|Transaction timed out|S1TAT|timed out", re.I)
#: Virtuoso's message for an update the user may not run (it answers 500).
_VIRTUOSO_NO_PERMISSION = re.compile(rb"SR186|No permission", re.I)


class Rewriter(Protocol):
    """Fixes an engine's answer on the way in, chunk by chunk (see :mod:`.dialects`)."""

    def feed(self, chunk: bytes) -> bytes: ...

    def flush(self) -> bytes: ...


# --- errors ------------------------------------------------------------------------------

class StoreError(RuntimeError):
    """The store could not give a complete answer; ``status`` is what our client gets."""

    status = 502

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def headers(self) -> dict[str, str]:
        return {}


class StoreUnavailable(StoreError):
    """No connection, a connection lost mid-answer, or a store saying it is overloaded."""

    status = 503

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(RETRY_AFTER_S)}


class StoreTimeout(StoreError):
    """The query ran past the deadline, ours or (``by_engine``) the engine's own."""

    status = 503

    def __init__(self, message: str, by_engine: bool = False) -> None:
        super().__init__(message)
        self.by_engine = by_engine


class QueryRejected(StoreError):
    """The engine found the query itself at fault (its 400): the client's to fix."""

    status = 400


class UpdateRefused(StoreError):
    """The engine refused an update (missing or wrong credentials, read-only store)."""

    status = 403


# --- answers -----------------------------------------------------------------------------

class _Body(io.RawIOBase):
    """A streamed response body as a file for pyoxigraph's parsers, checked as it is read.

    Errors found while reading are raised as :class:`StoreError` (pyoxigraph lets an
    exception from ``read`` through unchanged), and the last bytes are kept so that the
    caller can tell a cut Oxigraph answer from a syntax error.
    """

    def __init__(self, response: httpx.Response, deadline: float, timeout_s: float,
                 rewrite: Rewriter | None = None) -> None:
        self.response = response
        self.deadline = deadline
        self.timeout_s = timeout_s
        self.rewrite = rewrite
        self.tail = b""
        self.received = 0
        self.finished = False
        self._chunks = response.iter_bytes()
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            if self.finished:
                return 0
            if time.monotonic() > self.deadline:
                raise StoreTimeout(_timeout_message(self.timeout_s))
            try:
                chunk = next(self._chunks)
            except StopIteration:
                self.finished = True
                if self.rewrite is not None:
                    self._pending = self.rewrite.flush()
                    self.rewrite = None
                    continue
                return 0
            except httpx.TimeoutException:
                raise StoreTimeout(_timeout_message(self.timeout_s)) from None
            except httpx.HTTPError as error:
                raise StoreUnavailable(
                    f"the SPARQL store closed the connection in the middle of an answer "
                    f"({type(error).__name__}); the answer is incomplete and was not used"
                ) from None
            self.received += len(chunk)
            self.tail = (self.tail + chunk)[-TAIL_BYTES:]
            self._pending = self.rewrite.feed(chunk) if self.rewrite else chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def cancelled(self) -> bool:
        return self.tail.rstrip().endswith(OXIGRAPH_CANCELLED)


def _timeout_message(timeout_s: float) -> str:
    return (f"query timed out: it ran longer than this endpoint's limit of {timeout_s:g} s "
            "and was stopped")


class RemoteAnswer:
    """One streamed answer: ``kind`` is ``solutions``, ``boolean`` or ``graph``.

    Iterate it for the solutions (pyoxigraph ``QuerySolution``) or triples; the last
    step of the iteration checks that the answer was complete and raises a
    :class:`StoreError` otherwise, so a consumer that writes rows as they come must be
    ready to end its output as cut. Always close it (or use ``with``): that releases
    the connection, or drops it when the answer was not read to the end.
    """

    def __init__(self, kind: Literal["solutions", "boolean", "graph"], body: _Body,
                 parsed: Any, stream: Any) -> None:
        self.kind = kind
        self._body = body
        self._parsed = parsed
        self._stream = stream
        self.rows = 0

    @property
    def variables(self) -> list[ox.Variable]:
        return list(self._parsed.variables) if self.kind == "solutions" else []

    @property
    def boolean(self) -> bool:
        if self.kind != "boolean":
            raise TypeError(f"a {self.kind} answer has no boolean value")
        return bool(self._parsed)

    def __iter__(self) -> Iterator[Any]:
        if self.kind == "boolean":
            return
        try:
            for item in self._parsed:
                self.rows += 1
                yield item.triple if isinstance(item, ox.Quad) else item
        except StoreError:
            raise
        except SyntaxError as error:
            raise _cut_or_invalid(self._body, error) from None
        _check_complete(self._body)

    def native(self) -> Any:
        """The parser's own result object (pyoxigraph ``QuerySolutions``), wrapped so that
        a syntax error from a cut body surfaces as the :class:`StoreError` it means."""
        return _Checked(self._parsed, self._body)

    def finish(self) -> None:
        """After reading through :meth:`native`: the transfer ended cleanly, and not with
        a cancelled answer (StoreError otherwise)."""
        _check_complete(self._body)

    def close(self) -> None:
        self._stream.__exit__(None, None, None)

    def __enter__(self) -> RemoteAnswer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Checked:
    """pyoxigraph's QuerySolutions, its errors from a cut stream turned into StoreError."""

    def __init__(self, parsed: Any, body: _Body) -> None:
        self._parsed = parsed
        self._body = body
        self.variables = parsed.variables

    def serialize(self, output: Any = None, format: Any = None) -> Any:
        try:
            return self._parsed.serialize(output, format)
        except SyntaxError as error:
            raise _cut_or_invalid(self._body, error) from None

    def __iter__(self) -> Iterator[Any]:
        try:
            yield from self._parsed
        except SyntaxError as error:
            raise _cut_or_invalid(self._body, error) from None


def _virtuoso_ask(parsed: ox.QuerySolutions, body: _Body) -> bool:
    """Virtuoso 7.2 answers ASK in SPARQL JSON and XML as a one-column table of 0/1."""
    try:
        value = any(row[VIRTUOSO_ASK] is not None and row[VIRTUOSO_ASK].value not in ("0", "false")
                    for row in parsed)
    except SyntaxError as error:
        raise _cut_or_invalid(body, error) from None
    _check_complete(body)
    return value


def _cut_or_invalid(body: _Body, error: Exception) -> StoreError:
    if body.cancelled():
        return StoreTimeout(_timeout_message(body.timeout_s), by_engine=True)
    return StoreError(f"the SPARQL store sent an answer that does not parse ({error}); "
                      f"it was not used")


def _check_complete(body: _Body) -> None:
    """At the end of parsing: the transfer ended cleanly and was not a cancelled one."""
    while body.readinto(bytearray(65536)):  # a parser may stop before the transfer ends
        pass
    if body.cancelled():
        raise StoreTimeout(_timeout_message(body.timeout_s), by_engine=True)


# --- the client --------------------------------------------------------------------------

@dataclass(frozen=True)
class Credentials:
    user: str
    password: str
    scheme: Literal["basic", "digest"] = "basic"

    def auth(self) -> httpx.Auth:
        if self.scheme == "digest":
            return httpx.DigestAuth(self.user, self.password)
        return httpx.BasicAuth(self.user, self.password)


class SparqlClient:
    """Queries, updates and Graph Store requests to one store; thread-safe.

    ``timeout_s`` bounds one query from the request to the last byte, like the embedded
    store's query timeout; ``connect_timeout_s`` bounds connecting, so a store that is
    down is noticed at once rather than at the deadline.
    """

    def __init__(self, query_url: str, *, update_url: str | None = None,
                 store_url: str | None = None, credentials: Credentials | None = None,
                 timeout_s: float = 10.0, connect_timeout_s: float = 2.0,
                 max_connections: int = 32,
                 rewrite_json: Callable[[], Rewriter] | None = None) -> None:
        self.query_url = query_url
        self.update_url = update_url
        self.store_url = store_url
        self.credentials = credentials
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.rewrite_json = rewrite_json
        self._http = httpx.Client(
            limits=httpx.Limits(max_connections=max_connections,
                                max_keepalive_connections=max_connections),
            headers={"User-Agent": "diplomacy-publisher"},
        )

    def close(self) -> None:
        self._http.close()

    def _timeout(self, deadline: float) -> httpx.Timeout:
        remaining = max(0.001, deadline - time.monotonic())
        return httpx.Timeout(remaining, connect=min(self.connect_timeout_s, remaining))

    def _auth(self, for_update: bool) -> httpx.Auth | None:
        # Credentials go with updates and loads; queries send them only when the
        # query endpoint is the same protected one (Virtuoso's /sparql-auth).
        if self.credentials is None:
            return None
        if for_update or self.query_url == self.update_url:
            return self.credentials.auth()
        return None

    # -- queries

    def query(self, query: str, *, returns_graph: bool,
              default_graphs: Sequence[str] | None = None,
              named_graphs: Sequence[str] | None = None,
              timeout_s: float | None = None) -> RemoteAnswer:
        """Send ``query``; the answer is parsed as it streams (see :class:`RemoteAnswer`).

        ``default_graphs``/``named_graphs`` become the protocol's dataset parameters
        (``None``: not sent, the engine's own default dataset).
        """
        timeout_s = self.timeout_s if timeout_s is None else timeout_s
        deadline = time.monotonic() + timeout_s
        params: list[tuple[str, str]] = [("query", query)]
        params += [("default-graph-uri", iri) for iri in default_graphs or ()]
        params += [("named-graph-uri", iri) for iri in named_graphs or ()]
        accept = N_TRIPLES if returns_graph else SPARQL_JSON
        stream = self._http.stream(
            "POST", self.query_url, content=urlencode(params).encode(),
            headers={"Content-Type": FORM, "Accept": accept},
            auth=self._auth(False), timeout=self._timeout(deadline))
        response = _open(stream, timeout_s)
        try:
            if response.status_code != 200:
                raise _query_failure(response, timeout_s)
            content_type = response.headers.get("content-type", "").split(";")[0].strip()
            if returns_graph:
                body = _Body(response, deadline, timeout_s)
                parsed = ox.parse(body, ox.RdfFormat.N_TRIPLES
                                  if content_type in ("", N_TRIPLES, "text/plain")
                                  else _rdf_format(content_type))
                return RemoteAnswer("graph", body, parsed, stream)
            body = _Body(response, deadline, timeout_s,
                         self.rewrite_json() if self.rewrite_json else None)
            results_format = _results_format(content_type)
            try:
                parsed = ox.parse_query_results(body, results_format)
            except SyntaxError as error:
                raise _cut_or_invalid(body, error) from None
            if isinstance(parsed, ox.QueryBoolean):
                _check_complete(body)
                return RemoteAnswer("boolean", body, parsed, stream)
            if [variable.value for variable in parsed.variables] == [VIRTUOSO_ASK]:
                return RemoteAnswer("boolean", body, _virtuoso_ask(parsed, body), stream)
            return RemoteAnswer("solutions", body, parsed, stream)
        except BaseException:
            stream.__exit__(None, None, None)
            raise

    def select(self, query: str, **options: Any) -> list[dict[str, Any]]:
        """A small SELECT answered as a list of ``{variable: term}`` (for counts, probes)."""
        with self.query(query, returns_graph=False, **options) as answer:
            names = [variable.value for variable in answer.variables]
            return [{name: row[name] for name in names} for row in answer]

    def ask(self, query: str, **options: Any) -> bool:
        with self.query(query, returns_graph=False, **options) as answer:
            return answer.boolean

    def probe(self, timeout_s: float = 2.0) -> str:
        """``ASK {}``: raises :class:`StoreError` unless the store answers; its Server."""
        deadline = time.monotonic() + timeout_s
        try:
            response = self._http.post(
                self.query_url, content=urlencode({"query": "ASK {}"}).encode(),
                headers={"Content-Type": FORM, "Accept": SPARQL_JSON},
                auth=self._auth(False), timeout=self._timeout(deadline))
        except httpx.TimeoutException:
            raise StoreUnavailable(f"the SPARQL store at {self.query_url} did not answer "
                                   f"within {timeout_s:g} s") from None
        except httpx.HTTPError as error:
            raise StoreUnavailable(_unreachable(self.query_url, error)) from None
        if response.status_code != 200:
            raise _query_failure(response, timeout_s)
        return response.headers.get("server", "")

    # -- updates and loads

    def update(self, update: str, *, timeout_s: float = 600.0) -> None:
        """One SPARQL Update request (one transaction on the engines we test)."""
        if not self.update_url:
            raise UpdateRefused("no update endpoint is configured "
                                "(--store-update-url / PUBLISHER_STORE_UPDATE_URL)")
        self._send(self.update_url, urlencode({"update": update}).encode(), FORM,
                   timeout_s=timeout_s)

    def post_data(self, body: bytes, content_type: str, *, graph: str | None = None,
                  timeout_s: float = 600.0) -> None:
        """Graph Store Protocol POST: add ``body`` to ``graph``, or to the dataset.

        Without ``graph``, a quad format (N-Quads, TriG) adds to the whole dataset, as
        the Oxigraph server allows on its ``/store``; that keeps blank nodes shared
        between graphs intact, which one request per graph would not.
        """
        if not self.store_url:
            raise UpdateRefused("no Graph Store endpoint is configured")
        url = self.store_url
        if graph is not None:
            url += ("&" if "?" in url else "?") + urlencode({"graph": graph})
        self._send(url, body, content_type, timeout_s=timeout_s)

    def _send(self, url: str, body: bytes, content_type: str, *, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        try:
            response = self._http.post(url, content=body,
                                       headers={"Content-Type": content_type},
                                       auth=self._auth(True), timeout=self._timeout(deadline))
        except httpx.TimeoutException:
            raise StoreTimeout(f"the SPARQL store did not finish the update within "
                               f"{timeout_s:g} s") from None
        except httpx.HTTPError as error:
            raise StoreUnavailable(_unreachable(url, error)) from None
        if response.status_code >= 300:
            raise _update_failure(response)


# --- responses to errors -----------------------------------------------------------------

def _open(stream: Any, timeout_s: float) -> httpx.Response:
    try:
        return stream.__enter__()
    except httpx.TimeoutException as error:
        if isinstance(error, httpx.ConnectTimeout):
            raise StoreUnavailable("the SPARQL store did not accept a connection in "
                                   "time") from None
        raise StoreTimeout(_timeout_message(timeout_s)) from None
    except httpx.HTTPError as error:
        raise StoreUnavailable(_unreachable(str(stream), error)) from None


def _unreachable(url: str, error: Exception) -> str:
    return (f"the SPARQL store is unreachable ({type(error).__name__}: {error}); "
            f"retry in a few seconds")


def _error_text(response: httpx.Response) -> bytes:
    data = b""
    try:
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) >= ERROR_BODY_BYTES:
                break
    except httpx.HTTPError:
        pass
    return data[:ERROR_BODY_BYTES]


def _short(text: bytes) -> str:
    message = text.decode("utf-8", "replace").strip()
    message = re.sub(r"\s+", " ", message)
    return message[:500] or "(no message)"


def _query_failure(response: httpx.Response, timeout_s: float) -> StoreError:
    status = response.status_code
    text = _error_text(response)
    if status == 400:
        return QueryRejected(f"the SPARQL store rejected the query: {_short(text)}")
    if status in (502, 503, 504, 429):
        return StoreUnavailable(f"the SPARQL store is unavailable ({status}): {_short(text)}")
    if status == 500 and _VIRTUOSO_TIMEOUT.search(text):
        return StoreTimeout(_timeout_message(timeout_s), by_engine=True)
    return StoreError(f"the SPARQL store failed ({status}): {_short(text)}")


def _update_failure(response: httpx.Response) -> StoreError:
    status = response.status_code
    text = _error_text(response)
    if status in (401, 403) or _VIRTUOSO_NO_PERMISSION.search(text):
        return UpdateRefused(f"the SPARQL store refused the update ({status}): {_short(text)}; "
                             "check the update endpoint and its credentials")
    if status == 400:
        return QueryRejected(f"the SPARQL store rejected the update: {_short(text)}")
    if status in (502, 503, 504, 429):
        return StoreUnavailable(f"the SPARQL store is unavailable ({status}): {_short(text)}")
    return StoreError(f"the SPARQL store failed the update ({status}): {_short(text)}")


def _results_format(content_type: str) -> ox.QueryResultsFormat:
    for fmt in (ox.QueryResultsFormat.JSON, ox.QueryResultsFormat.XML,
                ox.QueryResultsFormat.TSV, ox.QueryResultsFormat.CSV):
        if content_type == fmt.media_type:
            return fmt
    if content_type in ("application/json", ""):
        return ox.QueryResultsFormat.JSON
    raise StoreError(f"the SPARQL store answered in {content_type!r}, not a SPARQL results "
                     f"format")


def _rdf_format(content_type: str) -> ox.RdfFormat:
    fmt = ox.RdfFormat.from_media_type(content_type)
    if fmt is None:
        raise StoreError(f"the SPARQL store answered a graph query in {content_type!r}, "
                         f"not an RDF format")
    return fmt


def graphs_clause(iris: Iterable[str]) -> str:
    """``<a> <b> …`` for VALUES and FROM lists (IRIs checked by pyoxigraph)."""
    return " ".join(str(ox.NamedNode(iri)) for iri in iris)
