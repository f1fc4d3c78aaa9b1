"""Example queries preloaded in the query page: the competency questions first.

The competency questions live as ``queries/*.rq`` in the project folder (written with
IRIs relative to the base, and run by the pipeline's tests); the page loads them from
there, so there is one copy of each. Each is prefixed with ``BASE <base>`` so it runs
unchanged on any deployment. A few built-in examples follow that show what the endpoint
adds: the source graph of a fact, the named graphs, how dates were established.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROLOGUE = """PREFIX dip: <{base}ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX schema: <http://schema.org/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


@dataclass(frozen=True)
class Example:
    name: str  # the tab title
    question: str  # the question it answers
    body: str  # the query after the shared prologue (built-in examples)

    def query(self, base: str) -> str:
        return f"# {self.question}\n" + PROLOGUE.replace("{base}", base) + "\n" + self.body


@dataclass(frozen=True)
class LoadedExample:
    """An example as the page shows it: a tab title, its question, the runnable query."""

    name: str
    question: str
    query: str


def competency_questions(queries_dir: Path, base: str) -> list[LoadedExample]:
    """``queries/*.rq``: the question is the file's leading comment, the name its prefix."""
    loaded = []
    for path in sorted(queries_dir.glob("*.rq")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        comments = []
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            comments.append(line.lstrip("# ").strip())
        question = " ".join(comments) or path.stem
        loaded.append(LoadedExample(path.stem.split("-")[0].upper(), question,
                                    f"BASE <{base}>\n{text}"))
    return loaded


def load_examples(queries_dir: Path, base: str) -> list[LoadedExample]:
    """The competency questions, then the built-in examples."""
    return competency_questions(queries_dir, base) + [
        LoadedExample(example.name, example.question, example.query(base))
        for example in EXAMPLES]


EXAMPLES: tuple[Example, ...] = (
    Example(
        "Who met whom",
        "Which meetings took place, when and where, and who took part?",
        """SELECT ?event ?label ?date ?end ?placeLabel
       (GROUP_CONCAT(DISTINCT ?participantLabel; separator=", ") AS ?participants)
WHERE {
  ?event a/rdfs:subClassOf* dip:Meeting ;
         rdfs:label ?label .
  OPTIONAL { ?event dip:date ?day }
  OPTIONAL { ?event dip:startDate ?start }
  OPTIONAL { ?event dip:endDate ?end }
  BIND (COALESCE(?day, ?start) AS ?date)
  OPTIONAL { ?event dip:place/rdfs:label ?placeLabel }
  OPTIONAL { ?event dip:participant/rdfs:label ?participantLabel }
}
GROUP BY ?event ?label ?date ?end ?placeLabel
ORDER BY ?date
""",
    ),
    Example(
        "Sidelines",
        "Which events took place on the sidelines of, or as part of, a larger event?",
        """SELECT ?event ?eventLabel ?relation ?larger ?largerLabel
WHERE {
  VALUES ?relation { dip:onSidelinesOf dip:partOf }
  ?event ?relation ?larger .
  OPTIONAL { ?event rdfs:label ?eventLabel }
  OPTIONAL { ?larger rdfs:label ?largerLabel }
}
ORDER BY ?largerLabel ?eventLabel
""",
    ),
    Example(
        "Memberships and partnerships",
        "Which states are members or partners of an organisation, and in which role?",
        """SELECT ?organisationLabel ?memberLabel ?roleLabel
WHERE {
  ?membership org:organization ?organisation ;
              org:member ?member .
  OPTIONAL { ?membership org:role/rdfs:label ?roleLabel }
  OPTIONAL { ?organisation rdfs:label ?organisationLabel }
  OPTIONAL { ?member rdfs:label ?memberLabel }
}
ORDER BY ?organisationLabel ?roleLabel ?memberLabel
""",
    ),
    Example(
        "Which source says so",
        "Which source article states each fact about an event?",
        """SELECT ?eventLabel ?graph ?source ?headline
WHERE {
  GRAPH ?graph { ?event a ?type ; rdfs:label ?eventLabel }
  ?type rdfs:subClassOf* dip:DiplomaticEvent .
  OPTIONAL { ?graph prov:wasDerivedFrom ?source .
             OPTIONAL { ?source schema:headline ?headline } }
}
ORDER BY ?eventLabel
""",
    ),
    Example(
        "Resolved dates",
        "Which dates did the curator resolve from relative expressions, rather than read?",
        """SELECT ?event ?eventLabel ?date ?status
WHERE {
  ?event dip:date ?date ;
         dip:dateStatus ?status .
  FILTER(?status != dip:Stated)
  OPTIONAL { ?event rdfs:label ?eventLabel }
}
ORDER BY ?date
""",
    ),
    Example(
        "Graphs",
        "Which source graphs does the store hold, and how many facts does each state?",
        """SELECT ?graph (COUNT(*) AS ?triples)
WHERE { GRAPH ?graph { ?s ?p ?o } }
GROUP BY ?graph
ORDER BY DESC(?triples)
""",
    ),
)
