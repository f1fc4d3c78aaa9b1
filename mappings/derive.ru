# Derivation rules, applied to the mapped facts of every source graph before validation.
# Relative IRIs resolve against the deployment's base IRI.
#
# 1. Every node the JSON-LD mapping leaves blank gets an IRI minted from its owner, so
#    that two sources stating the same interval, bound or participation state the same
#    node (one claim, two graphs), and a real disagreement shows as two values on it:
#      <owner>#period, <owner>#period-start, <owner>#period-end, <owner>#as-of,
#      <event>#participation-<kind>-<slug of the agent>.
#    The build refuses a source graph that still holds a blank node after these rules.
# 2. Every `evidence` passage becomes a W3C Web Annotation in the source's graph:
#      <fact>#evidence-<hash> a oa:Annotation ; oa:hasBody <fact> ;
#        oa:hasTarget [ oa:hasSource <article> ; oa:hasSelector [ oa:exact "…" ] ]
#    (target and selector are <fact>#evidence-<hash>-target / -selector).
# 3. What follows from the facts, materialised so simple queries need not walk n-ary
#    nodes: participants, date precisions, article labels, and dcterms:source from each
#    fact to the article whose passage the annotation anchors it in.
PREFIX dip: <ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX time: <http://www.w3.org/2006/time#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <http://schema.org/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>

# --- 1. IRIs for nested nodes -----------------------------------------------------------

# Intervals: <owner>#period (a nested owner gets <owner>-period).
DELETE { GRAPH ?g { ?owner ?p ?b . ?b ?q ?o } }
INSERT { GRAPH ?g { ?owner ?p ?node . ?node ?q ?o } }
WHERE {
  GRAPH ?g { ?owner ?p ?b . ?b ?q ?o }
  VALUES ?p { dip:during org:memberDuring dip:coversPeriod }
  FILTER (isBlank(?b) && isIRI(?owner))
  BIND (IRI(CONCAT(STR(?owner), IF(CONTAINS(STR(?owner), "#"), "-", "#"), "period")) AS ?node)
} ;

# Bounds of an interval and as-of instants.
DELETE { GRAPH ?g { ?owner ?p ?b . ?b ?q ?o } }
INSERT { GRAPH ?g { ?owner ?p ?node . ?node ?q ?o } }
WHERE {
  GRAPH ?g { ?owner ?p ?b . ?b ?q ?o }
  VALUES (?p ?name) { (time:hasBeginning "start") (time:hasEnd "end") (dip:asOf "as-of") }
  FILTER (isBlank(?b) && isIRI(?owner))
  BIND (IRI(CONCAT(STR(?owner), IF(CONTAINS(STR(?owner), "#"), "-", "#"), ?name)) AS ?node)
} ;

# Participations: one per event and agent.
DELETE { GRAPH ?g { ?event dip:participation ?b . ?b ?q ?o } }
INSERT { GRAPH ?g { ?event dip:participation ?node . ?node ?q ?o } }
WHERE {
  GRAPH ?g { ?event dip:participation ?b . ?b dip:agent ?agent ; ?q ?o }
  FILTER (isBlank(?b) && isIRI(?event) && isIRI(?agent))
  BIND (IRI(CONCAT(STR(?event), "#participation-",
                   REPLACE(STRAFTER(STR(?agent), "/id/"), "[^A-Za-z0-9]+", "-"))) AS ?node)
} ;

# --- 2. Evidence as Web Annotations -----------------------------------------------------

INSERT {
  GRAPH ?g {
    ?annotation a oa:Annotation ;
        oa:motivatedBy dip:evidencing ;
        oa:hasBody ?fact ;
        oa:hasTarget ?target .
    ?target a oa:SpecificResource ;
        oa:hasSource ?article ;
        oa:hasSelector ?selector .
    ?selector a oa:TextQuoteSelector ;
        oa:exact ?exact .
  }
}
WHERE {
  ?g prov:wasDerivedFrom ?article .
  GRAPH ?g { ?fact dip:evidence ?quote FILTER (isIRI(?fact)) }
  BIND (STR(?quote) AS ?exact)
  BIND (SUBSTR(SHA1(CONCAT(STR(?g), "\n", ?exact)), 1, 12) AS ?hash)
  BIND (IRI(CONCAT(STR(?fact), IF(CONTAINS(STR(?fact), "#"), "-", "#"), "evidence-", ?hash))
        AS ?annotation)
  BIND (IRI(CONCAT(STR(?annotation), "-target")) AS ?target)
  BIND (IRI(CONCAT(STR(?annotation), "-selector")) AS ?selector)
} ;

DELETE { GRAPH ?g { ?fact dip:evidence ?quote } }
WHERE  { GRAPH ?g { ?fact dip:evidence ?quote } } ;

# --- 3. What follows from the facts -----------------------------------------------------

# owl:propertyChainAxiom (dip:participation dip:agent) of dip:participant
INSERT { GRAPH ?g { ?event dip:participant ?agent } }
WHERE  { GRAPH ?g { ?event dip:participation/dip:agent ?agent } } ;

# The precision of a date is the granularity of its datatype: on whatever carries a
# dip:date or dip:startDate, on each instant, and on a publication date.
INSERT { GRAPH ?g { ?subject ?precisionProperty ?precision } }
WHERE {
  GRAPH ?g {
    { ?subject dip:date|dip:startDate|dip:endDate ?date
      BIND (dip:datePrecision AS ?precisionProperty) }
    UNION
    { ?subject time:inXSDDate|time:inXSDgYearMonth|time:inXSDgYear ?date
      BIND (dip:datePrecision AS ?precisionProperty) }
    UNION
    { ?subject schema:datePublished ?date
      BIND (dip:publicationDatePrecision AS ?precisionProperty) }
    FILTER NOT EXISTS { ?subject ?precisionProperty ?any }
  }
  BIND (IF(DATATYPE(?date) = xsd:date, dip:DayPrecision,
        IF(DATATYPE(?date) = xsd:gYearMonth, dip:MonthPrecision,
        IF(DATATYPE(?date) = xsd:gYear, dip:YearPrecision, ?unbound))) AS ?precision)
  FILTER (BOUND(?precision))
} ;

# A news article is labelled by its headline.
INSERT { GRAPH ?g { ?article rdfs:label ?headline } }
WHERE  {
  GRAPH ?g { ?article a schema:NewsArticle ; schema:headline ?headline
             FILTER NOT EXISTS { ?article rdfs:label ?any } }
} ;

# A fact's source is the article its evidence is quoted from: a direct dcterms:source
# link for clients that read neither named graphs nor annotations. No evidence, no link,
# and the shapes that require a source fail.
INSERT { GRAPH ?g { ?fact dcterms:source ?article } }
WHERE  {
  GRAPH ?g { ?annotation oa:hasBody ?fact ; oa:hasTarget/oa:hasSource ?article
             FILTER (?fact != ?article) }
}
