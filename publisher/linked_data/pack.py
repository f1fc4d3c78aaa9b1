"""The build's document pack: every entity document's RDF variants, prepared by the build.

``documents.sqlite`` in the build folder (written by :mod:`publisher.pipeline.document_pack`)
holds, per (document key, format name), the content type, the identity bytes and the
compressed codings that are smaller, plus a hash of what the bytes were made from (so the
next build can reuse them). It is an SQLite file opened read-only and immutable by every
web process: a lookup is one index seek and reads the bytes of one coding, through the operating
system's page cache (shared by every worker and replica on the machine), never kept in
the Python heap.

A rebuild after a small change writes a *layered* pack: ``documents.sqlite`` then holds
only the documents that build described again (and those the live pack's own layer
held), with a ``layer`` table naming them and the documents that are gone, over
``documents.base.sqlite``, a hard link to the base file of the live build's pack. The
base is never written again once made, so every build that links it reads the same
bytes, and retiring the build that made it only drops one of its names. A lookup asks
the top file whether it holds the document (one index seek), then reads the variant from
it or from the base. When the top file would hold more than a share of the documents,
the build writes a whole pack again instead (:mod:`publisher.pipeline.document_pack`).

ETags are not stored: they are :func:`publisher.prepared.variant_tag` of the serving
build's seed, exactly as the on-request path computes them, and the pack is used only
when its recorded seed is the serving Snapshot's (same build, same renderer version), so
a pack made by other code is ignored rather than served with the wrong validators.
"""

from __future__ import annotations

import gzip
import logging
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from ..formats import DOCUMENT_FORMATS, HTML, Format
from ..http.compression import PACKED_CODINGS
from ..prepared import Representation, variant_tag

#: The formats a pack holds: every RDF format of an entity's document. HTML pages are
#: rendered on request (a page costs far more to render than all the RDF formats together).
PACK_FORMATS: tuple[Format, ...] = tuple(f for f in DOCUMENT_FORMATS if f is not HTML)


def packed(document: str, fmt: Format) -> bool:
    """Whether a pack holds this variant (``document``: the key, ``entity:{name}``); such
    a variant has the pack's codings (:data:`PACKED_CODINGS`) when it is rendered on
    request too, so an answer is the same with or without a pack."""
    return document.startswith("entity:") and fmt in PACK_FORMATS


log = logging.getLogger(__name__)

PACK_FILE = "documents.sqlite"
#: The base file under a layered pack (a hard link to the live build's base).
BASE_FILE = "documents.base.sqlite"
SCHEMA_VERSION = "4"

#: One row per coding: a lookup reads only the bytes it sends (a later column of a large
#: row would make SQLite walk the earlier columns' overflow pages). ``coding`` is ``''``
#: for identity, which is stored only when no gzip coding is (a body too small to gain):
#: otherwise identity is the gzip body decompressed on request, tens of µs, and the pack
#: is a fifth of the size (identity bytes were four fifths of it). ``codings`` lists the
#: variant's codings, so every row can give all of the variant's ETags (a conditional
#: request may name any of them). ``dependencies`` is the build's alone (what each
#: document was read from: :mod:`publisher.pipeline.pack_dependencies`); serving never
#: reads it. ``layer`` (empty unless the pack is layered over :data:`BASE_FILE`) lists the
#: documents this file holds (``present`` 1) and those of the base that are gone (0).
SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE variants (
    document TEXT NOT NULL,
    format TEXT NOT NULL,
    coding TEXT NOT NULL,
    content_type TEXT NOT NULL,
    codings TEXT NOT NULL,
    input TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (document, format, coding)
);
CREATE TABLE dependencies (document TEXT PRIMARY KEY, keys BLOB NOT NULL);
CREATE TABLE layer (document TEXT PRIMARY KEY, present INTEGER NOT NULL);
"""
SELECT = ("SELECT content_type, codings, body FROM variants "
          "WHERE document = ? AND format = ? AND coding = ?")
LAYER = "SELECT present FROM layer WHERE document = ?"


def connect(path: Path) -> sqlite3.Connection:
    """A pack file opened read-only; immutable: no locks, no journal checks (a pack never
    changes once its build is published, and a base never once made)."""
    return sqlite3.connect(_uri(path), uri=True, check_same_thread=False)


def _uri(path: Path) -> str:
    return f"{path.resolve().as_uri()}?mode=ro&immutable=1"


def attach(connection: sqlite3.Connection, path: Path, name: str) -> bool:
    """Attach the pack ``path`` read-only as ``name`` (and its base, when it is layered,
    as ``{name}_base``), with temporary views ``{name}_variants`` and
    ``{name}_dependencies`` of what it serves: the top file's documents and the base's
    others that are not gone. Whether it is layered. (``connection`` must have been
    opened with ``uri=True``.)"""
    connection.execute(f"ATTACH DATABASE ? AS {name}", (_uri(path),))
    meta = dict(connection.execute(f"SELECT key, value FROM {name}.meta"))  # noqa: S608
    layered = meta.get("layered") == "1"
    if layered:
        connection.execute(f"ATTACH DATABASE ? AS {name}_base",
                           (_uri(path.parent / BASE_FILE),))
    for table in ("variants", "dependencies"):
        view = f"SELECT * FROM {name}.{table}"
        if layered:
            view += (f" UNION ALL SELECT * FROM {name}_base.{table} WHERE document NOT IN "
                     f"(SELECT document FROM {name}.layer)")
        connection.execute(f"CREATE TEMP VIEW {name}_{table} AS {view}")
    return layered


def open_layers(path: Path) -> sqlite3.Connection:
    """A pack, layered or not, as views ``pack_variants``, ``pack_dependencies`` (and
    ``pack.meta``) of one connection: how the next build reads the live pack."""
    connection = sqlite3.connect(":memory:", uri=True, check_same_thread=False)
    attach(connection, path, "pack")
    return connection


@dataclass(frozen=True)
class Packed:
    """One variant read for one request: only the body of the coding asked for."""

    content_type: str
    etags: dict[str | None, str]
    coding: str | None
    body: bytes


class DocumentPack:
    """A build's pack, read-only; one SQLite connection per thread that reads it."""

    def __init__(self, path: Path, seed: str) -> None:
        self.path = path
        self.seed = seed
        self._local = threading.local()
        meta = dict(self._connection().execute("SELECT key, value FROM meta"))
        if meta.get("schema") != SCHEMA_VERSION or meta.get("seed") != seed:
            raise PackUnusable(f"{path} was made for another build or renderer version")
        self.documents = int(meta.get("variants", "0"))
        #: The base file when the pack is layered (its meta is its own build's).
        self.base = path.parent / BASE_FILE if meta.get("layered") == "1" else None
        if self.base is not None:
            base_meta = dict(self._connection(self.base).execute("SELECT key, value FROM meta"))
            if base_meta.get("schema") != SCHEMA_VERSION:
                raise PackUnusable(f"{self.base} is not a pack this code reads")

    @property
    def files(self) -> list[Path]:
        """The files the pack reads (for reading ahead into the page cache)."""
        return [self.path] if self.base is None else [self.path, self.base]

    def _connection(self, path: Path | None = None) -> sqlite3.Connection:
        path = path or self.path
        connections = getattr(self._local, "connections", None)
        if connections is None:
            connections = self._local.connections = {}
        found = connections.get(path)
        if found is None:
            found = connections[path] = connect(path)
            found.execute("PRAGMA cache_size=-2048")  # SQLite's own cache stays small
        return found

    def _holder(self, document: str) -> sqlite3.Connection | None:
        """The file holding ``document``: the top file, the base, or None (gone)."""
        top = self._connection()
        if self.base is None:
            return top
        row = top.execute(LAYER, (document,)).fetchone()
        if row is None:
            return self._connection(self.base)
        return top if row[0] else None

    def lookup(self, document: str, fmt: str, coding: str | None) -> Packed | None:
        """The variant in ``coding`` (identity when the pack has no such coding); None
        when the pack does not have it or cannot be read (the document is then rendered
        on request: a damaged file costs speed, never an answer)."""
        try:
            return self._lookup(document, fmt, coding)
        except (sqlite3.Error, OSError, EOFError, gzip.BadGzipFile) as error:
            self._unreadable(error)
            return None

    def _unreadable(self, error: Exception) -> None:
        if not getattr(self, "_told", False):
            self._told = True
            log.warning("the document pack %s cannot be read (%s): documents are rendered "
                        "on request", self.path, error)

    def _lookup(self, document: str, fmt: str, coding: str | None) -> Packed | None:
        connection = self._holder(document)
        if connection is None:
            return None
        row = None
        if coding in PACKED_CODINGS:
            row = connection.execute(SELECT, (document, fmt, coding)).fetchone()
        if row is None:
            coding = None
            row = connection.execute(SELECT, (document, fmt, "")).fetchone()
            if row is None:
                row = connection.execute(SELECT, (document, fmt, "gzip")).fetchone()
                if row is None:
                    return None
                row = (row[0], row[1], gzip.decompress(row[2]))
        content_type, codings, body = row
        return Packed(content_type, self._etags(document, fmt, codings), coding, body)

    def representation(self, document: str, fmt: str) -> Representation | None:
        """The whole variant (every coding), for callers that want all of it."""
        try:
            return self._representation(document, fmt)
        except (sqlite3.Error, OSError, EOFError, gzip.BadGzipFile) as error:
            self._unreadable(error)
            return None

    def _representation(self, document: str, fmt: str) -> Representation | None:
        connection = self._holder(document)
        if connection is None:
            return None
        rows = connection.execute(
            "SELECT coding, content_type, codings, body FROM variants "
            "WHERE document = ? AND format = ?", (document, fmt)).fetchall()
        if not rows:
            return None
        bodies: dict[str | None, bytes] = {coding or None: body for coding, _, _, body in rows}
        if None not in bodies:
            bodies[None] = gzip.decompress(bodies["gzip"])
        _, content_type, codings, _ = rows[0]
        return Representation(content_type, bodies, self._etags(document, fmt, codings),
                              sum(len(b) for b in bodies.values()))

    def _etags(self, document: str, fmt: str, codings: str) -> dict[str | None, str]:
        tag = variant_tag(self.seed, document, fmt)
        etags: dict[str | None, str] = {None: f'"{tag}"'}
        for coding in codings.split():  # in the order the policy prefers, as prepared
            etags[coding] = f'"{tag}-{coding}"'
        return etags


class PackUnusable(Exception):
    """The build has no pack this process can serve from (documents render on request)."""


def open_pack(build_path: Path, seed: str) -> DocumentPack | None:
    """The build's pack, or None (an older build, or one made by other code)."""
    path = build_path / PACK_FILE
    if not path.is_file():
        return None
    try:
        return DocumentPack(path, seed)
    except (PackUnusable, sqlite3.Error):
        return None
