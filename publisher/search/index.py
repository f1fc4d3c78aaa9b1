"""The label search index: one SQLite file with FTS5 tables, written once per build.

Why SQLite FTS5 (see ``docs/search.md`` for the measurements): it is in the standard
library, its ``unicode61 remove_diacritics 2`` tokenizer gives case- and accent-free
matching, its initial-token queries (``^"sao pau"*``) give the exact/prefix/word tiers
the ranking needs without a second hand-written matcher, and the same file holds the
relational side reconciliation needs (types, property values, link counts) with one
consistent, immutable snapshot per build.

Ranking of :meth:`SearchIndex.search`: exact label, then a label that starts with the
query, then a label that contains every word (each word may be unfinished, so it serves
autocomplete); within a tier, the entity more facts link to first, then a name before an
alternative name, then alphabetical. Items are entities, types and properties (the
latter two for the reconciliation suggest services), each searched on its own.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .extract import Extract
from .text import (
    TOKENIZER,
    any_word_query,
    exact_query,
    fold,
    prefix_query,
    trigram_query,
    trigrams,
    words,
    words_query,
)

#: Name of the index file inside a build folder.
INDEX_FILE = "search.sqlite"
#: Bumped when the schema changes, so a server never reads a file it does not understand.
FORMAT = "1"

SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE item (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,           -- 'entity' | 'type' | 'property'
  key TEXT NOT NULL,            -- entity: its IRI; type, property: short id
  iri TEXT,                     -- full IRI (NULL for a derived property)
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  links INTEGER NOT NULL,       -- entity: statements linking to it; term: uses
  extra TEXT,                   -- JSON: type -> broader; property -> uses per type
  UNIQUE (kind, key)
);
CREATE TABLE label (
  id INTEGER PRIMARY KEY,
  item INTEGER NOT NULL REFERENCES item(id),
  text TEXT NOT NULL,
  alt INTEGER NOT NULL,         -- 0: a name, 1: an alternative name
  words INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX label_item ON label (item);
CREATE VIRTUAL TABLE label_fts USING fts5 (
  text, content='label', content_rowid='id', tokenize='{TOKENIZER}', prefix='1 2 3');
CREATE VIRTUAL TABLE label_trigram USING fts5 (folded, tokenize='trigram');
CREATE TABLE item_type (
  type TEXT NOT NULL, item INTEGER NOT NULL, asserted INTEGER NOT NULL,
  PRIMARY KEY (type, item)) WITHOUT ROWID;
CREATE INDEX item_type_item ON item_type (item);
CREATE TABLE value (
  item INTEGER NOT NULL, property TEXT NOT NULL, iri TEXT, text TEXT NOT NULL,
  datatype TEXT, language TEXT, folded TEXT NOT NULL);
CREATE INDEX value_item ON value (item, property);
CREATE INDEX value_folded ON value (property, folded);
CREATE INDEX value_iri ON value (property, iri);
"""

KINDS = ("entity", "type", "property")


class IndexUnavailable(RuntimeError):
    """An index file that is missing, unreadable or of another build or format."""


@dataclass(frozen=True)
class Item:
    """An entity, type or property as the index knows it."""

    id: int
    kind: str
    key: str
    iri: str | None
    name: str
    description: str
    links: int
    types: tuple[str, ...] = ()  # entity: asserted types (short ids)
    matched: str = ""  # the label the query matched
    tier: int = 0  # 0 exact, 1 prefix, 2 words (search); -1 identifier


@dataclass(frozen=True)
class Page:
    """One page of search results and how many there are in all."""

    total: int
    offset: int
    limit: int
    items: list[Item]


@dataclass(frozen=True)
class StoredValue:
    property: str
    iri: str | None
    text: str
    datatype: str | None
    language: str | None


def write_index(extract: Extract, path: Path, build_id: str, base: str) -> Path:
    """Write the index for one build to ``path`` (atomically: a partial file is renamed)."""
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    connection = sqlite3.connect(partial)
    try:
        connection.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + SCHEMA)
        _fill(connection, extract, build_id, base)
        connection.commit()
    finally:
        connection.close()
    os.replace(partial, path)
    return path


def _fill(connection: sqlite3.Connection, extract: Extract, build_id: str, base: str) -> None:
    execute = connection.execute
    meta = {"format": FORMAT, "build_id": build_id, "base": base}
    connection.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
    item_ids: dict[str, int] = {}
    labels: list[tuple[int, str, int]] = []
    next_id = 1
    for entity in sorted(extract.entities.values(), key=lambda e: e.iri):
        execute("INSERT INTO item VALUES (?, 'entity', ?, ?, ?, ?, ?, NULL)",
                (next_id, entity.iri, entity.iri, entity.name, entity.description, entity.links))
        item_ids[entity.iri] = next_id
        labels.extend((next_id, text, int(alt)) for text, alt in entity.labels)
        types = set(entity.types)
        inferred = set().union(*(extract.superclasses.get(t, set()) for t in types)) - types
        connection.executemany("INSERT INTO item_type VALUES (?, ?, ?)",
                               [(t, next_id, 1) for t in sorted(types)]
                               + [(t, next_id, 0) for t in sorted(inferred)])
        next_id += 1
    for kind, terms in (("type", extract.types), ("property", extract.properties)):
        for term in terms.values():
            extra = term.broader if kind == "type" else term.per_type
            execute("INSERT INTO item VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (next_id, kind, term.id, term.iri, term.name, term.description, term.count,
                     json.dumps(extra, sort_keys=True)))
            labels.append((next_id, term.name, 0))
            if term.id != term.name:
                labels.append((next_id, term.id, 1))
            next_id += 1
    connection.executemany("INSERT INTO label (item, text, alt) VALUES (?, ?, ?)", labels)
    connection.execute("INSERT INTO label_fts (label_fts) VALUES ('rebuild')")
    connection.executemany("INSERT INTO label_trigram (rowid, folded) VALUES (?, ?)",
                           [(rowid, fold(text)) for rowid, text in
                            connection.execute("SELECT id, text FROM label")])
    # Word counts from FTS5's own tokenizer, so "exact" agrees with how labels were cut.
    execute("CREATE VIRTUAL TABLE temp.label_words USING fts5vocab(main, label_fts, instance)")
    execute("UPDATE label SET words = (SELECT COUNT(*) FROM temp.label_words"
            " WHERE temp.label_words.doc = label.id)")
    execute("DROP TABLE temp.label_words")
    connection.executemany(
        "INSERT INTO value VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(item_ids[v.entity], v.property, v.iri, v.text, v.datatype, v.language, fold(v.text))
         for v in extract.values if v.entity in item_ids])
    execute("INSERT INTO label_fts (label_fts) VALUES ('optimize')")
    execute("INSERT INTO label_trigram (label_trigram) VALUES ('optimize')")
    execute("ANALYZE")


class SearchIndex:
    """Read-only access to one build's index file; safe to share between threads."""

    def __init__(self, path: Path, build_id: str | None = None) -> None:
        if not path.is_file():
            raise IndexUnavailable(f"no search index at {path}")
        self.path = path
        self._uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
        self._local = threading.local()
        meta = dict(self._db().execute("SELECT key, value FROM meta").fetchall())
        if meta.get("format") != FORMAT:
            raise IndexUnavailable(
                f"{path}: index format {meta.get('format')!r}, expected {FORMAT}")
        if build_id is not None and meta.get("build_id") != build_id:
            raise IndexUnavailable(
                f"{path}: index of build {meta.get('build_id')}, not {build_id}")
        self.build_id: str = meta["build_id"]
        self.base: str = meta["base"]
        self.vocab = self.base + "ontology#"
        self.id_base = self.base + "id/"
        self.types: dict[str, Item] = {i.key: i for i in self._items("type")}
        self.properties: dict[str, Item] = {i.key: i for i in self._items("property")}
        self._extra = {(kind, key): json.loads(extra) for kind, key, extra in self._db().execute(
            "SELECT kind, key, extra FROM item WHERE kind != 'entity'")}

    def _db(self) -> sqlite3.Connection:
        """One connection per thread (sqlite3 objects must stay in their thread)."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            try:
                connection = sqlite3.connect(self._uri, uri=True)
            except sqlite3.Error as error:
                raise IndexUnavailable(
                    f"{self.path}: cannot open the search index: {error}") from error
            self._local.connection = connection
        return connection

    def _items(self, kind: str) -> list[Item]:
        rows = self._db().execute(
            "SELECT id, kind, key, iri, name, description, links FROM item WHERE kind = ?"
            " ORDER BY key", (kind,))
        return [Item(*row) for row in rows]

    # -- vocabulary ----------------------------------------------------------------
    def broader(self, type_id: str) -> list[str]:
        return list(self._extra.get(("type", type_id), []))

    def uses_per_type(self, property_id: str) -> dict[str, int]:
        return dict(self._extra.get(("property", property_id), {}))

    def type_names(self) -> dict[str, str]:
        return {key: item.name for key, item in self.types.items()}

    def property_names(self) -> dict[str, str]:
        return {key: item.name for key, item in self.properties.items()}

    # -- search --------------------------------------------------------------------
    def search(self, text: str, types: Sequence[str] = (), limit: int = 20, offset: int = 0,
               kind: str = "entity") -> Page:
        """Ranked items whose labels match ``text``; all of ``types`` if no text.

        ``types`` (short ids, any of which the entity must have, super-classes
        included) applies to entities only.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        tokens = words(text)
        type_filter, type_args = _type_filter(types if kind == "entity" else ())
        if not tokens:
            if text.strip():
                return Page(0, offset, limit, [])
            return self._browse(kind, type_filter, type_args, limit, offset)
        ranked = """
            WITH hit (label, tier) AS (
              SELECT rowid, 0 FROM label_fts WHERE label_fts MATCH ?
              UNION ALL SELECT rowid, 1 FROM label_fts WHERE label_fts MATCH ?
              UNION ALL SELECT rowid, 2 FROM label_fts WHERE label_fts MATCH ?),
            ranked AS (
              SELECT label.item AS item, label.text AS matched,
                     MIN((CASE WHEN hit.tier = 0 AND label.words != ? THEN 1 ELSE hit.tier END)
                         * 2 + label.alt) AS rank
              FROM hit JOIN label ON label.id = hit.label GROUP BY label.item)"""
        where = f"FROM ranked JOIN item ON item.id = ranked.item WHERE item.kind = ? {type_filter}"
        args = [exact_query(tokens), prefix_query(tokens), words_query(tokens), len(tokens),
                kind, *type_args]
        db = self._db()
        rows = db.execute(f"""{ranked}
            SELECT item.id, item.kind, item.key, item.iri, item.name, item.description,
                   item.links, ranked.matched, ranked.rank / 2, COUNT(*) OVER () {where}
            ORDER BY ranked.rank / 2, item.links DESC, ranked.rank % 2, item.name, item.key
            LIMIT ? OFFSET ?""", [*args, limit, offset]).fetchall()
        if rows:
            total = rows[0][-1]
        else:  # past the end: no row carries the window count
            total = db.execute(f"{ranked} SELECT COUNT(*) {where}", args).fetchone()[0]
        items = [Item(*row[:7], matched=row[7], tier=row[8]) for row in rows]
        return Page(total, offset, limit, self._with_types(items))

    def _browse(self, kind: str, type_filter: str, type_args: list[str], limit: int,
                offset: int) -> Page:
        where = f"WHERE item.kind = ? {type_filter}"
        db = self._db()
        total = db.execute(f"SELECT COUNT(*) FROM item {where}", [kind, *type_args]).fetchone()[0]
        rows = db.execute(
            "SELECT item.id, item.kind, item.key, item.iri, item.name, item.description,"
            f" item.links FROM item {where} ORDER BY item.links DESC, item.name, item.key"
            " LIMIT ? OFFSET ?", [kind, *type_args, limit, offset]).fetchall()
        return Page(total, offset, limit, self._with_types([Item(*row) for row in rows]))

    def _with_types(self, items: list[Item]) -> list[Item]:
        if not items:
            return items
        types = self.asserted_types([item.id for item in items])
        return [Item(i.id, i.kind, i.key, i.iri, i.name, i.description, i.links,
                     types.get(i.id, ()), i.matched, i.tier) for i in items]

    def asserted_types(self, item_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
        """The types stated for each item."""
        return self.types_of(item_ids, inferred=False)

    def types_of(self, item_ids: Iterable[int],
                 inferred: bool = True) -> dict[int, tuple[str, ...]]:
        """Each item's types, with their super-classes unless ``inferred`` is False."""
        ids = list(item_ids)
        found: dict[int, list[str]] = {}
        only = "" if inferred else "asserted = 1 AND "
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows = self._db().execute(
                f"SELECT item, type FROM item_type WHERE {only}item IN"
                f" ({','.join('?' * len(chunk))}) ORDER BY item, type", chunk)
            for item, type_id in rows:
                found.setdefault(item, []).append(type_id)
        return {item: tuple(types) for item, types in found.items()}

    # -- lookups for reconciliation -------------------------------------------------
    def entity(self, iri: str) -> Item | None:
        row = self._db().execute(
            "SELECT id, kind, key, iri, name, description, links FROM item"
            " WHERE kind = 'entity' AND key = ?", (iri,)).fetchone()
        return self._with_types([Item(*row)])[0] if row else None

    def entities(self, item_ids: Iterable[int]) -> dict[int, Item]:
        ids = sorted(set(item_ids))
        items: list[Item] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            items.extend(Item(*row) for row in self._db().execute(
                "SELECT id, kind, key, iri, name, description, links FROM item"
                f" WHERE id IN ({','.join('?' * len(chunk))})", chunk))
        return {item.id: item for item in self._with_types(items)}

    def labels(self, item_ids: Iterable[int]) -> dict[int, list[tuple[str, bool]]]:
        ids = sorted(set(item_ids))
        found: dict[int, list[tuple[str, bool]]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for item, text, alt in self._db().execute(
                    "SELECT item, text, alt FROM label WHERE item IN"
                    f" ({','.join('?' * len(chunk))}) ORDER BY item, alt, text", chunk):
                found.setdefault(item, []).append((text, bool(alt)))
        return found

    def candidates(self, text: str, types: Sequence[str] = (), limit: int = 50) -> list[int]:
        """Entities sharing a word (or, failing that, three-letter pieces) with ``text``.

        The wide net of reconciliation: recall first (any word, best BM25 first); the
        caller scores the candidates. Typos still find candidates through trigrams.
        """
        type_filter, type_args = _type_filter(types)
        found: list[int] = []
        tokens = words(text)
        queries = []
        if tokens:
            queries.append(("label_fts", any_word_query(tokens)))
        grams = trigrams(text)
        if grams:
            queries.append(("label_trigram", trigram_query(grams)))
        for table, match in queries:
            rows = self._db().execute(f"""
                SELECT item.id FROM (
                  SELECT rowid AS label, bm25({table}) AS score FROM {table}
                  WHERE {table} MATCH ? ORDER BY score LIMIT ?) AS hit
                JOIN label ON label.id = hit.label JOIN item ON item.id = label.item
                WHERE item.kind = 'entity' {type_filter}
                GROUP BY item.id ORDER BY MIN(hit.score), item.links DESC LIMIT ?""",
                [match, limit * 8, *type_args, limit]).fetchall()
            for (item_id,) in rows:
                if item_id not in found:
                    found.append(item_id)
            if len(found) >= limit:
                break
        return found[:limit]

    def with_value(self, property_id: str, iri: str | None, text: str | None,
                   types: Sequence[str] = (), limit: int = 50) -> list[int]:
        """Entities whose ``property_id`` is the resource ``iri`` or reads as ``text``."""
        type_filter, type_args = _type_filter(types)
        conditions, args = [], []
        if iri is not None:
            conditions.append("value.iri = ?")
            args.append(iri)
        if text is not None and fold(text):
            conditions.append("value.folded = ?")
            args.append(fold(text))
        if not conditions:
            return []
        rows = self._db().execute(f"""
            SELECT DISTINCT item.id FROM value JOIN item ON item.id = value.item
            WHERE value.property = ? AND ({' OR '.join(conditions)}) {type_filter}
            ORDER BY item.links DESC, item.id LIMIT ?""",
            [property_id, *args, *type_args, limit]).fetchall()
        return [row[0] for row in rows]

    def values(self, item_ids: Iterable[int],
               properties: Sequence[str]) -> dict[int, dict[str, list[StoredValue]]]:
        ids = sorted(set(item_ids))
        found: dict[int, dict[str, list[StoredValue]]] = {i: {} for i in ids}
        if not ids or not properties:
            return found
        props = list(properties)
        for start in range(0, len(ids), 400):
            chunk = ids[start:start + 400]
            rows = self._db().execute(
                "SELECT item, property, iri, text, datatype, language FROM value"
                f" WHERE item IN ({','.join('?' * len(chunk))})"
                f" AND property IN ({','.join('?' * len(props))}) ORDER BY rowid",
                [*chunk, *props])
            for item, prop, *rest in rows:
                found[item].setdefault(prop, []).append(StoredValue(prop, *rest))
        return found

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None


def _type_filter(types: Sequence[str]) -> tuple[str, list[str]]:
    if not types:
        return "", []
    marks = ",".join("?" * len(types))
    return (f"AND EXISTS (SELECT 1 FROM item_type WHERE item_type.item = item.id"
            f" AND item_type.type IN ({marks}))", list(types))
