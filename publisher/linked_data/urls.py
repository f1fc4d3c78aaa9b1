"""The linked-data URL space: which path under the base names which resource.

The router (:mod:`publisher.http.routing`) sends a request to the resolver of its kind
(a thing, a document, a vocabulary, the dataset description, a dump, a static file);
the resolver says, against the request's build, whether the path is a redirect
(``id/…`` -> ``doc/…``, slash forms of terms), a document with the formats it is offered
in, or a missing IRI with suggestions. Answers are remembered per build.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote_to_bytes

import pyoxigraph as ox

from .. import formats, pages
from ..formats import DOCUMENT_FORMATS, GRAPH_FORMATS, GZIP, HTML, Format
from ..settings import Settings
from ..snapshot import Snapshot
from ..stable_uris import Gone
from ..stable_uris import Moved as MovedOutcome
from .describe import RDF_TYPE

#: A 404's suggestions compare the path with at most this many entities of its kind, its
#: alphabetical neighbours (a miss is never cached, so its cost must stay small, a few
#: milliseconds, whatever the size of the dataset).
MAX_SUGGESTION_CANDIDATES = 500
#: Longer paths get no suggestions (difflib's cost grows with the length too).
MAX_SUGGESTION_QUERY = 200

#: Formats of the ontology and shapes documents (HTML for people first).
VOCABULARY_FORMATS: tuple[Format, ...] = DOCUMENT_FORMATS
#: Formats of the dataset description (and of the home page, for machines).
VOID_FORMATS: tuple[Format, ...] = (HTML, *GRAPH_FORMATS)
#: The data behind a page's pictures (timeline, network, map).
FIGURE_JSON = Format("figure-json", "application/json", "json", "JSON")
#: The pictures a page may have, each also served as JSON beside it.
FIGURES = ("timeline", "network", "map")
STATIC_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png",
                ".ico": "image/x-icon", ".js": "text/javascript"}
#: Characters of a path segment that a header value (Location, Link) keeps as they are.
PATH_SAFE = "/:@!$&'()*+,;=-._~%#"


@dataclass(frozen=True)
class Redirect:
    """303 See Other to ``location`` (a path); ``offered`` lets 406 be answered early."""

    location: str
    offered: tuple[Format, ...] | None = None


@dataclass(frozen=True)
class Document:
    """A negotiable document; ``fixed`` when the path names the format (``.ttl``)."""

    key: str
    offered: tuple[Format, ...]
    variant_paths: tuple[str, ...]  # one per offered format, path-absolute
    fixed: Format | None = None
    compressible: bool = True

    def variant_path(self, fmt: Format) -> str:
        for index, offered in enumerate(self.offered):
            if offered is fmt:
                return self.variant_paths[index]
        raise ValueError(f"{fmt.name} is not offered by {self.key}")


@dataclass(frozen=True)
class Missing:
    """An IRI under the base that names nothing; ``suggestions`` are (label, IRI)."""

    what: str
    suggestions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Moved:
    """A retired IRI renamed in the data (``dcterms:isReplacedBy``): 301 to ``location``."""

    location: str


@dataclass(frozen=True)
class Withdrawn:
    """A retired IRI removed from the data (``owl:deprecated``): 410 Gone, with what it was."""

    iri: str
    label: str
    note: str


Route = Redirect | Document | Missing | Moved | Withdrawn
Resolver = Callable[[Snapshot, str], Route]


def iri_path(raw_path: bytes) -> str:
    """A request path as the IRI path it names (RFC 3987 section 3.2).

    Percent-encoded UTF-8 of letters, digits and ``-._~`` (and of non-ASCII characters)
    is decoded, as an IRI writes them; anything else stays encoded, so ``a%20b`` names
    the IRI ``…/a%20b`` and never an IRI with a space in it.
    """
    text = raw_path.decode("latin-1")
    if "%" not in text:
        return text
    return _ESCAPES.sub(lambda match: _decode_run(match.group()), text)


_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _decode_run(run: str) -> str:
    """One run of ``%XX`` escapes: decoded where the characters may stand in an IRI."""
    try:
        decoded = unquote_to_bytes(run).decode("utf-8")
    except UnicodeDecodeError:
        return run
    return "".join(ch if _iri_unreserved(ch) else quote(ch, safe="") for ch in decoded)


def _iri_unreserved(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char in "-._~") or (
        not char.isascii() and char.isprintable() and not char.isspace())


def header_path(path: str) -> str:
    """A path (possibly with IRI characters) as ASCII for Location and Link headers."""
    return quote(path, safe=PATH_SAFE)


class UrlSpace:
    """Resolvers for each kind of path of one deployment (``settings.base``)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base = settings.base
        self.base_path = settings.base_path

    # -- the kinds the router dispatches ------------------------------------------------
    def home(self, snapshot: Snapshot, rest: str) -> Route:
        if rest not in ("", "index.html"):
            return Missing(rest)
        p = self.base_path
        paths = tuple(p if f is HTML else f"{p}void.{f.extension}" for f in VOID_FORMATS)
        return Document("home", VOID_FORMATS, paths, HTML if rest else None)

    def well_known_void(self, snapshot: Snapshot, rest: str) -> Route:
        if rest != ".well-known/void":
            return Missing(rest)
        return Redirect(self.base_path + "void")

    def thing(self, snapshot: Snapshot, rest: str) -> Route:
        """``id/{kind}/{slug}``: 303 to its description when the IRI is used at all."""
        tail = rest.partition("/")[2]
        retired = self.retired(snapshot, tail, "id/", "")
        if retired is not None:  # the data may still say things about it: not an entity
            return retired
        if tail and snapshot.store.exists(self.base + rest):
            return Redirect(f"{self.base_path}doc/{tail}", DOCUMENT_FORMATS)
        return self.missing(snapshot, rest)

    def document(self, snapshot: Snapshot, rest: str) -> Route:
        """``doc/{kind}/{slug}`` (negotiated) or ``doc/{kind}/{slug}.{ext}`` (fixed);
        ``doc/{kind}/{slug}/{picture}.json``: the data of one of its page's pictures."""
        tail = rest.partition("/")[2]
        owner, _, last = tail.rpartition("/")
        if last.endswith(".json") and last.removesuffix(".json") in FIGURES and \
                owner and snapshot.store.exists(self.settings.id_base + owner):
            return self.figure(snapshot, f"entity/{owner}", last.removesuffix(".json"), rest)
        stem, dot, ext = tail.rpartition(".")
        candidates: list[tuple[str, Format | None]] = []
        if dot and "/" not in ext:
            fmt = formats.by_extension(ext, DOCUMENT_FORMATS)
            if fmt is not None:
                candidates.append((stem, fmt))
        candidates.append((tail, None))
        for name, fmt in candidates:
            found = self.retired(snapshot, name, "doc/", f".{fmt.extension}" if fmt else "")
            if found is not None:
                return found
        for name, fmt in candidates:
            if name and snapshot.store.exists(self.settings.id_base + name):
                paths = tuple(f"{self.base_path}doc/{name}.{f.extension}"
                              for f in DOCUMENT_FORMATS)
                return Document(f"entity:{name}", DOCUMENT_FORMATS, paths, fmt)
        return self.missing(snapshot, rest)

    def vocabulary(self, snapshot: Snapshot, rest: str) -> Route:
        """``ontology``, ``shapes``, ``void``, each with an optional ``.{ext}``."""
        stem, dot, ext = rest.partition(".")
        if stem not in ("ontology", "shapes", "void"):
            return Missing(rest)
        offered = VOID_FORMATS if stem == "void" else VOCABULARY_FORMATS
        paths = tuple(f"{self.base_path}{stem}.{f.extension}" for f in offered)
        if not dot:
            return Document(stem, offered, paths)
        fmt = formats.by_extension(ext, offered)
        return Document(stem, offered, paths, fmt) if fmt else Missing(rest)

    def term(self, snapshot: Snapshot, rest: str) -> Route:
        """Slash form of a hash term (``ontology/Meeting``) or the ontology's version IRI."""
        stem, _, tail = rest.partition("/")
        quads = snapshot.ontology() if stem == "ontology" else snapshot.shapes()
        subjects = {q.subject.value for q in quads if isinstance(q.subject, ox.NamedNode)}
        objects = {q.object.value for q in quads if isinstance(q.object, ox.NamedNode)}
        if tail and f"{self.base}{stem}#{tail}" in subjects:
            return Redirect(f"{self.base_path}{stem}#{tail}")
        if tail and f"{self.base}{stem}/{tail}" in subjects | objects:
            return Redirect(f"{self.base_path}{stem}")
        return self.missing(snapshot, rest)

    def dumps_listing(self, snapshot: Snapshot, rest: str) -> Route:
        if rest == "dumps":
            return Redirect(self.base_path + "dumps/")
        if rest != "dumps/":
            return Missing(rest)
        return Document("dumps", (HTML,), (self.base_path + "dumps/",), HTML)

    def dump(self, snapshot: Snapshot, rest: str) -> Route:
        from .dumps import DUMPS

        name = rest.partition("/")[2]
        if name in {dump_name for dump_name, _, _ in DUMPS}:
            return Document(f"dump:{name}", (GZIP,), (self.base_path + rest,), GZIP,
                            compressible=False)
        return Missing(rest)

    def static(self, snapshot: Snapshot | None, rest: str) -> Route:
        tail = rest.partition("/")[2]
        path = (pages.STATIC_DIR / tail).resolve()
        kind = STATIC_TYPES.get(path.suffix)
        if kind is None or not path.is_relative_to(pages.STATIC_DIR) or not path.is_file():
            return Missing(rest)
        fmt = Format(path.suffix.lstrip("."), kind, path.suffix.lstrip("."), path.suffix)
        return Document(f"static:{tail}", (fmt,), (self.base_path + rest,), fmt,
                        compressible=kind.startswith(("text/", "image/svg")))

    def favicon(self, snapshot: Snapshot | None, rest: str) -> Route:
        """``favicon.ico``, where browsers look for it."""
        found = self.static(snapshot, "static/favicon.ico")
        if not isinstance(found, Document):
            return Missing(rest)
        return Document(found.key, found.offered, (self.base_path + rest,), found.fixed,
                        compressible=False)

    def meetings(self, snapshot: Snapshot, rest: str) -> Route:
        """``meetings``: every event in date order; ``meetings/timeline.json``: its data."""
        if rest == "meetings":
            return Document("meetings", (HTML,), (self.base_path + rest,), HTML)
        if rest == "meetings/timeline.json":
            return self.figure(snapshot, "meetings", "timeline", rest)
        return Missing(rest)

    def figures(self, snapshot: Snapshot, rest: str) -> Route:
        """``figures/{picture}.json``: the data of one of the home page's pictures."""
        name = rest.partition("/")[2]
        if not name.endswith(".json"):
            return Missing(rest)
        return self.figure(snapshot, "home", name.removesuffix(".json"), rest)

    def figure(self, snapshot: Snapshot, owner: str, name: str, rest: str) -> Route:
        """A picture's data, when the page (``home``, ``meetings``, ``entity/{name}``)
        has that picture."""
        from .rendering import figures_of

        if name not in figures_of(snapshot, owner):
            return Missing(rest)
        return Document(f"figure:{owner}:{name}", (FIGURE_JSON,), (self.base_path + rest,),
                        FIGURE_JSON)

    # -- what is no longer there --------------------------------------------------------
    def retired(self, snapshot: Snapshot, name: str, prefix: str,
                suffix: str) -> Moved | Withdrawn | None:
        """A published IRI the data retired (``name`` is ``{kind}/{slug}``): the same kind
        of path for its successor (``id/`` or ``doc/``, the same extension), or Gone."""
        outcome = snapshot.retired().get(f"id/{name}") if name else None
        if isinstance(outcome, MovedOutcome):
            successor = outcome.path.removeprefix("id/")
            return Moved(f"{self.base_path}{prefix}{successor}{suffix}")
        if isinstance(outcome, Gone):
            record = outcome.retired
            return Withdrawn(self.base + record.path, record.label, record.note)
        return None

    # -- what is not there --------------------------------------------------------------
    def missing(self, snapshot: Snapshot, rest: str) -> Missing:
        """Suggest entities of the same kind whose name is close to the one asked for
        (a typo: ``person/sergei-lavrov``), never merely similar-looking others."""
        wanted = rest.removeprefix("id/").removeprefix("doc/").rsplit(".", 1)[0]
        if len(wanted) > MAX_SUGGESTION_QUERY:
            return Missing(rest)
        index = self.entity_paths(snapshot)
        kind, _, slug = wanted.partition("/")
        by_kind = self.paths_by_kind(snapshot)
        candidates = by_kind.get(kind)
        if candidates is None:  # a typo in the kind: the nearest kind's entities
            kinds = difflib.get_close_matches(kind, list(by_kind), n=1)
            candidates = by_kind[kinds[0]] if kinds else []
        if len(candidates) > MAX_SUGGESTION_CANDIDATES:  # the alphabetical neighbours
            at = bisect.bisect_left(candidates, wanted)
            start = max(0, min(at - MAX_SUGGESTION_CANDIDATES // 2,
                               len(candidates) - MAX_SUGGESTION_CANDIDATES))
            candidates = candidates[start:start + MAX_SUGGESTION_CANDIDATES]
        by_slug = {name.partition("/")[2]: name for name in candidates}
        close = difflib.get_close_matches(slug, list(by_slug), n=3, cutoff=0.8)
        return Missing(rest, tuple((index[by_slug[s]], self.settings.id_base + by_slug[s])
                                   for s in close))

    def paths_by_kind(self, snapshot: Snapshot) -> dict[str, list[str]]:
        """The entity paths grouped by kind (``person/…``), for bounded suggestions."""

        def compute() -> dict[str, list[str]]:
            grouped: dict[str, list[str]] = {}
            for name in sorted(self.entity_paths(snapshot)):
                grouped.setdefault(name.partition("/")[0], []).append(name)
            return grouped

        return snapshot.once("entity_paths_by_kind", compute)

    def entity_paths(self, snapshot: Snapshot) -> dict[str, str]:
        """Path under ``id/`` -> label, for every typed entity of the build."""

        def compute() -> dict[str, str]:
            from .rendering import labeler

            names = {}
            labels = labeler(snapshot)
            id_base = self.settings.id_base
            for quad in snapshot.store.quads(None, RDF_TYPE, None, None):
                subject = quad.subject
                if isinstance(subject, ox.NamedNode) and subject.value.startswith(id_base):
                    names[subject.value[len(id_base):]] = labels.label(subject.value)
            return names

        return snapshot.once("entity_paths", compute)
