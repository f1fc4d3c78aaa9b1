# Derivation rules, applied to the mapped facts of each source graph before validation.
# They materialise what the ontology already entails, so simple queries need not walk
# n-ary nodes. Relative IRIs resolve against the deployment's base IRI.
PREFIX dip: <ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>

# owl:propertyChainAxiom (dip:participation dip:agent) of dip:participant
INSERT { GRAPH ?g { ?event dip:participant ?agent } }
WHERE  { GRAPH ?g { ?event dip:participation/dip:agent ?agent } } ;

# The precision of a date is the granularity of its datatype.
INSERT { GRAPH ?g { ?event dip:datePrecision ?precision } }
WHERE  {
  GRAPH ?g { ?event dip:date|dip:startDate ?date
             FILTER NOT EXISTS { ?event dip:datePrecision ?any } }
  BIND(IF(DATATYPE(?date) = <http://www.w3.org/2001/XMLSchema#date>, dip:DayPrecision,
       IF(DATATYPE(?date) = <http://www.w3.org/2001/XMLSchema#gYearMonth>, dip:MonthPrecision,
       IF(DATATYPE(?date) = <http://www.w3.org/2001/XMLSchema#gYear>, dip:YearPrecision,
          ?unbound))) AS ?precision)
  FILTER(BOUND(?precision))
}
;

# Every entity a source graph types is stated by that graph's article: a direct
# dcterms:source link for clients that do not query named graphs.
INSERT { GRAPH ?g { ?entity dcterms:source ?article } }
WHERE  {
  ?g prov:wasDerivedFrom ?article .
  GRAPH ?g { ?entity a ?type }
  FILTER (isIRI(?entity) && ?entity != ?article)
}
