"""SHACL shapes in words: what each shape applies to, and what it asks of it.

The shapes page is read by people deciding whether their data will pass: "Every
diplomatic event must have exactly one place, a place" says that at a glance, where the
Turtle says ``sh:path dip:place ; sh:minCount 1 ; sh:maxCount 1 ; sh:class dip:Place``.
The sentences are generated from the shapes graph (SHACL Core and SHACL-SPARQL), so they
cannot drift from what the validator checks; a term with no wording here is named by its
label, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from rdflib import Graph, Literal, Node, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD

Labeler = Callable[[str], str]

#: Datatypes in the words a curator uses.
DATATYPES = {
    str(XSD.string): "text", str(RDF.langString): "text in a language",
    str(XSD.date): "a date (day)", str(XSD.gYearMonth): "a month", str(XSD.gYear): "a year",
    str(XSD.dateTime): "a date and time", str(XSD.anyURI): "a web address",
    str(XSD.integer): "a whole number", str(XSD.nonNegativeInteger): "a whole number ≥ 0",
    str(XSD.positiveInteger): "a whole number > 0", str(XSD.decimal): "a number",
    str(XSD.boolean): "yes or no",
}
NODE_KINDS = {
    str(SH.IRI): "an IRI", str(SH.BlankNode): "a blank node", str(SH.Literal): "a literal",
    str(SH.BlankNodeOrIRI): "an IRI or a blank node", str(SH.IRIOrLiteral): "an IRI or a literal",
    str(SH.BlankNodeOrLiteral): "a blank node or a literal",
}
SEVERITIES = {str(SH.Warning): "warning", str(SH.Info): "note"}


@dataclass
class Constraint:
    """One thing a shape asks: for a property, which one, how many values and what each
    must be (a row of a table); for the node itself, a sentence. ``terms`` are the IRIs
    it names, for links."""

    text: str
    terms: list[str] = field(default_factory=list)
    message: str | None = None
    field: str | None = None
    count: str | None = None
    values: str | None = None


def article(noun: str) -> str:
    """``a person``, ``an organisation``."""
    return ("an " if noun[:1].lower() in "aeio" else "a ") + noun


@dataclass
class ShapeWords:
    iri: str | None
    label: str
    target: str
    constraints: list[Constraint]
    comment: str | None = None


class ShapeDescriber:
    def __init__(self, shapes: Graph, label: Labeler) -> None:
        self.g = shapes
        self.label = label

    # -- small readers ----------------------------------------------------------------
    def one(self, node: Node, predicate: URIRef) -> Node | None:
        return next(iter(self.g.objects(node, predicate)), None)

    def items(self, node: Node | None) -> list[Node]:
        return list(Collection(self.g, node)) if node is not None else []

    def text(self, node: Node, predicate: URIRef) -> str | None:
        values = [v for v in self.g.objects(node, predicate) if isinstance(v, Literal)]
        english = [v for v in values if v.language in (None, "en")]
        chosen = (english or values)[:1]
        return str(chosen[0]) if chosen else None

    def name(self, term: Node) -> str:
        if isinstance(term, Literal):
            return f"“{term}”"
        if isinstance(term, URIRef):
            return self.label(str(term))
        return "(unnamed)"

    def path(self, path: Node) -> str:
        """SHACL property paths in words: ``^p`` is "p (inverse)", ``p/q`` "p, then q"."""
        if isinstance(path, URIRef):
            return self.label(str(path))
        inverse = self.one(path, SH.inversePath)
        if inverse is not None:
            return f"{self.path(inverse)} (pointing here)"
        alternatives = self.one(path, SH.alternativePath)
        if alternatives is not None:
            return " or ".join(self.path(p) for p in self.items(alternatives))
        for predicate, words in ((SH.zeroOrMorePath, "any number of"),
                                 (SH.oneOrMorePath, "one or more"),
                                 (SH.zeroOrOnePath, "an optional")):
            inner = self.one(path, predicate)
            if inner is not None:
                return f"{words} {self.path(inner)}"
        if (path, RDF.first, None) in self.g:
            return ", then ".join(self.path(p) for p in self.items(path))
        return "(a path)"

    # -- sentences --------------------------------------------------------------------
    def how_many(self, node: Node) -> str | None:
        low, high = self.one(node, SH.minCount), self.one(node, SH.maxCount)
        low_n = int(low) if low is not None else 0
        high_n = int(high) if high is not None else None
        if high_n == 0:
            return "no"
        if low_n and high_n == low_n:
            return "exactly one" if low_n == 1 else f"exactly {low_n}"
        if low_n and high_n:
            return f"between {low_n} and {high_n}"
        if low_n:
            return "at least one" if low_n == 1 else f"at least {low_n}"
        if high_n:
            return "at most one" if high_n == 1 else f"at most {high_n}"
        return None

    def value_words(self, node: Node, choices: bool = True) -> tuple[list[str], list[str]]:
        """What each value must be: its kind, class, list of allowed values, pattern …
        (``choices``: whether ``sh:or`` speaks of values, as in a property shape)."""
        words: list[str] = []
        terms: list[str] = []
        datatype = self.one(node, SH.datatype)
        if datatype is not None:
            words.append(DATATYPES.get(str(datatype), self.label(str(datatype))))
        for cls in self.g.objects(node, SH["class"]):
            words.append(article(self.label(str(cls))))
            terms.append(str(cls))
        kind = self.one(node, SH.nodeKind)
        if kind is not None and not words:
            words.append(NODE_KINDS.get(str(kind), self.label(str(kind))))
        allowed = self.items(self.one(node, SH["in"]))
        if allowed:
            words.append("one of " + ", ".join(self.name(v) for v in allowed))
            terms.extend(str(v) for v in allowed if isinstance(v, URIRef))
        value = self.one(node, SH.hasValue)
        if value is not None:
            words.append(f"including {self.name(value)}")
        for predicate, phrase in ((SH.minInclusive, "at least"), (SH.maxInclusive, "at most"),
                                  (SH.minExclusive, "more than"), (SH.maxExclusive, "less than"),
                                  (SH.minLength, "at least {} characters long"),
                                  (SH.maxLength, "at most {} characters long")):
            bound = self.one(node, predicate)
            if bound is not None:
                words.append(phrase.format(bound) if "{}" in phrase else f"{phrase} {bound}")
        pattern = self.one(node, SH.pattern)
        if pattern is not None:
            words.append(f"matching {pattern}")
        for nested in self.g.objects(node, SH.node):
            words.append(f"described as {article(self.shape_label(nested))}")
            if isinstance(nested, URIRef):
                terms.append(str(nested))
        alternatives = self.items(self.one(node, SH["or"])) if choices else []
        if alternatives:
            parts = [" and ".join(self.value_words(choice)[0]) or "(anything)"
                     for choice in alternatives]
            words.append("either " + " or ".join(parts))
        return words, terms

    def shape_label(self, shape: Node) -> str:
        return (self.text(shape, RDFS.label) or self.text(shape, SH.name)
                or (self.label(str(shape)) if isinstance(shape, URIRef) else "shape"))

    def property_sentence(self, prop: Node) -> Constraint:
        path = self.one(prop, SH.path)
        field_words = self.path(path) if path is not None else "(no path)"
        count = self.how_many(prop) or "any number"
        values, terms = self.value_words(prop)
        value_text = ", ".join(values) or None
        each = "" if count in ("exactly one", "at most one", "no") else "each "
        text = f"{field_words}: {count}" + (f", {each}{value_text}" if value_text else "")
        if isinstance(path, URIRef):
            terms.insert(0, str(path))
        severity = SEVERITIES.get(str(self.one(prop, SH.severity)))
        if severity:
            text += f" ({severity} only)"
            count += f" ({severity} only)"
        return Constraint(text, terms, self.text(prop, SH.message), field_words, count,
                          value_text)

    def node_sentences(self, shape: Node) -> list[Constraint]:
        sentences: list[Constraint] = []
        for operator, words in ((SH["or"], "at least one of"), (SH.xone, "exactly one of"),
                                (SH["and"], "all of")):
            members = self.items(self.one(shape, operator))
            if members:
                parts = [self.inline(member) for member in members]
                sentences.append(Constraint(f"{words}: " + "; ".join(parts)))
        for negated in self.g.objects(shape, SH["not"]):
            sentences.append(Constraint("not: " + self.inline(negated)))
        for check in self.g.objects(shape, SH.sparql):
            message = self.text(check, SH.message) or "a SPARQL check"
            sentences.append(Constraint(f"checked by a query: {message}"))
        closed = self.one(shape, SH.closed)
        if closed is not None and closed.toPython() is True:
            sentences.append(Constraint("no properties other than those listed"))
        if (shape, SH.path, None) not in self.g:  # a property shape's values are its rows
            values, terms = self.value_words(shape, choices=False)
            if values:
                sentences.append(Constraint("is " + ", ".join(values), terms))
        return sentences

    def inline(self, shape: Node) -> str:
        """A nested shape in a few words (inside "at least one of …")."""
        if (shape, SH.path, None) in self.g:
            return self.property_sentence(shape).text
        parts = [c.text for c in self.node_sentences(shape)]
        parts += [self.property_sentence(p).text for p in self.g.objects(shape, SH.property)]
        return ", ".join(parts) or self.shape_label(shape)

    def target(self, shape: Node) -> str:
        targets = []
        for cls in self.g.objects(shape, SH.targetClass):
            targets.append(f"every {self.label(str(cls))}")
        if (shape, RDF.type, RDFS.Class) in self.g:
            targets.append(f"every {self.label(str(shape))}")
        for node in self.g.objects(shape, SH.targetNode):
            targets.append(self.name(node))
        for predicate in self.g.objects(shape, SH.targetSubjectsOf):
            targets.append(f"everything with a {self.label(str(predicate))}")
        for predicate in self.g.objects(shape, SH.targetObjectsOf):
            targets.append(f"every value of {self.label(str(predicate))}")
        if targets:
            return "Applies to " + ", ".join(targets) + "."
        users = [self.shape_label(s) for s in self.g.subjects(SH.node, shape)]
        users += [self.shape_label(s) for s in self.g.subjects(SH.property, shape)]
        if users:
            return "Used by " + ", ".join(sorted(set(users))) + "."
        return "Applies where another shape refers to it."

    def describe(self, shape: Node) -> ShapeWords:
        constraints = [] if (shape, SH.path, None) in self.g else self.node_sentences(shape)
        properties = [self.property_sentence(p) for p in self.g.objects(shape, SH.property)]
        required = ("exactly", "at least", "between")
        properties.sort(key=lambda c: (not (c.count or "").startswith(required), c.text))
        if (shape, SH.path, None) in self.g:  # a property shape described on its own
            properties.insert(0, self.property_sentence(shape))
        return ShapeWords(str(shape) if isinstance(shape, URIRef) else None,
                          self.shape_label(shape), self.target(shape),
                          properties + constraints, self.text(shape, RDFS.comment))


def describe_shapes(shapes: Graph, label: Labeler) -> list[ShapeWords]:
    """Every named shape (node shapes, reusable property shapes, SPARQL constraints),
    ordered by label."""
    describer = ShapeDescriber(shapes, label)
    named: set[URIRef] = set()
    for kind in (SH.NodeShape, SH.PropertyShape, SH.SPARQLConstraint):
        named.update(s for s in shapes.subjects(RDF.type, kind) if isinstance(s, URIRef))
    described = []
    for shape in sorted(named, key=str):
        if (shape, RDF.type, SH.SPARQLConstraint) in shapes:
            message = describer.text(shape, SH.message) or "a SPARQL check"
            users = sorted({describer.shape_label(s) for s in shapes.subjects(SH.sparql, shape)})
            target = "Used by " + ", ".join(users) + "." if users else "Not used by any shape."
            described.append(ShapeWords(str(shape), describer.shape_label(shape), target,
                                        [Constraint(f"checked by a query: {message}")],
                                        describer.text(shape, RDFS.comment)))
            continue
        described.append(describer.describe(shape))
    described.sort(key=lambda s: s.label.lower())
    return described


__all__ = ["Constraint", "ShapeWords", "describe_shapes"]
