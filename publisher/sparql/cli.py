"""``publisher query``: run one SPARQL query against the live store from a shell.

It shares the endpoint's serializers (:mod:`publisher.formats.results`) and its gates
(no updates, no SERVICE outside the allow-list), so what the CLI prints is exactly what
``sparql`` would send. It runs in-process without the timeout: the operator at the shell can
interrupt a query, which a remote client cannot.
"""

from __future__ import annotations

import sys
from typing import BinaryIO, TextIO

from ..builds import StoreUnavailable
from ..formats import GRAPH_FORMATS, HTML, RESULT_FORMATS
from ..formats.results import ChunkSink, cut_marker, fits, result_kind, write_result
from ..settings import Settings
from ..snapshot import open_live
from ..store import QueryDataset
from .analysis import analyse, gate
from .protocol import ProtocolError, choose_format
from .workers import cut_message

EXIT_OK, EXIT_ERROR, EXIT_SYNTAX = 0, 1, 2


def run_query_cli(settings: Settings, query: str, fmt: str, *,
                  out: BinaryIO | None = None, err: TextIO | None = None) -> int:
    """Print the results of ``query`` in format ``fmt`` (a name, extension or media type).

    Exit codes: 0 success, 2 syntax error, 1 anything else (update or SERVICE refused,
    unknown format, no store, result cut by ``settings.sparql_max_rows``).
    """
    out = out if out is not None else sys.stdout.buffer
    err = err if err is not None else sys.stderr
    info = analyse(query)
    refusal = gate(info, settings.service_allowlist)
    if refusal is not None:
        print(f"error: {refusal}", file=err)
        return EXIT_ERROR
    try:
        chosen = choose_format(info, fmt, None)
    except ProtocolError as error:
        print(f"error: {error.message}", file=err)
        return EXIT_ERROR
    if chosen is HTML:
        print("error: HTML is the query page of the HTTP endpoint; choose a data format",
              file=err)
        return EXIT_ERROR
    try:
        store = open_live(settings).store
        # Relative IRIs resolve against the deployment's base, as in the data files and
        # queries/*.rq (a BASE in the query still wins).
        result = store.query(query, QueryDataset(union=not info.has_dataset),
                             base_iri=settings.base)
    except StoreUnavailable as error:
        print(f"error: {error}", file=err)
        return EXIT_ERROR
    except SyntaxError as error:
        print(f"SPARQL syntax error: {error}", file=err)
        return EXIT_SYNTAX
    except (ValueError, RuntimeError, OSError) as error:
        print(f"error: query evaluation failed: {error}", file=err)
        return EXIT_ERROR
    kind = result_kind(result)
    if not fits(kind, chosen):
        # The lexical look guessed the form wrong; fall back to the first fitting format.
        chosen = (GRAPH_FORMATS if kind == "graph" else RESULT_FORMATS)[0]
    sink = ChunkSink(out.write)
    try:
        outcome = write_result(result, chosen, sink, settings.sparql_max_rows)
    except (ValueError, RuntimeError, OSError) as error:
        print(f"error: query evaluation failed: {error}", file=err)
        return EXIT_ERROR
    if outcome.cut:
        message = cut_message(settings.sparql_max_rows)
        out.write(cut_marker(chosen, message))
        out.flush()
        print(f"error: {message}", file=err)
        return EXIT_ERROR
    out.flush()
    return EXIT_OK
