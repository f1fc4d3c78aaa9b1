"""Synthetic diplomatic facts for the benchmarks, in the project's own ``data/`` format.

Run ``python -m bench.generate --triples N --seed S --out DIR [--check]``. It writes
``DIR/data/reference/*.yaml`` (shared entities) and ``DIR/data/sources/*.yaml`` (one news
article's named graph each, with the PROV envelope the shipped files use), copies
``mappings/``, ``ontology/`` and ``shapes/`` from this repository, and so
``publisher build --project-dir DIR --store-dir DIR/var/store`` builds it through the real
mapping, derivation rules, SHACL validation and load. The facts are fictitious: countries,
capitals and international organisations are real names (so queries read naturally), but
people, news organisations and everything they are said to do are invented.

Choices, and why:

* **One file = one article of a few dozen facts, ~340 triples on average** (measured at
  100k: median 334, 50 to 850; 1M triples is ~2,700 files, 100k ~270, 10k ~40). The
  shipped articles map to 100-520 triples each; benchmarks of per-graph work
  (dereferencing, provenance queries, locating a violation, re-validating one file) are
  only meaningful if graphs have that size, so the data is thousands of article-sized
  graphs rather than a few giant ones. Four kinds of story mirror the shipped articles:
  coverage of a summit or ministerial meeting (full participant list, sub-events, sideline
  meetings, memberships, chairmanship), a sidelines report, an official visit with talks,
  consultations, outcomes and a signed agreement, and a treaty/partnership report; an
  article tells one to eight stories about the same country, as the shipped digests do.
  The last files before the target are deliberately small (one short story) so the total
  lands close to it.
* **Events and their participants dominate**, as in the shipped data; reference entities
  (countries, cities, organisations, posts, people, topics, treaties) are shared and
  referenced by id. The reference pools grow with the square root of the target, and an
  entity is written to ``data/reference/`` only once some source uses it, so there are no
  orphan entities. Real ISO codes come first; beyond them synthetic countries take
  user-assigned codes (``AA``, ``QM``-``QZ``, ``XA``-``XZ``; alpha-3 ``X`` + alpha-2) that
  match the shapes' patterns but never a real country, and have no owl:sameAs.
* **Consistent by construction, so the build has zero violations.** Every post has a
  timeline of holders and a participant always acts through the post they hold on the
  event's date; every source is valid on its own (an article describes every event it
  refers to, and every record quotes a passage as its evidence: here a synthetic one,
  the record's label, since there is no article text); big events carry identical core
  facts (date, place, status) in every article that mentions them, so the union has no
  disagreement to warn about; chairmanships rotate yearly and the chair hosts that year's
  meetings; sideline meetings fall inside their event's dates. Partnerships with an
  organisation (dialogue, strategic, digital, partner country) are dip:Partnership.
* **Exact size.** The generator counts the triples each record maps to (mirroring
  ``mappings/context.jsonld`` and ``mappings/derive.ru``: participants, date precision,
  ``dcterms:source``, the graph envelope) plus the ontology, and stops at the target,
  using smaller articles near the end. The printed estimate is the count the build
  reports (``--check`` builds and compares).
* **Deterministic and streaming.** One ``random.Random(seed)``, no clock, no hash-ordered
  sets; each source file is written as soon as it is generated and only small indexes
  (entity ids, which intervals were already stated) are kept. YAML is emitted directly
  (flow records, every string that is not a plain id double-quoted via JSON escaping, which
  YAML accepts), which is several times faster than ``yaml.safe_dump`` and is never
  ambiguous for the loader (commas in labels, ``NO`` as a country code).
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import random
import re
import shutil
import sys
import time
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
COPIED_FOLDERS = ("mappings", "ontology", "shapes")
MARKER = ".bench-generated"
CREATED = "2026-11-23"  # fixed, like the shipped files: output must not depend on the clock
CURATOR = "organization/diplomacy-publisher"
FIRST_YEAR, LAST_YEAR = 2014, 2025  # completed events; LAST_YEAR + 1 holds scheduled ones
TIMELINE_START = date(2006, 1, 1)  # post holders are known from here on
MIN_TRIPLES = 10_000

Record = dict[str, Any]

#################################################################
# Static tables: real names first, used in this order as the target grows
#################################################################

# (iso3, iso2, name, capital, Wikidata item or "", altLabel or ""). The first 23 are the
# countries of the shipped data (same ids, codes and links); Wikidata items are given only
# where they are certain.
COUNTRIES: list[tuple[str, str, str, str, str, str]] = [
    ("RUS", "RU", "Russia", "Moscow", "Q159", "Russian Federation"),
    ("MYS", "MY", "Malaysia", "Kuala Lumpur", "Q833", ""),
    ("CHN", "CN", "China", "Beijing", "Q148", "People's Republic of China"),
    ("USA", "US", "United States", "Washington, D.C.", "Q30", ""),
    ("IND", "IN", "India", "New Delhi", "Q668", ""),
    ("IDN", "ID", "Indonesia", "Jakarta", "Q252", ""),
    ("LAO", "LA", "Laos", "Vientiane", "Q819", "Lao PDR"),
    ("VNM", "VN", "Vietnam", "Hanoi", "Q881", ""),
    ("THA", "TH", "Thailand", "Bangkok", "Q869", ""),
    ("PHL", "PH", "Philippines", "Manila", "Q928", ""),
    ("SGP", "SG", "Singapore", "Singapore", "Q334", ""),
    ("BRN", "BN", "Brunei", "Bandar Seri Begawan", "Q921", ""),
    ("KHM", "KH", "Cambodia", "Phnom Penh", "Q424", ""),
    ("MMR", "MM", "Myanmar", "Naypyidaw", "Q836", ""),
    ("TLS", "TL", "Timor-Leste", "Dili", "Q574", "East Timor"),
    ("BRA", "BR", "Brazil", "Brasília", "Q155", ""),
    ("ZAF", "ZA", "South Africa", "Pretoria", "Q258", ""),
    ("TUR", "TR", "Türkiye", "Ankara", "Q43", "Turkey"),
    ("AZE", "AZ", "Azerbaijan", "Baku", "Q227", ""),
    ("KAZ", "KZ", "Kazakhstan", "Astana", "Q232", ""),
    ("NGA", "NG", "Nigeria", "Abuja", "Q1033", ""),
    ("NOR", "NO", "Norway", "Oslo", "Q20", ""),
    ("CHE", "CH", "Switzerland", "Bern", "Q39", ""),
    ("JPN", "JP", "Japan", "Tokyo", "Q17", ""),
    ("KOR", "KR", "South Korea", "Seoul", "Q884", "Republic of Korea"),
    ("DEU", "DE", "Germany", "Berlin", "Q183", ""),
    ("FRA", "FR", "France", "Paris", "Q142", ""),
    ("GBR", "GB", "United Kingdom", "London", "Q145", ""),
    ("AUS", "AU", "Australia", "Canberra", "Q408", ""),
    ("SAU", "SA", "Saudi Arabia", "Riyadh", "Q851", ""),
    ("IRN", "IR", "Iran", "Tehran", "Q794", ""),
    ("PAK", "PK", "Pakistan", "Islamabad", "Q843", ""),
    ("EGY", "EG", "Egypt", "Cairo", "Q79", ""),
    ("ARE", "AE", "United Arab Emirates", "Abu Dhabi", "", ""),
    ("ITA", "IT", "Italy", "Rome", "Q38", ""),
    ("CAN", "CA", "Canada", "Ottawa", "Q16", ""),
    ("MEX", "MX", "Mexico", "Mexico City", "Q96", ""),
    ("ARG", "AR", "Argentina", "Buenos Aires", "Q414", ""),
    ("ESP", "ES", "Spain", "Madrid", "Q29", ""),
    ("NZL", "NZ", "New Zealand", "Wellington", "Q664", ""),
    ("UZB", "UZ", "Uzbekistan", "Tashkent", "", ""),
    ("BLR", "BY", "Belarus", "Minsk", "", ""),
    ("KGZ", "KG", "Kyrgyzstan", "Bishkek", "", ""),
    ("TJK", "TJ", "Tajikistan", "Dushanbe", "", ""),
    ("ARM", "AM", "Armenia", "Yerevan", "", ""),
    ("MNG", "MN", "Mongolia", "Ulaanbaatar", "", ""),
    ("BGD", "BD", "Bangladesh", "Dhaka", "", ""),
    ("LKA", "LK", "Sri Lanka", "Sri Jayawardenepura Kotte", "", ""),
    ("QAT", "QA", "Qatar", "Doha", "", ""),
    ("ETH", "ET", "Ethiopia", "Addis Ababa", "", ""),
    ("UKR", "UA", "Ukraine", "Kyiv", "Q212", ""),
    ("POL", "PL", "Poland", "Warsaw", "Q36", ""),
    ("NLD", "NL", "Netherlands", "Amsterdam", "Q55", ""),
    ("SWE", "SE", "Sweden", "Stockholm", "Q34", ""),
    ("BEL", "BE", "Belgium", "Brussels", "Q31", ""),
    ("AUT", "AT", "Austria", "Vienna", "Q40", ""),
    ("GRC", "GR", "Greece", "Athens", "Q41", ""),
    ("PRT", "PT", "Portugal", "Lisbon", "Q45", ""),
    ("DNK", "DK", "Denmark", "Copenhagen", "Q35", ""),
    ("FIN", "FI", "Finland", "Helsinki", "Q33", ""),
    ("IRL", "IE", "Ireland", "Dublin", "Q27", ""),
    ("KWT", "KW", "Kuwait", "Kuwait City", "", ""),
    ("OMN", "OM", "Oman", "Muscat", "", ""),
    ("BHR", "BH", "Bahrain", "Manama", "", ""),
    ("JOR", "JO", "Jordan", "Amman", "", ""),
    ("LBN", "LB", "Lebanon", "Beirut", "", ""),
    ("IRQ", "IQ", "Iraq", "Baghdad", "", ""),
    ("SYR", "SY", "Syria", "Damascus", "", ""),
    ("YEM", "YE", "Yemen", "Sanaa", "", ""),
    ("AFG", "AF", "Afghanistan", "Kabul", "", ""),
    ("NPL", "NP", "Nepal", "Kathmandu", "", ""),
    ("BTN", "BT", "Bhutan", "Thimphu", "", ""),
    ("MDV", "MV", "Maldives", "Malé", "", ""),
    ("PRK", "KP", "North Korea", "Pyongyang", "", ""),
    ("TKM", "TM", "Turkmenistan", "Ashgabat", "", ""),
    ("GEO", "GE", "Georgia", "Tbilisi", "", ""),
    ("MDA", "MD", "Moldova", "Chișinău", "", ""),
    ("SRB", "RS", "Serbia", "Belgrade", "", ""),
    ("HUN", "HU", "Hungary", "Budapest", "", ""),
    ("CZE", "CZ", "Czechia", "Prague", "", ""),
    ("SVK", "SK", "Slovakia", "Bratislava", "", ""),
    ("ROU", "RO", "Romania", "Bucharest", "", ""),
    ("BGR", "BG", "Bulgaria", "Sofia", "", ""),
    ("HRV", "HR", "Croatia", "Zagreb", "", ""),
    ("SVN", "SI", "Slovenia", "Ljubljana", "", ""),
    ("BIH", "BA", "Bosnia and Herzegovina", "Sarajevo", "", ""),
    ("MNE", "ME", "Montenegro", "Podgorica", "", ""),
    ("MKD", "MK", "North Macedonia", "Skopje", "", ""),
    ("ALB", "AL", "Albania", "Tirana", "", ""),
    ("LTU", "LT", "Lithuania", "Vilnius", "", ""),
    ("LVA", "LV", "Latvia", "Riga", "", ""),
    ("EST", "EE", "Estonia", "Tallinn", "", ""),
    ("ISL", "IS", "Iceland", "Reykjavík", "", ""),
    ("LUX", "LU", "Luxembourg", "Luxembourg", "", ""),
    ("MLT", "MT", "Malta", "Valletta", "", ""),
    ("CYP", "CY", "Cyprus", "Nicosia", "", ""),
    ("CHL", "CL", "Chile", "Santiago", "", ""),
    ("PER", "PE", "Peru", "Lima", "", ""),
    ("COL", "CO", "Colombia", "Bogotá", "", ""),
    ("VEN", "VE", "Venezuela", "Caracas", "", ""),
    ("ECU", "EC", "Ecuador", "Quito", "", ""),
    ("BOL", "BO", "Bolivia", "Sucre", "", ""),
    ("PRY", "PY", "Paraguay", "Asunción", "", ""),
    ("URY", "UY", "Uruguay", "Montevideo", "", ""),
    ("CUB", "CU", "Cuba", "Havana", "", ""),
    ("DOM", "DO", "Dominican Republic", "Santo Domingo", "", ""),
    ("HTI", "HT", "Haiti", "Port-au-Prince", "", ""),
    ("JAM", "JM", "Jamaica", "Kingston", "", ""),
    ("TTO", "TT", "Trinidad and Tobago", "Port of Spain", "", ""),
    ("GTM", "GT", "Guatemala", "Guatemala City", "", ""),
    ("HND", "HN", "Honduras", "Tegucigalpa", "", ""),
    ("SLV", "SV", "El Salvador", "San Salvador", "", ""),
    ("NIC", "NI", "Nicaragua", "Managua", "", ""),
    ("CRI", "CR", "Costa Rica", "San José", "", ""),
    ("PAN", "PA", "Panama", "Panama City", "", ""),
    ("KEN", "KE", "Kenya", "Nairobi", "", ""),
    ("GHA", "GH", "Ghana", "Accra", "", ""),
    ("MAR", "MA", "Morocco", "Rabat", "", ""),
    ("DZA", "DZ", "Algeria", "Algiers", "", ""),
    ("TUN", "TN", "Tunisia", "Tunis", "", ""),
    ("LBY", "LY", "Libya", "Tripoli", "", ""),
    ("SDN", "SD", "Sudan", "Khartoum", "", ""),
    ("SSD", "SS", "South Sudan", "Juba", "", ""),
    ("SEN", "SN", "Senegal", "Dakar", "", ""),
    ("CIV", "CI", "Côte d'Ivoire", "Yamoussoukro", "", ""),
    ("CMR", "CM", "Cameroon", "Yaoundé", "", ""),
    ("AGO", "AO", "Angola", "Luanda", "", ""),
    ("MOZ", "MZ", "Mozambique", "Maputo", "", ""),
    ("TZA", "TZ", "Tanzania", "Dodoma", "", ""),
    ("UGA", "UG", "Uganda", "Kampala", "", ""),
    ("RWA", "RW", "Rwanda", "Kigali", "", ""),
    ("COD", "CD", "Democratic Republic of the Congo", "Kinshasa", "", ""),
    ("COG", "CG", "Republic of the Congo", "Brazzaville", "", ""),
    ("GAB", "GA", "Gabon", "Libreville", "", ""),
    ("ZMB", "ZM", "Zambia", "Lusaka", "", ""),
    ("ZWE", "ZW", "Zimbabwe", "Harare", "", ""),
    ("NAM", "NA", "Namibia", "Windhoek", "", ""),
    ("BWA", "BW", "Botswana", "Gaborone", "", ""),
    ("MDG", "MG", "Madagascar", "Antananarivo", "", ""),
    ("MUS", "MU", "Mauritius", "Port Louis", "", ""),
    ("MLI", "ML", "Mali", "Bamako", "", ""),
    ("NER", "NE", "Niger", "Niamey", "", ""),
    ("BFA", "BF", "Burkina Faso", "Ouagadougou", "", ""),
    ("TCD", "TD", "Chad", "N'Djamena", "", ""),
    ("SOM", "SO", "Somalia", "Mogadishu", "", ""),
    ("ERI", "ER", "Eritrea", "Asmara", "", ""),
    ("DJI", "DJ", "Djibouti", "Djibouti", "", ""),
    ("MWI", "MW", "Malawi", "Lilongwe", "", ""),
    ("BEN", "BJ", "Benin", "Porto-Novo", "", ""),
    ("TGO", "TG", "Togo", "Lomé", "", ""),
    ("GIN", "GN", "Guinea", "Conakry", "", ""),
    ("SLE", "SL", "Sierra Leone", "Freetown", "", ""),
    ("LBR", "LR", "Liberia", "Monrovia", "", ""),
    ("GMB", "GM", "Gambia", "Banjul", "", ""),
    ("MRT", "MR", "Mauritania", "Nouakchott", "", ""),
    ("LSO", "LS", "Lesotho", "Maseru", "", ""),
    ("SWZ", "SZ", "Eswatini", "Mbabane", "", ""),
    ("BDI", "BI", "Burundi", "Gitega", "", ""),
    ("CAF", "CF", "Central African Republic", "Bangui", "", ""),
    ("GNQ", "GQ", "Equatorial Guinea", "Malabo", "", ""),
    ("GNB", "GW", "Guinea-Bissau", "Bissau", "", ""),
    ("CPV", "CV", "Cabo Verde", "Praia", "", ""),
    ("STP", "ST", "São Tomé and Príncipe", "São Tomé", "", ""),
    ("COM", "KM", "Comoros", "Moroni", "", ""),
    ("SYC", "SC", "Seychelles", "Victoria", "", ""),
    ("PNG", "PG", "Papua New Guinea", "Port Moresby", "", ""),
    ("FJI", "FJ", "Fiji", "Suva", "", ""),
    ("SLB", "SB", "Solomon Islands", "Honiara", "", ""),
    ("VUT", "VU", "Vanuatu", "Port Vila", "", ""),
    ("WSM", "WS", "Samoa", "Apia", "", ""),
    ("TON", "TO", "Tonga", "Nukuʻalofa", "", ""),
    ("KIR", "KI", "Kiribati", "South Tarawa", "", ""),
    ("FSM", "FM", "Micronesia", "Palikir", "", ""),
    ("MHL", "MH", "Marshall Islands", "Majuro", "", ""),
    ("PLW", "PW", "Palau", "Ngerulmud", "", ""),
    ("TUV", "TV", "Tuvalu", "Funafuti", "", ""),
    ("NRU", "NR", "Nauru", "Yaren", "", ""),
    ("GUY", "GY", "Guyana", "Georgetown", "", ""),
    ("SUR", "SR", "Suriname", "Paramaribo", "", ""),
    ("BLZ", "BZ", "Belize", "Belmopan", "", ""),
    ("BHS", "BS", "Bahamas", "Nassau", "", ""),
    ("BRB", "BB", "Barbados", "Bridgetown", "", ""),
    ("ATG", "AG", "Antigua and Barbuda", "Saint John's", "", ""),
    ("DMA", "DM", "Dominica", "Roseau", "", ""),
    ("GRD", "GD", "Grenada", "Saint George's", "", ""),
    ("KNA", "KN", "Saint Kitts and Nevis", "Basseterre", "", ""),
    ("LCA", "LC", "Saint Lucia", "Castries", "", ""),
    ("VCT", "VC", "Saint Vincent and the Grenadines", "Kingstown", "", ""),
    ("AND", "AD", "Andorra", "Andorra la Vella", "", ""),
    ("MCO", "MC", "Monaco", "Monaco", "", ""),
    ("LIE", "LI", "Liechtenstein", "Vaduz", "", ""),
    ("SMR", "SM", "San Marino", "San Marino", "", ""),
]

# Who leads a delegation to a summit, for the countries where it is plain; the others get
# a random system (the people are fictitious anyway, but "Prime Minister of the United
# States" would make the data look wrong to anyone reading it).
PRESIDENTIAL = frozenset(
    "USA RUS CHN BRA IDN PHL MEX ARG KAZ AZE TUR NGA ZAF KOR IRN EGY UZB KGZ TJK BLR CHL PER "
    "COL VEN ECU BOL PRY URY GHA KEN FRA UKR TLS MMR TKM".split())
PARLIAMENTARY_REPUBLIC = frozenset(
    "IND DEU ITA AUT GRC PRT FIN IRL PAK BGD SGP LAO VNM CHE POL CZE HUN ARM GEO".split())
MONARCHY = frozenset(
    "JPN GBR THA MYS KHM ESP NLD BEL SWE NOR DNK AUS CAN NZL BRN SAU QAT ARE KWT OMN BHR JOR "
    "MAR".split())
# Topics of the shipped data too specific to be drawn at random for synthetic meetings.
SPECIFIC_TOPICS = frozenset({"topic/oic-summit-preparation", "topic/tvet",
                             "topic/halal-industry", "topic/nuclear-weapon-free-zone"})

# Wikidata items of cities, where certain (those of the shipped data).
CITY_WIKIDATA = {"Kuala Lumpur": "Q1865", "Vientiane": "Q9326", "Baku": "Q9248",
                 "Rio de Janeiro": "Q8678", "Beijing": "Q956", "Astana": "Q1520"}

# Further real venues of summits and ministerial meetings (city, iso3).
VENUES: list[tuple[str, str]] = [
    ("Rio de Janeiro", "BRA"), ("São Paulo", "BRA"), ("Shanghai", "CHN"), ("Xiamen", "CHN"),
    ("Qingdao", "CHN"), ("Hangzhou", "CHN"), ("Sochi", "RUS"), ("Kazan", "RUS"),
    ("Saint Petersburg", "RUS"), ("Vladivostok", "RUS"), ("New York", "USA"),
    ("San Francisco", "USA"), ("Honolulu", "USA"), ("Geneva", "CHE"), ("Davos", "CHE"),
    ("Osaka", "JPN"), ("Hiroshima", "JPN"), ("Mumbai", "IND"), ("Goa", "IND"),
    ("Istanbul", "TUR"), ("Antalya", "TUR"), ("Jeddah", "SAU"), ("Dubai", "ARE"),
    ("Nusa Dua", "IDN"), ("Da Nang", "VNM"), ("Cebu", "PHL"), ("Siem Reap", "KHM"),
    ("Luang Prabang", "LAO"), ("Langkawi", "MYS"), ("George Town", "MYS"), ("Sydney", "AUS"),
    ("Busan", "KOR"), ("Johannesburg", "ZAF"), ("Durban", "ZAF"), ("Lagos", "NGA"),
    ("Sharm el-Sheikh", "EGY"), ("Samarkand", "UZB"), ("Almaty", "KAZ"), ("Munich", "DEU"),
    ("Strasbourg", "FRA"), ("Chiang Mai", "THA"), ("Gabala", "AZE"), ("Toronto", "CAN"),
    ("Cartagena", "COL"), ("Punta del Este", "URY"), ("Cancún", "MEX"),
]

# (slug, type, label, acronym, Wikidata item, founded, parent, core members, series).
# A series is (kind, year of the first meeting, usual month); ministerial and summit
# sequence numbers follow from it (the shipped 58th AMM in 2025, 17th BRICS Summit...).
ASEAN = ["BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM"]
Series = list[tuple[str, int, int]]
ORGANIZATIONS: list[tuple[str, str, str, str, str, str, str, list[str], Series]] = [
    ("asean", "IntergovernmentalOrganization", "Association of Southeast Asian Nations", "ASEAN",
     "Q7768", "1967", "", ASEAN, [("MinisterialMeeting", 1968, 7), ("Summit", 1976, 10)]),
    ("eas", "Forum", "East Asia Summit", "EAS", "", "2005", "",
     ASEAN + ["AUS", "CHN", "IND", "JPN", "NZL", "KOR", "RUS", "USA"],
     [("Summit", 2006, 10), ("MinisterialMeeting", 2011, 7)]),
    ("arf", "Forum", "ASEAN Regional Forum", "ARF", "", "1994", "",
     ASEAN + ["AUS", "CHN", "IND", "JPN", "KOR", "RUS", "USA", "CAN", "NZL", "MNG", "PAK"],
     [("MinisterialMeeting", 1994, 7)]),
    ("brics", "Forum", "BRICS", "BRICS", "", "2009", "",
     ["BRA", "RUS", "IND", "CHN", "ZAF", "EGY", "ETH", "IRN", "ARE", "IDN"],
     [("Summit", 2009, 7), ("MinisterialMeeting", 2010, 6)]),
    ("sco", "IntergovernmentalOrganization", "Shanghai Cooperation Organisation", "SCO", "",
     "2001", "", ["CHN", "RUS", "KAZ", "KGZ", "TJK", "UZB", "IND", "PAK", "IRN", "BLR"],
     [("Summit", 2001, 7), ("MinisterialMeeting", 2002, 5)]),
    ("eaeu", "IntergovernmentalOrganization", "Eurasian Economic Union", "EAEU", "", "2015", "",
     ["RUS", "BLR", "KAZ", "KGZ", "ARM"], [("Summit", 2015, 5)]),
    ("un", "IntergovernmentalOrganization", "United Nations", "UN", "Q1065", "1945", "", [],
     [("MinisterialMeeting", 1946, 9)]),
    ("g20", "Forum", "Group of Twenty", "G20", "Q19771", "1999", "",
     ["ARG", "AUS", "BRA", "CAN", "CHN", "FRA", "DEU", "IND", "IDN", "ITA", "JPN", "KOR",
      "MEX", "RUS", "SAU", "ZAF", "TUR", "GBR", "USA"],
     [("Summit", 2008, 11), ("MinisterialMeeting", 2010, 2)]),
    ("oic", "IntergovernmentalOrganization", "Organisation of Islamic Cooperation", "OIC", "",
     "1969", "", ["AZE", "MYS", "IDN", "TUR", "SAU", "IRN", "PAK", "EGY", "BGD", "NGA", "ARE",
                  "QAT", "KAZ", "UZB", "BRN"],
     [("Summit", 1969, 4), ("MinisterialMeeting", 1970, 3)]),
    ("nam", "Forum", "Non-Aligned Movement", "NAM", "", "1961", "",
     ["IND", "IDN", "EGY", "MYS", "VNM", "LAO", "AZE", "NGA", "ZAF", "IRN", "PAK", "CUB"],
     [("Summit", 1961, 10)]),
    ("d-8", "IntergovernmentalOrganization", "D-8 Organization for Economic Cooperation", "D-8",
     "", "1997", "", ["BGD", "EGY", "IDN", "IRN", "MYS", "NGA", "PAK", "TUR", "AZE"],
     [("Summit", 1997, 12)]),
    ("wto", "IntergovernmentalOrganization", "World Trade Organization", "WTO", "Q7825", "1995",
     "", [], [("MinisterialMeeting", 1996, 12)]),
    ("nato", "IntergovernmentalOrganization", "North Atlantic Treaty Organization", "NATO",
     "Q7184", "1949", "", ["USA", "CAN", "GBR", "FRA", "DEU", "ITA", "ESP", "TUR", "NOR", "POL",
                           "NLD", "BEL", "DNK", "PRT", "GRC", "FIN", "SWE"],
     [("Summit", 1957, 7), ("MinisterialMeeting", 1950, 4)]),
    ("admm-plus", "Forum", "ASEAN Defence Ministers' Meeting-Plus", "ADMM-Plus", "", "2010", "",
     ASEAN + ["AUS", "CHN", "IND", "JPN", "NZL", "KOR", "RUS", "USA"],
     [("MinisterialMeeting", 2010, 11)]),
    ("apec", "Forum", "Asia-Pacific Economic Cooperation", "APEC", "", "1989", "",
     ["AUS", "BRN", "CAN", "CHL", "CHN", "IDN", "JPN", "KOR", "MYS", "MEX", "NZL", "PNG", "PER",
      "PHL", "RUS", "SGP", "THA", "USA", "VNM"], [("Summit", 1993, 11)]),
    ("g7", "Forum", "Group of Seven", "G7", "", "1975", "",
     ["CAN", "FRA", "DEU", "ITA", "JPN", "GBR", "USA"], [("Summit", 1975, 6)]),
    ("au", "IntergovernmentalOrganization", "African Union", "AU", "", "2002", "",
     ["NGA", "ZAF", "EGY", "ETH", "KEN", "GHA", "DZA", "MAR", "SEN", "AGO", "TZA", "RWA"],
     [("Summit", 2002, 2)]),
    ("osce", "IntergovernmentalOrganization",
     "Organization for Security and Co-operation in Europe", "OSCE", "", "1975", "",
     ["USA", "RUS", "DEU", "FRA", "GBR", "TUR", "KAZ", "UKR", "POL", "AZE", "ARM", "CHE", "NOR",
      "SWE", "AUT"],
     [("MinisterialMeeting", 1991, 12)]),
    ("cica", "Forum", "Conference on Interaction and Confidence-Building Measures in Asia", "CICA",
     "", "1992", "", ["KAZ", "RUS", "CHN", "IND", "TUR", "AZE", "IRN", "PAK", "THA", "VNM",
                      "EGY", "QAT", "UZB", "MNG"], [("Summit", 2002, 10)]),
    ("gcc", "IntergovernmentalOrganization", "Gulf Cooperation Council", "GCC", "", "1981", "",
     ["SAU", "ARE", "QAT", "KWT", "OMN", "BHR"], [("Summit", 1981, 12)]),
    ("cis", "IntergovernmentalOrganization", "Commonwealth of Independent States", "CIS", "",
     "1991", "", ["RUS", "BLR", "KAZ", "KGZ", "TJK", "UZB", "ARM", "AZE"],
     [("Summit", 1992, 10), ("MinisterialMeeting", 1993, 4)]),
    ("bimstec", "IntergovernmentalOrganization",
     "Bay of Bengal Initiative for Multi-Sectoral Technical and Economic Cooperation", "BIMSTEC",
     "", "1997", "", ["BGD", "BTN", "IND", "MMR", "NPL", "LKA", "THA"], [("Summit", 2004, 4)]),
    ("pif", "IntergovernmentalOrganization", "Pacific Islands Forum", "PIF", "", "1971", "",
     ["AUS", "NZL", "FJI", "PNG", "SLB", "VUT", "WSM", "TON", "KIR", "FSM", "MHL", "PLW", "TUV",
      "NRU"], [("Summit", 1971, 8)]),
    ("mercosur", "IntergovernmentalOrganization", "Southern Common Market", "MERCOSUR", "",
     "1991", "", ["ARG", "BRA", "PRY", "URY", "BOL"], [("Summit", 1991, 12)]),
    ("celac", "Forum", "Community of Latin American and Caribbean States", "CELAC", "", "2011",
     "", ["MEX", "BRA", "ARG", "COL", "CHL", "PER", "CUB", "VEN", "ECU", "BOL", "URY", "PRY"],
     [("Summit", 2013, 1)]),
    ("arab-league", "IntergovernmentalOrganization", "League of Arab States", "LAS", "", "1945",
     "", ["EGY", "SAU", "ARE", "QAT", "KWT", "OMN", "BHR", "JOR", "LBN", "IRQ", "SYR", "DZA",
          "MAR", "TUN"], [("Summit", 1946, 5)]),
    ("csto", "IntergovernmentalOrganization", "Collective Security Treaty Organization", "CSTO",
     "", "2002", "", ["RUS", "BLR", "KAZ", "KGZ", "TJK", "ARM"], [("Summit", 2002, 11)]),
]
# Sub-organisations of the shipped data, added once their parent is in.
SUB_ORGANIZATIONS = [
    ("asean-secretariat", "OrganizationalUnit", "ASEAN Secretariat", "", "asean"),
    ("asean-russia-dialogue", "Forum", "ASEAN–Russia dialogue", "", "asean"),
    ("arf-ism-ict-security", "Forum",
     "ARF Inter-Sessional Meetings on security of and in the use of ICTs", "", "arf"),
]

# The shipped topic scheme first (same ids and labels), then further realistic topics.
TOPICS: list[tuple[str, str, str]] = [
    ("bilateral-cooperation", "bilateral cooperation", ""),
    ("education", "education", ""),
    ("tvet", "technical and vocational education and training", "TVET"),
    ("regional-security", "regional security", ""),
    ("nuclear-weapon-free-zone", "nuclear-weapon-free zone", ""),
    ("strategic-partnership", "strategic partnership", ""),
    ("trade", "trade", ""), ("investment", "investment", ""),
    ("economy", "economic cooperation", ""), ("energy-security", "energy security", ""),
    ("renewable-energy", "renewable energy", ""), ("tourism", "tourism", ""),
    ("digital-technology", "digital technology and transition", ""),
    ("smart-cities", "smart cities", ""), ("halal-industry", "halal industry", ""),
    ("aerospace-industry", "aerospace industry", ""),
    ("political-cooperation", "political cooperation", ""),
    ("security-cooperation", "security cooperation", ""),
    ("humanitarian-affairs", "humanitarian affairs", ""),
    ("multilateral-cooperation", "cooperation in international organisations", ""),
    ("regional-architecture", "regional architecture and ASEAN centrality", ""),
    ("eurasian-integration", "Eurasian integration and security", ""),
    ("counterterrorism", "counterterrorism and transnational crime", ""),
    ("emergency-response", "emergency response", ""), ("ict-security", "ICT security", ""),
    ("maritime-safety", "ferry and maritime safety", ""),
    ("middle-east", "Middle East and the Palestinian question", ""),
    ("ukraine", "situation in Ukraine", ""),
    ("oic-summit-preparation", "preparation of the OIC summit", ""),
    ("climate-change", "climate change", ""), ("food-security", "food security", ""),
    ("public-health", "public health", ""), ("migration", "migration and mobility", ""),
    ("disarmament", "arms control and disarmament", ""),
    ("connectivity", "connectivity and infrastructure", ""),
    ("agriculture", "agriculture", ""), ("culture", "cultural exchanges", ""),
    ("science-technology", "science and technology", ""),
    ("space-cooperation", "space cooperation", ""),
    ("defence-cooperation", "defence cooperation", ""),
    ("transport", "transport and logistics", ""),
    ("water-resources", "water resources", ""), ("fisheries", "fisheries", ""),
    ("human-rights", "human rights", ""), ("peacekeeping", "peacekeeping", ""),
    ("nuclear-energy", "peaceful uses of nuclear energy", ""),
    ("critical-minerals", "critical minerals", ""),
    ("people-to-people", "people-to-people exchanges", ""),
    ("visa-facilitation", "visa facilitation", ""), ("finance", "finance and payments", ""),
    ("digital-economy", "digital economy", ""), ("supply-chains", "resilient supply chains", ""),
    ("sustainable-development", "sustainable development", ""),
]
EVENT_ROLES = [("chair", "chair"), ("co-chair", "co-chair"), ("host", "host")]
TREATY_ACTIONS = [("signature", "signature", ""), ("accession", "accession", ""),
                  ("ratification", "ratification", "")]
# Roles of a country towards an organisation that are partnerships, not memberships:
# (role as the generator draws it, partnership-level slug, label).
PARTNERSHIP_LEVELS = {
    "DialoguePartner": ("dialogue-partner", "dialogue partner"),
    "StrategicPartner": ("strategic-partnership", "strategic partnership"),
    "DigitalPartner": ("digital-partner", "digital partner"),
    "PartnerCountry": ("partner-country", "partner country"),
}
# (slug, label, acronym, year of signature)
TREATIES: list[tuple[str, str, str, str]] = [
    ("tac", "Treaty of Amity and Cooperation in Southeast Asia", "TAC", "1976"),
    ("seanwfz", "Southeast Asia Nuclear Weapon-Free Zone Treaty", "SEANWFZ", "1995"),
    ("npt", "Treaty on the Non-Proliferation of Nuclear Weapons", "NPT", "1968"),
    ("ctbt", "Comprehensive Nuclear-Test-Ban Treaty", "CTBT", "1996"),
    ("unclos", "United Nations Convention on the Law of the Sea", "UNCLOS", "1982"),
    ("cwc", "Chemical Weapons Convention", "CWC", "1993"),
    ("bwc", "Biological Weapons Convention", "BWC", "1972"),
    ("att", "Arms Trade Treaty", "ATT", "2013"),
    ("paris-agreement", "Paris Agreement", "", "2016"),
    ("tpnw", "Treaty on the Prohibition of Nuclear Weapons", "TPNW", "2017"),
    ("rcep", "Regional Comprehensive Economic Partnership Agreement", "RCEP", "2020"),
    ("vcdr", "Vienna Convention on Diplomatic Relations", "VCDR", "1961"),
]

GIVEN = ["Amir", "Anna", "Arjun", "Aziz", "Bao", "Beatriz", "Chen", "Daniel", "Dewi", "Elena",
         "Emeka", "Farid", "Fatima", "Gabriel", "Hana", "Hiroshi", "Ibrahim", "Ines", "Ivan",
         "Jamal", "Jin", "Kofi", "Lars", "Leila", "Liam", "Lucia", "Malik", "Maria", "Mateo",
         "Mei", "Nadia", "Nguyen", "Nikolai", "Noor", "Olga", "Omar", "Pablo", "Priya", "Rafael",
         "Rania", "Ravi", "Sara", "Sergei", "Siti", "Somchai", "Tariq", "Thabo", "Tomas", "Yuki",
         "Zainab", "Zhang", "Aigerim", "Bolat", "Chiara", "Dmitri", "Esra", "Farrukh", "Grace"]
FAMILY = ["Abdullah", "Adeyemi", "Alvarez", "Andersen", "Bakirov", "Banerjee", "Castillo",
          "Chowdhury", "Costa", "Dang", "Dimitrov", "Dubois", "Eriksen", "Fernandes", "Gonzaga",
          "Haddad", "Hakimov", "Hartmann", "Hoang", "Iskandar", "Ivanova", "Jensen", "Kamau",
          "Karimov", "Kim", "Kowalski", "Kumar", "Lindqvist", "Mahmoud", "Mendes", "Mensah",
          "Morales", "Nakamura", "Nair", "Novak", "Nurlanov", "Okafor", "Olsen", "Osei", "Park",
          "Petrov", "Pham", "Quispe", "Rahman", "Ramos", "Rossi", "Saidov", "Santos", "Sato",
          "Schmidt", "Sharma", "Silva", "Sokolov", "Suleiman", "Suzuki", "Tan", "Tanaka",
          "Teo", "Torres", "Usmanov", "Vargas", "Wang", "Wijaya", "Yilmaz", "Yusuf", "Zhou"]
SYLLABLES = ["al", "bar", "cor", "dan", "el", "far", "gal", "hen", "is", "kar", "lor", "mar",
             "nor", "or", "pel", "quin", "ros", "sal", "tor", "ul", "val", "wen", "zar", "ten"]
NEWS_FIRST = ["Meridian", "Harbour", "Orient", "Continental", "Capital", "Northern", "Pacific",
              "Eastern", "Southern", "Global", "Equator", "Summit", "Atlas", "Horizon", "Compass",
              "Monsoon", "Silk Road", "Highland", "Coastal", "Union"]
NEWS_SECOND = ["Wire", "Chronicle", "Dispatch", "Herald", "Review", "Times", "Post", "Observer",
               "Tribune", "Courier", "News Agency", "Gazette", "Monitor", "Daily", "Bulletin"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]

#################################################################
# Small helpers
#################################################################


def slugify(text: str) -> str:
    """Lower-case ASCII slug: the id style of the shipped data (``luiz-inacio-lula-da-silva``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def day_text(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def month_text(d: date) -> str:
    return f"{MONTHS[d.month - 1]} {d.year}"


#################################################################
# YAML emission
#################################################################

_PLAIN_ID = re.compile(r"[a-z][a-z0-9-]*/[A-Za-z0-9][A-Za-z0-9._/-]*")
_PLAIN_WORD = re.compile(r"[A-Z][a-z]+(?:[A-Z][a-z]+)*")
_YAML_SPECIAL = {"Yes", "No", "True", "False", "On", "Off", "Null", "Y", "N"}


def scalar(value: str | int) -> str:
    """A YAML scalar the project's loader reads back as exactly ``value``.

    Ids (``event/…``: a slash, no colon or comma) and CamelCase vocabulary words stay plain
    for readability; every other string is double-quoted with JSON escapes, which YAML's
    double-quoted style accepts, so commas, colons and ``NO`` cannot change the meaning.
    """
    if isinstance(value, int):
        return str(value)
    if _PLAIN_ID.fullmatch(value) or (_PLAIN_WORD.fullmatch(value)
                                      and value not in _YAML_SPECIAL):
        return value
    return json.dumps(value, ensure_ascii=False)


def flow(value: Any) -> str:
    """Flow style (``{a: b}``, ``[x, y]``) of a value, as the shipped one-line records."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {flow(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(item) for item in value) + "]"
    return scalar(value)


def emit_record(record: Record, out: list[str]) -> None:
    """One fact record: short ones on one line, events as block mappings (shipped style)."""
    if "participants" not in record and len(record) <= 6:
        out.append(f"  - {flow(record)}\n")
        return
    first = True
    for key, value in record.items():
        lead = "  - " if first else "    "
        first = False
        if key == "participants":
            out.append(f"{lead}participants:\n")
            out.extend(f"      - {flow(item)}\n" for item in value)
        else:
            out.append(f"{lead}{key}: {flow(value)}\n")


def emit_document(comment: str, envelope: Record, records: Iterable[Record]) -> str:
    out = [f"# {line}\n" for line in comment.splitlines()]
    out.extend(f"{key}: {flow(value)}\n" for key, value in envelope.items())
    out.append("facts:\n")
    for record in records:
        emit_record(record, out)
    return "".join(out)


#################################################################
# Counting: how many quads a record becomes (context.jsonld + derive.ru)
#################################################################

INTERVAL_KEYS = frozenset({"memberDuring", "during", "coversPeriod"})
DATE_KEYS = frozenset({"date", "month", "year", "startDate", "endDate"})
PUBLISHED_KEYS = frozenset({"datePublished", "monthPublished", "yearPublished"})
#: Quads of one evidence passage: the annotation (type, motivation, body, target), the
#: target (type, source, selector) and the selector (type, exact).
EVIDENCE_TRIPLES = 9


def count_record(record: Record, article: str | None) -> int:
    """Quads of one record in its graph, derived ones included.

    Mirrors the mapping: one triple per value (lists give one per item), an interval is a
    node (#period) with a node per bound (its value, its date status, and the precision
    derive.ru adds), a participation is a node with one triple per field. derive.ru adds
    dip:participant per distinct agent, dip:datePrecision for a dated record, the label of
    a news article and the precision of its publication date, and for each evidence
    passage a Web Annotation and (on a fact other than the article) dcterms:source. The
    passage itself is not kept. Records are built without duplicate values, so nothing is
    deduplicated away.
    """
    total = 0
    for key, value in record.items():
        if key == "id":
            continue
        if key == "participants":
            total += sum(1 + sum(len(v) if isinstance(v, list) else 1 for v in p.values())
                         for p in value)
            total += len({p["agent"] for p in value})
        elif key in INTERVAL_KEYS:
            total += 1 + sum(len(bound) + 2 for bound in value.values())
        elif key == "evidence":
            total += EVIDENCE_TRIPLES * len(value)
            if article is not None and record["id"] != article:
                total += 1
        elif isinstance(value, list):
            total += len(value)
        else:
            total += 1
    if not DATE_KEYS.isdisjoint(record):
        total += 1
    if record.get("type") == "NewsArticle":
        total += 1 + (0 if PUBLISHED_KEYS.isdisjoint(record) else 1)
    return total


ENVELOPE_TRIPLES = 6  # type, label, derivedFrom, attributedTo, created + curatedFrom


#################################################################
# The world: reference entities and who holds which post when
#################################################################


@dataclass(slots=True)
class Holding:
    """One person in one post over [start, end): a tenure."""

    person: str
    post: str
    start: date
    end: date | None
    tenure: str


@dataclass(slots=True)
class Post:
    id: str
    label: str
    holdings: list[Holding] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)  # ordinals of the holdings' starts

    def holder(self, when: date) -> Holding:
        index = bisect.bisect_right(self.starts, when.toordinal()) - 1
        return self.holdings[max(index, 0)]


@dataclass(slots=True)
class Country:
    iso3: str
    name: str
    id: str
    capital: str  # place id
    places: list[str]
    mfa: str
    # leader, head (of state, when not the leader), fm, deputy, spokesperson -> post
    posts: dict[str, Post]


@dataclass(slots=True)
class Org:
    id: str
    slug: str
    label: str
    short: str  # acronym or label, for titles
    founded: int
    members: list[str]  # iso3, sorted by country name: the chair rotation order
    partners: list[tuple[str, str, int]]  # (iso3, role, since)
    series: list[tuple[str, int, int]]
    intergovernmental: bool
    secretary_general: Post | None = None


@dataclass(slots=True)
class BigEvent:
    """A summit or ministerial meeting of an organisation's series in one year."""

    id: str
    org: Org
    kind: str
    sequence: int
    label: str
    host: str  # iso3
    place: str
    start: date
    end: date
    precision: str  # range | day | month
    scheduled: bool


class Reference:
    """Every reference entity, written out only once a source file uses it."""

    def __init__(self) -> None:
        self.records: dict[str, Record] = {}
        self.file_of: dict[str, str] = {}
        self.deps: dict[str, tuple[str, ...]] = {}
        self.used: dict[str, None] = {}  # insertion-ordered set
        self.used_files: dict[str, None] = {}  # each written file adds one curatedFrom
        self.triples = 0

    def add(self, file: str, record: Record, deps: Iterable[str] = ()) -> str:
        identifier = record["id"]
        if identifier in self.records:
            raise ValueError(f"duplicate reference id {identifier}")
        self.records[identifier] = record
        self.file_of[identifier] = file
        self.deps[identifier] = tuple(deps)
        return identifier

    def use(self, identifier: str) -> str:
        """Mark an entity (and what it refers to) as written; return its id."""
        if identifier not in self.used:
            self.used[identifier] = None
            self.used_files[self.file_of[identifier]] = None
            self.triples += count_record(self.records[identifier], None)
            for dep in self.deps[identifier]:
                self.use(dep)
        return identifier

    def files(self) -> dict[str, list[Record]]:
        """Used records per file, in the order the entities were defined."""
        by_file: dict[str, list[Record]] = {}
        for identifier, record in self.records.items():
            if identifier in self.used:
                by_file.setdefault(self.file_of[identifier], []).append(record)
        return by_file


def sizes(target: int) -> dict[str, int]:
    """Pool sizes: sub-linear in the target, as real data re-uses the same actors."""
    k = target / MIN_TRIPLES
    root = math.sqrt(k)
    return {
        "countries": min(len(COUNTRIES) + len(synthetic_codes()), round(20 + 20 * root)),
        "organizations": round(10 + 5 * root),
        "news": round(6 + 4 * root),
        "treaties": min(len(TREATIES), round(6 + 2 * root)),
    }


def synthetic_codes() -> list[tuple[str, str]]:
    """User-assigned ISO 3166-1 codes (never a real country): AA, QM-QZ, XA-XZ (no XK)."""
    alpha2 = ["AA"] + [f"Q{c}" for c in "MNOPQRSTUVWXYZ"] + [f"X{c}" for c in
                                                             "ABCDEFGHIJLMNOPQRSTUVWXYZ"]
    return [(f"X{a2}", a2) for a2 in alpha2]


class World:
    """Reference pools plus the calendar of big events; built once, before any source."""

    def __init__(self, rng: random.Random, target: int) -> None:
        self.rng = rng
        self.ref = Reference()
        self.size = sizes(target)
        self.places: set[str] = set()
        self.people: set[str] = set()
        self._concepts()
        self.countries: dict[str, Country] = {}
        self._countries()
        self.country_ids = list(self.countries)
        # Activity falls with rank: the first countries appear in most articles.
        weights = [1 / (rank + 6) ** 0.9 for rank in range(len(self.country_ids))]
        self.country_cum = list(_accumulate(weights))
        self.orgs: list[Org] = []
        self._organizations()
        self.treaties = self._treaties()
        self.news, self.journalists = self._news()
        self.big_events: list[BigEvent] = []
        self._calendar()
        self.completed = [e for e in self.big_events if not e.scheduled]
        self.scheduled = [e for e in self.big_events if e.scheduled]
        self.events_of: dict[str, list[BigEvent]] = {o.id: [] for o in self.orgs}
        for event in self.completed:
            self.events_of[event.org.id].append(event)

    # -- pools ---------------------------------------------------------------------

    def _concepts(self) -> None:
        ref = self.ref
        ref.use(ref.add("concepts", {"id": "scheme/topics", "type": "ConceptScheme",
                                     "label": "Topics of diplomatic events"}))
        self.topics: list[str] = []
        for slug, pref, alt in TOPICS:
            record = {"id": f"topic/{slug}", "type": "Concept", "prefLabel": pref,
                      "label": pref}
            if alt:
                record["altLabel"] = alt
            record["inScheme"] = "scheme/topics"
            self.topics.append(ref.use(ref.add("concepts", record)))
        self.general_topics = [t for t in self.topics if t not in SPECIFIC_TOPICS]
        ref.use(ref.add("concepts", {"id": "scheme/event-roles", "type": "ConceptScheme",
                                     "label": "Roles in an event"}))
        for slug, pref in EVENT_ROLES:
            ref.use(ref.add("concepts", {"id": f"event-role/{slug}", "type": "Concept",
                                         "prefLabel": pref, "label": pref,
                                         "inScheme": "scheme/event-roles"}))
        ref.use(ref.add("concepts", {"id": "scheme/partnership-levels",
                                     "type": "ConceptScheme", "label": "Levels of partnership"}))
        for slug, pref in PARTNERSHIP_LEVELS.values():
            ref.use(ref.add("concepts", {"id": f"partnership-level/{slug}", "type": "Concept",
                                         "prefLabel": pref, "label": pref,
                                         "inScheme": "scheme/partnership-levels"}))
        ref.use(ref.add("concepts", {"id": "scheme/treaty-actions", "type": "ConceptScheme",
                                     "label": "Treaty actions"}))
        for slug, pref, definition in TREATY_ACTIONS:
            record = {"id": f"treaty-action/{slug}", "type": "Concept", "prefLabel": pref,
                      "label": pref}
            if definition:
                record["definition"] = definition
            record["inScheme"] = "scheme/treaty-actions"
            ref.use(ref.add("concepts", record))

    def _place(self, name: str, iso3: str, qid: str = "") -> str:
        identifier = f"place/{slugify(name)}"
        if identifier in self.places:
            identifier = f"{identifier}-{iso3.lower()}"
        self.places.add(identifier)
        record: Record = {"id": identifier, "type": "City", "label": name,
                          "locatedIn": f"country/{iso3}"}
        if qid:
            record["sameAs"] = [f"http://www.wikidata.org/entity/{qid}"]
        return self.ref.add("places", record, [f"country/{iso3}"])

    def _person(self, nationality: str | None) -> str:
        rng = self.rng
        while True:
            name = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"
            identifier = f"person/{slugify(name)}"
            if identifier not in self.people:
                break
            identifier = f"{identifier}-{len(self.people)}"  # a namesake
            if identifier not in self.people:
                break
        self.people.add(identifier)
        record: Record = {"id": identifier, "type": "Person", "label": name}
        deps = []
        if nationality:
            record["nationality"] = f"country/{nationality}"
            deps.append(f"country/{nationality}")
        return self.ref.add("people", record, deps)

    def _post(self, slug: str, label: str, post_in: str) -> Post:
        """A post and its holders since TIMELINE_START, each in office 1.5 to 8 years."""
        rng = self.rng
        post = Post(self.ref.add("posts", {"id": f"post/{slug}", "type": "Post",
                                           "label": label, "postIn": post_in}, [post_in]),
                    label)
        start = TIMELINE_START - timedelta(days=rng.randrange(0, 6 * 365))
        horizon = date(LAST_YEAR + 2, 1, 1)
        while start < horizon:
            end = start + timedelta(days=rng.randrange(540, 8 * 365))
            person = self._person(post_in.removeprefix("country/")
                                  if post_in.startswith("country/")
                                  else self._nationality_of(post_in))
            holding = Holding(person, post.id, start, end if end < horizon else None,
                              f"tenure/{person.removeprefix('person/')}-{slug}")
            post.holdings.append(holding)
            post.starts.append(start.toordinal())
            start = end
        return post

    def _nationality_of(self, post_in: str) -> str | None:
        if post_in.startswith("organization/mfa-"):
            return post_in.removeprefix("organization/mfa-").upper()
        if self.country_ids:  # an international civil servant: any member country
            return self.rng.choice(self.country_ids[: max(5, len(self.country_ids) // 2)])
        return None

    def _countries(self) -> None:
        rng, ref = self.rng, self.ref
        wanted = self.size["countries"]
        table = [(i3, i2, name, capital, qid, alt)
                 for i3, i2, name, capital, qid, alt in COUNTRIES[:wanted]]
        for i3, i2 in synthetic_codes()[: max(0, wanted - len(COUNTRIES))]:
            base = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
            name = base + rng.choice(["ia", "land", "ora", "stan", "ea"])
            capital = "".join(rng.choice(SYLLABLES) for _ in range(2)).capitalize() + \
                rng.choice(["grad", "ville", "polis", "abad", "burg", " City"])
            table.append((i3, i2, name, capital, "", ""))
        venues: dict[str, list[str]] = {}
        for city, iso3 in VENUES:
            venues.setdefault(iso3, []).append(city)
        for i3, i2, name, capital_name, qid, alt in table:
            cid = f"country/{i3}"
            record: Record = {"id": cid, "type": "Country", "label": name}
            if alt:
                record["altLabel"] = alt
            record.update({"iso2": i2, "iso3": i3})
            if qid:
                record["sameAs"] = [f"http://www.wikidata.org/entity/{qid}"]
            ref.add("countries", record)
            capital = self._place(capital_name, i3, CITY_WIKIDATA.get(capital_name, ""))
            places = [capital] + [self._place(city, i3, CITY_WIKIDATA.get(city, ""))
                                  for city in venues.get(i3, [])]
            mfa = ref.add("organizations", {
                "id": f"organization/mfa-{i3.lower()}", "type": "GovernmentBody",
                "label": f"Ministry of Foreign Affairs of {name}", "subOrganizationOf": cid},
                [cid])
            self.countries[i3] = Country(i3, name, cid, capital, places, mfa, {})
        for i3, country in self.countries.items():
            low, name, cid = i3.lower(), country.name, country.id
            system = rng.choice(["presidential", "parliamentary", "parliamentary", "monarchy"])
            if i3 in PRESIDENTIAL:
                system = "presidential"
            elif i3 in PARLIAMENTARY_REPUBLIC:
                system = "parliamentary"
            elif i3 in MONARCHY:
                system = "monarchy"
            posts = country.posts
            if system == "presidential":
                posts["leader"] = self._post(f"president-{low}", f"President of {name}", cid)
            else:
                posts["leader"] = self._post(f"prime-minister-{low}",
                                             f"Prime Minister of {name}", cid)
                if system == "parliamentary":
                    posts["head"] = self._post(f"president-{low}", f"President of {name}", cid)
            posts["fm"] = self._post(f"foreign-minister-{low}",
                                     f"Minister of Foreign Affairs of {name}", cid)
            posts["deputy"] = self._post(f"deputy-foreign-minister-{low}",
                                         f"Deputy Minister of Foreign Affairs of {name}", cid)
            posts["spokesperson"] = self._post(
                f"spokesperson-mfa-{low}",
                f"Spokesperson of the Ministry of Foreign Affairs of {name}", country.mfa)

    def _organizations(self) -> None:
        rng, ref = self.rng, self.ref
        wanted = self.size["organizations"]
        chosen = set(self.country_ids)
        table = list(ORGANIZATIONS[:wanted])
        for n in range(max(0, wanted - len(ORGANIZATIONS))):
            words = [w.capitalize() for w in rng.sample(SYLLABLES, 2)]
            region = "".join(words)
            kind = rng.choice(["Forum", "IntergovernmentalOrganization"])
            label = (f"{region} Cooperation Forum" if kind == "Forum"
                     else f"Organization of {region} States")
            acronym = f"{region[:3].upper()}{'CF' if kind == 'Forum' else 'OS'}{n + 1}"
            series = [(rng.choice(["Summit", "MinisterialMeeting"]), rng.randint(1995, 2012),
                       rng.randint(1, 12))]
            core = rng.sample(self.country_ids, min(len(self.country_ids), rng.randint(5, 15)))
            table.append((slugify(acronym), kind, label, acronym, "",
                          str(rng.randint(1990, 2012)), "", core, series))
        for slug, kind, label, acronym, qid, founded, _parent, core, series in table:
            members = [c for c in core if c in chosen]
            universal = not core  # the UN, the WTO: every country
            if universal:
                members = list(self.country_ids)
            elif len(members) < 4:  # synthetic or mostly absent at this scale: fill up
                pool = [c for c in self.country_ids if c not in members]
                members += rng.sample(pool, min(len(pool), rng.randint(5, 12) - len(members)))
            members.sort(key=lambda c: self.countries[c].name)
            outsiders = [c for c in self.country_ids if c not in members]
            partners = []
            if not universal and outsiders:
                for iso3 in rng.sample(outsiders, min(len(outsiders), rng.randint(1, 6))):
                    role = rng.choice(["DialoguePartner", "PartnerCountry",
                                       "PermanentParticipant", "StrategicPartner",
                                       "DigitalPartner"])
                    partners.append((iso3, role, rng.randint(int(founded), 2024)))
            record: Record = {"id": f"organization/{slug}", "type": kind, "label": label}
            if acronym:
                record["acronym"] = acronym
            record["founded"] = founded
            if qid:
                record["sameAs"] = [f"http://www.wikidata.org/entity/{qid}"]
            ref.add("organizations", record)
            org = Org(record["id"], slug, label, acronym or label, int(founded), members,
                      partners, series, kind == "IntergovernmentalOrganization")
            if org.intergovernmental:
                org.secretary_general = self._post(
                    f"secretary-general-{slug}", f"Secretary-General of the {label}", org.id)
            self.orgs.append(org)
        present = {o.slug for o in self.orgs}
        for slug, kind, label, _acronym, parent in SUB_ORGANIZATIONS:
            if parent in present:
                parent_id = f"organization/{parent}"
                link = "unitOf" if kind == "OrganizationalUnit" else "subOrganizationOf"
                ref.add("organizations", {"id": f"organization/{slug}", "type": kind,
                                          "label": label, link: parent_id}, [parent_id])
        self.org_by_slug = {o.slug: o for o in self.orgs}
        self.memberships: dict[str, list[Org]] = {c: [] for c in self.country_ids}
        for org in self.orgs:
            for iso3 in org.members:
                self.memberships[iso3].append(org)

    def _treaties(self) -> list[tuple[str, int]]:
        treaties = []
        for slug, label, acronym, signed in TREATIES[: self.size["treaties"]]:
            record: Record = {"id": f"treaty/{slug}", "type": "Treaty", "label": label}
            if acronym:
                record["acronym"] = acronym
            record["signedIn"] = signed
            treaties.append((self.ref.add("treaties", record), int(signed)))
        return treaties

    def _news(self) -> tuple[list[str], dict[str, list[str]]]:
        rng, ref = self.rng, self.ref
        names: list[str] = []
        pairs = [(a, b) for a in NEWS_FIRST for b in NEWS_SECOND]
        for a, b in rng.sample(pairs, min(len(pairs), self.size["news"])):
            names.append(f"The {a} {b}" if b != "News Agency" else f"{a} News Agency")
        news, journalists = [], {}
        for name in names:
            identifier = ref.add("organizations", {"id": f"organization/{slugify(name)}",
                                                   "type": "NewsOrganization", "label": name})
            news.append(identifier)
            journalists[identifier] = [self._person(None) for _ in range(rng.randint(1, 4))]
        return news, journalists

    def _calendar(self) -> None:
        """Each series meets once a year, hosted by that year's chair (yearly rotation)."""
        rng = self.rng
        used: set[str] = set()
        for org in self.orgs:
            offset = rng.randrange(len(org.members))
            for kind, first, month in org.series:
                for year in range(max(FIRST_YEAR, first), LAST_YEAR + 2):
                    host = org.members[(year + offset) % len(org.members)]
                    country = self.countries[host]
                    place = (rng.choice(country.places) if rng.random() < 0.35
                             else country.capital)
                    m = min(12, max(1, month + rng.choice([-1, 0, 0, 0, 1])))
                    start = date(year, m, rng.randint(1, 24))
                    end = start + timedelta(days=rng.choice([0, 1, 1, 2, 2, 3]))
                    scheduled = year > LAST_YEAR
                    if scheduled:
                        precision = "month"
                    else:
                        precision = rng.choices(["range", "month", "day"], [70, 22, 8])[0]
                        if precision == "day":
                            end = start
                    sequence = year - first + 1
                    title = ("Summit" if kind == "Summit" else "Foreign Ministers' Meeting")
                    label = f"{ordinal(sequence)} {org.short} {title}"
                    what = "summit" if kind == "Summit" else "foreign-ministers-meeting"
                    identifier = (f"event/{year}-{m:02d}-{ordinal(sequence)}-{org.slug}-"
                                  f"{what}")
                    if identifier in used:
                        continue
                    used.add(identifier)
                    self.big_events.append(BigEvent(identifier, org, kind, sequence, label,
                                                    host, place, start, end, precision,
                                                    scheduled))

    # -- lookups -------------------------------------------------------------------

    def pick_countries(self, k: int, pool: list[str] | None = None) -> list[str]:
        """k distinct countries, the prominent ones more often (weighted by rank)."""
        if pool is not None:
            return self.rng.sample(pool, min(k, len(pool)))
        chosen: list[str] = []
        while len(chosen) < min(k, len(self.country_ids)):
            iso3 = self.rng.choices(self.country_ids, cum_weights=self.country_cum)[0]
            if iso3 not in chosen:
                chosen.append(iso3)
        return chosen


def _accumulate(values: Iterable[float]) -> Iterator[float]:
    total = 0.0
    for value in values:
        total += value
        yield total


#################################################################
# Articles: one source file each
#################################################################


class Article:
    """The records of one source file, with the article that states them."""

    def __init__(self, gen: Generator, number: int) -> None:
        self.gen = gen
        self.number = number
        self.records: dict[str, Record] = {}
        self.tenures: dict[str, Record] = {}
        self.latest = date(FIRST_YEAR, 1, 1)
        self.id = ""

    def add(self, record: Record) -> Record:
        if record["id"] in self.records:
            raise ValueError(f"{record['id']} twice in one article")
        self.records[record["id"]] = record
        return record

    def saw(self, when: date) -> None:
        self.latest = max(self.latest, when)

    def participation(self, iso3: str, kind: str, when: date, role: str = "") -> Record:
        """A person acting for a country through the post they hold on that date."""
        gen = self.gen
        country = gen.world.countries[iso3]
        holding = country.posts[kind].holder(when)
        self.tenure(holding)
        item: Record = {"agent": gen.use(holding.person), "capacity": gen.use(holding.post),
                        "represents": gen.use(country.id)}
        if role:
            item["role"] = gen.use(f"event-role/{role}")
        return item

    def person_of(self, iso3: str, kind: str, when: date) -> str:
        return self.gen.world.countries[iso3].posts[kind].holder(when).person

    def tenure(self, holding: Holding) -> None:
        """Tenure of a participant; its interval is stated by one source only (maxCount 1)."""
        if holding.tenure in self.tenures:
            return
        gen = self.gen
        person = gen.world.ref.records[holding.person]["label"]
        post = gen.world.ref.records[holding.post]["label"]
        record: Record = {"id": holding.tenure, "type": "Tenure", "holder": holding.person,
                          "post": holding.post, "label": f"{person}, {post}"}
        if holding.tenure not in gen.intervals and gen.rng.random() < 0.45:
            gen.intervals.add(holding.tenure)
            during: Record = {"from": gen.instant(holding.start)}
            if holding.end is not None:
                during["to"] = gen.instant(holding.end)
            record["during"] = during
        self.tenures[holding.tenure] = record

    def records_out(self) -> list[Record]:
        return [*self.records.values(), *self.tenures.values()]


class Generator:
    """Writes source files until the counted triples reach the target."""

    def __init__(self, target: int, seed: int, out: Path) -> None:
        self.target = target
        self.seed = seed
        self.out = out
        self.rng = random.Random(seed)
        self.world = World(self.rng, target)
        self.intervals: set[str] = set()  # tenures and memberships whose interval is stated
        self.ids: set[str] = set()  # events, documents, treaty actions, articles minted so far
        self.covered: set[str] = set()  # big events that had their coverage article
        self.files = 0
        self.source_triples = 0
        self.fixed = ontology_triples() + 4  # + _graph.yaml's own graph description

    # -- shared small pieces -------------------------------------------------------

    def use(self, identifier: str) -> str:
        return self.world.ref.use(identifier)

    def total(self) -> int:
        ref = self.world.ref
        return self.fixed + ref.triples + len(ref.used_files) + self.source_triples

    def mint(self, identifier: str) -> str:
        """A new globally unique id (events, documents... are stated once)."""
        candidate, n = identifier, 2
        while candidate in self.ids:
            candidate, n = f"{identifier}-{n}", n + 1
        self.ids.add(candidate)
        return candidate

    def instant(self, when: date) -> Record:
        precision = self.rng.choices(["date", "month", "year"], [6, 3, 1])[0]
        value = {"date": when.isoformat(), "month": when.isoformat()[:7],
                 "year": str(when.year)}[precision]
        return {precision: value, "dateStatus": "stated"}

    def topics(self, low: int, high: int) -> list[str]:
        return [self.use(t) for t in self.rng.sample(self.world.general_topics,
                                                      self.rng.randint(low, high))]

    def date_fields(self, when: date, status_choices: tuple[str, ...] = ("stated", "resolved"),
                    precision: str | None = None) -> Record:
        """date/month/year of an event with a status consistent with its precision."""
        rng = self.rng
        precision = precision or rng.choices(["date", "month", "year"], [75, 20, 5])[0]
        if precision == "date":
            return {"date": when.isoformat(), "dateStatus": rng.choice(status_choices)}
        if precision == "month":
            return {"month": when.isoformat()[:7],
                    "dateStatus": rng.choice(["stated", "stated", "inferred"])}
        return {"year": str(when.year), "dateStatus": "inferred"}

    def document(self, art: Article, kind: str, label: str, when: date,
                 concerns: list[str]) -> str:
        identifier = self.mint(f"document/{slugify(label)[:70].rstrip('-')}")
        record: Record = {"id": identifier, "type": kind, "label": label}
        if concerns:
            record["concerns"] = [self.use(c) for c in concerns]
        if kind == "WorkPlan":
            first = when.year + self.rng.choice([0, 1])
            record["coversPeriod"] = {
                "from": {"year": str(first), "dateStatus": "stated"},
                "to": {"year": str(first + self.rng.randint(1, 4)), "dateStatus": "stated"}}
        art.add(record)
        return identifier

    def mentions(self, candidates: list[str], k: int) -> list[str]:
        return [self.use(m) for m in self.rng.sample(candidates, min(k, len(candidates)))]

    def org_candidates(self, iso3s: list[str]) -> list[str]:
        seen: dict[str, None] = {}
        for iso3 in iso3s:
            for org in self.world.memberships[iso3]:
                seen[org.id] = None
        return list(seen)

    # -- big events ----------------------------------------------------------------

    def big_core(self, event: BigEvent) -> Record:
        """Facts about a big event that every article mentioning it states identically."""
        record: Record = {"id": event.id, "type": event.kind, "label": event.label,
                          "sequenceNumber": event.sequence, "inSeries": self.use(event.org.id)}
        if event.precision == "range":
            record["startDate"] = event.start.isoformat()
            record["endDate"] = event.end.isoformat()
        elif event.precision == "day":
            record["date"] = event.start.isoformat()
        else:
            record["month"] = event.start.isoformat()[:7]
        record["dateStatus"] = "stated"
        if event.scheduled:
            record["status"] = "scheduled"
        record["place"] = self.use(event.place)
        record["hostedBy"] = [self.use(f"country/{event.host}")]
        record["participants"] = [
            {"agent": self.use(f"country/{event.host}"), "role": self.use("event-role/host")},
            {"agent": self.use(event.org.id)}]
        return record

    def day_within(self, event: BigEvent) -> date:
        span = (event.end - event.start).days
        return event.start + timedelta(days=self.rng.randint(0, span))

    def sideline(self, art: Article, event: BigEvent, attendees: list[str], kind: str,
                 focus: str | None = None) -> None:
        """A bilateral or trilateral meeting on the sidelines of a big event."""
        rng = self.rng
        sides = rng.sample(attendees, 3 if len(attendees) >= 3 and rng.random() < 0.15 else 2)
        if focus in attendees and focus not in sides:
            sides[0] = focus
        if event.precision == "month":
            when = event.start.replace(day=rng.randint(1, 28))
            fields = self.date_fields(when, ("resolved",), rng.choice(["date", "month"]))
        else:
            when = self.day_within(event)
            fields = self.date_fields(when, ("stated", "resolved"),
                                      rng.choices(["date", "month"], [85, 15])[0])
        participants = [art.participation(iso3, kind, when) for iso3 in sides]
        if rng.random() < 0.2:  # a minister accompanying the leader
            extra = "fm" if kind == "leader" else "deputy"
            participants.insert(1, art.participation(sides[0], extra, when))
        names = [self.world.ref.records[p["agent"]]["label"] for p in participants
                 if p["represents"] in {f"country/{s}" for s in sides}]
        city = self.world.ref.records[event.place]["label"]
        when_text = day_text(when) if "date" in fields else month_text(when)
        if len(sides) == 2:
            types: Any = rng.choice(["BilateralMeeting", ["BilateralMeeting", "Talks"]])
            what = "Talks between" if isinstance(types, list) else "Meeting of"
            label = f"{what} {names[0]} and {names[-1]}, {city}, {when_text}"
        else:
            types = "TrilateralMeeting"
            label = f"Trilateral meeting of {', '.join(names[:-1])} and {names[-1]}, {city}"
        slug = "-".join(slugify(self.world.ref.records[p["agent"]]["label"]).split("-")[-1]
                        for p in participants[:3])
        identifier = self.mint(f"event/{when.isoformat()[:10 if 'date' in fields else 7]}"
                               f"-{slug}-{slugify(city)}")
        record: Record = {"id": identifier, "type": types, "label": label, **fields,
                          "place": self.use(event.place), "onSidelinesOf": [event.id],
                          "participants": participants}
        if rng.random() < 0.8:
            record["topics"] = self.topics(1, 6)
        if rng.random() < 0.4:
            candidates = self.org_candidates(sides) + [event.id]
            record["mentions"] = [m if m == event.id else self.use(m)
                                  for m in rng.sample(candidates, min(len(candidates),
                                                                      rng.randint(1, 3)))]
        if rng.random() < 0.15:
            countries = " and ".join(self.world.countries[s].name for s in sides)
            record["outcomes"] = [self.document(
                art, "JointStatement", f"Joint statement of {countries}, {when_text}", when,
                [])]
        art.add(record)
        art.saw(when)

    def membership(self, art: Article, org: Org, iso3: str, role: str, since: int) -> None:
        if role in PARTNERSHIP_LEVELS:
            self.partnership(art, org, iso3, role, since)
            return
        identifier = f"membership/{org.slug}-{slugify(role)}-{iso3.lower()}"
        if identifier in art.records:
            return
        name = self.world.countries[iso3].name
        role_text = re.sub(r"(?<!^)([A-Z])", r" \1", role).lower()
        record: Record = {"id": identifier, "type": "Membership",
                          "label": f"{name}, {role_text} of {org.short}",
                          "member": self.use(f"country/{iso3}"),
                          "organization": self.use(org.id), "role": role}
        if identifier not in self.intervals and self.rng.random() < 0.6:
            self.intervals.add(identifier)
            record["memberDuring"] = {"from": {"year": str(since), "dateStatus": "stated"}}
        art.add(record)

    def partnership(self, art: Article, org: Org, iso3: str, role: str, since: int) -> None:
        slug, level = PARTNERSHIP_LEVELS[role]
        identifier = f"partnership/{org.slug}-{iso3.lower()}-{slug}"
        if identifier in art.records:
            return
        name = self.world.countries[iso3].name
        record: Record = {"id": identifier, "type": "Partnership",
                          "label": f"{org.short}–{name} {level}",
                          "partners": [self.use(org.id), self.use(f"country/{iso3}")],
                          "level": self.use(f"partnership-level/{slug}")}
        if identifier not in self.intervals and self.rng.random() < 0.6:
            self.intervals.add(identifier)
            record["during"] = {"from": {"year": str(since), "dateStatus": "stated"}}
        art.add(record)

    def chairmanship(self, art: Article, event: BigEvent) -> None:
        """Chair of the year = host; the period must be stated, so the first mention does."""
        year = event.start.year
        identifier = f"chairmanship/{event.org.slug}-{year}-{event.host.lower()}"
        if identifier in art.records:
            return
        name = self.world.countries[event.host].name
        record: Record = {"id": identifier, "type": "Chairmanship",
                          "label": f"{name}'s chairmanship of {event.org.short}, {year}",
                          "member": self.use(f"country/{event.host}"),
                          "organization": self.use(event.org.id), "role": "Chair"}
        if identifier not in self.intervals:
            self.intervals.add(identifier)
            if self.rng.random() < 0.4:
                record["theme"] = self.rng.choice(
                    ["Inclusivity and Sustainability", "Building Our Future Together",
                     "Partnership for Resilience", "Connecting Regions, Enhancing Prosperity",
                     "Peace, Stability and Shared Growth"])
            record["memberDuring"] = {"from": {"year": str(year), "dateStatus": "stated"},
                                      "to": {"year": str(year), "dateStatus": "stated"}}
        art.add(record)

    # -- the four kinds of article -------------------------------------------------

    def coverage(self, art: Article, event: BigEvent, scale: float) -> tuple[str, str]:
        """Coverage of a summit or ministerial meeting: the biggest kind of article."""
        rng, world = self.rng, self.world
        self.covered.add(event.id)
        kind = "leader" if event.kind == "Summit" else "fm"
        core = self.big_core(event)
        attendees = list(event.org.members)
        if len(attendees) > 14:
            attendees = [event.host] + rng.sample([c for c in attendees if c != event.host],
                                                  rng.randint(6, 13))
        n_attend = max(2, round(len(attendees) * min(1.0, scale)))
        attendees = [event.host] + [c for c in attendees if c != event.host][: n_attend - 1]
        participants = core["participants"]
        for iso3 in attendees:
            role = "chair" if iso3 == event.host and rng.random() < 0.5 else ""
            participants.append(art.participation(iso3, kind, event.start, role))
        if event.org.secretary_general is not None and rng.random() < 0.5:
            holding = event.org.secretary_general.holder(event.start)
            art.tenure(holding)
            participants.append({"agent": self.use(holding.person),
                                 "capacity": self.use(holding.post),
                                 "represents": event.org.id})
        core["topics"] = self.topics(2, 6)
        treaty_ids = [t for t, _ in world.treaties]
        core["mentions"] = self.mentions(self.org_candidates(attendees[:3]) + treaty_ids,
                                         rng.randint(0, 4))
        if not core["mentions"]:
            del core["mentions"]
        outcomes = []
        for _ in range(rng.randint(0, 2)):
            doc_kind = rng.choice(["JointStatement", "MinisterialStatement", "WorkPlan"])
            title = {"JointStatement": f"Declaration of the {event.label}",
                     "MinisterialStatement": f"Chairman's statement of the {event.label}",
                     "WorkPlan": f"{event.org.short} work plan on {rng.choice(TOPICS)[1]}"}
            outcomes.append(self.document(art, doc_kind, title[doc_kind], event.start,
                                          [event.org.id] if rng.random() < 0.5 else []))
        if outcomes:
            core["outcomes"] = outcomes
        art.add(core)
        art.saw(event.end)
        # Sub-events: senior officials before, a retreat and a dialogue-partner session during.
        host = event.host
        if rng.random() < 0.5 * scale + 0.2:
            when = event.start - timedelta(days=rng.randint(1, 2))
            chair = art.participation(host, "deputy", when, "chair")
            art.add({"id": self.mint(f"{event.id}-senior-officials-meeting"),
                     "type": "SeniorOfficialsMeeting",
                     "label": f"{event.org.short} Senior Officials' Meeting, "
                              f"{world.ref.records[event.place]['label']}, {month_text(when)}",
                     **self.date_fields(when, ("stated", "resolved"), "date"),
                     "place": event.place, "chairedBy": [chair["agent"]],
                     "participants": [chair, {"agent": event.org.id}]})
        if event.kind == "MinisterialMeeting" and rng.random() < 0.5:
            when = self.day_within(event)
            art.add({"id": self.mint(f"{event.id}-retreat"), "type": "MinisterialMeeting",
                     "label": f"{event.org.short} Foreign Ministers' Retreat, {when.year}",
                     "partOf": [event.id],
                     **self.date_fields(when, ("stated",), rng.choice(["date", "month"])),
                     "place": event.place,
                     "participants": [{"agent": f"country/{host}",
                                       "role": self.use("event-role/chair")},
                                      {"agent": event.org.id}]})
        for iso3, role, since in event.org.partners[: rng.randint(0, 2)]:
            if since > event.start.year:
                continue
            when = self.day_within(event)
            name = world.countries[iso3].name
            art.add({"id": self.mint(f"{event.id}-{event.org.slug}-{iso3.lower()}-session"),
                     "type": "MinisterialMeeting",
                     "label": f"{event.org.short}–{name} session, {when.year}",
                     "partOf": [event.id],
                     **self.date_fields(when, ("stated",), "date"), "place": event.place,
                     "participants": [art.participation(iso3, "fm", when),
                                      {"agent": event.org.id}]})
            self.membership(art, event.org, iso3, role, since)
        for _ in range(round(rng.randint(1, 6) * scale)):
            self.sideline(art, event, attendees, kind)
        self.chairmanship(art, event)
        for iso3 in rng.sample(attendees, min(len(attendees), round(rng.randint(0, 6) * scale))):
            joined = min(event.org.founded, event.start.year)
            self.membership(art, event.org, iso3, "MemberState",
                            rng.randint(joined, min(event.start.year, joined + 15)))
        city = world.ref.records[event.place]["label"]
        return rng.choice([
            f"{event.org.short} leaders gather in {city} for {ordinal(event.sequence)} meeting",
            f"{world.countries[host].name} hosts the {event.label}",
            f"{event.label} opens in {city}",
            f"{city} {event.label.split(' ', 1)[1]} ends with pledges on "
            f"{world.ref.records[core['topics'][0]]['prefLabel']}"]), host

    def sidelines(self, art: Article, scale: float, focus: str | None) -> tuple[str, str]:
        """Meetings on the sidelines of an earlier big event, and one still to come."""
        rng, world = self.rng, self.world
        event = rng.choice(world.completed)
        if focus is not None:  # an event of one of the focus country's organisations
            orgs = [o for o in world.memberships[focus] if world.events_of[o.id]]
            if orgs:
                event = rng.choice(world.events_of[rng.choice(orgs).id])
        if event.id not in art.records:
            art.add(self.big_core(event))
        art.saw(event.end)
        kind = "leader" if event.kind == "Summit" else "fm"
        attendees = event.org.members
        n = max(1, round(rng.randint(1, 4) * scale))
        for _ in range(n):
            self.sideline(art, event, attendees, kind, focus)
        if rng.random() < 0.3:
            self.chairmanship(art, event)
        future = rng.choice(world.scheduled)
        if rng.random() < 0.25 * scale and future.id not in art.records:
            art.add(self.big_core(future))
            a, b = rng.sample(attendees, 2)
            when = future.start
            names = [world.ref.records[art.person_of(c, kind, when)]["label"] for c in (a, b)]
            record: Record = {
                "id": self.mint(f"event/{when.isoformat()[:7]}-{slugify(names[0])}-"
                                f"{slugify(names[1])}-planned"),
                "type": "BilateralMeeting",
                "label": f"Planned meeting of {names[0]} and {names[1]}, {month_text(when)}",
                "month": when.isoformat()[:7], "dateStatus": "inferred",
                "status": "scheduled", "place": self.use(future.place),
                "onSidelinesOf": [future.id],
                "participants": [art.participation(a, kind, when),
                                 art.participation(b, kind, when)]}
            art.add(record)
        city = world.ref.records[event.place]["label"]
        return rng.choice([f"On the sidelines of the {event.label}: {n} bilateral meetings",
                           f"Leaders meet on the margins of the {event.org.short} "
                           f"gathering in {city}",
                           f"Busy diplomacy in {city} around the {event.label}"]), event.host

    def visit(self, art: Article, scale: float, focus: str | None) -> tuple[str, str]:
        """An official visit with talks, consultations, outcomes and a signed agreement."""
        rng, world = self.rng, self.world
        a, b = world.pick_countries(2)
        if focus is not None and focus != b:
            a = focus
        elif focus is not None:
            a, b = b, a
        ca, cb = world.countries[a], world.countries[b]
        when = date(rng.randint(FIRST_YEAR, LAST_YEAR), rng.randint(1, 12), rng.randint(1, 28))
        level = rng.choice(["leader", "fm", "fm"])
        days = rng.choice([0, 0, 1, 2])
        place = rng.choice(cb.places) if rng.random() < 0.2 else cb.capital
        city = world.ref.records[place]["label"]
        guest = art.participation(a, level, when)
        guest_name = world.ref.records[guest["agent"]]["label"]
        visit: Record = {"id": self.mint(f"event/{when.isoformat()[:7]}-"
                                         f"{guest['agent'].removeprefix('person/')}-visit-"
                                         f"{slugify(cb.name)}"),
                         "type": "OfficialVisit",
                         "label": f"{guest_name}'s visit to {cb.name}, {month_text(when)}"}
        if days:
            visit.update({"startDate": when.isoformat(),
                          "endDate": (when + timedelta(days=days)).isoformat(),
                          "dateStatus": "stated"})
        else:
            visit.update(self.date_fields(when, ("stated",), rng.choice(["date", "month"])))
        visit.update({"place": self.use(place), "hostedBy": [self.use(cb.id)],
                      "participants": [guest]})
        art.add(visit)
        talks_day = when + timedelta(days=rng.randint(0, days))
        hosts = [art.participation(b, level, talks_day, "host" if rng.random() < 0.3 else "")]
        if level == "leader" and rng.random() < 0.5:
            hosts.append(art.participation(b, "fm", talks_day))
        names = [guest_name] + [world.ref.records[h["agent"]]["label"] for h in hosts]
        talks: Record = {"id": self.mint(f"event/{talks_day.isoformat()}-"
                                         f"{slugify(names[0])}-{slugify(names[1])}-"
                                         f"{slugify(city)}"),
                         "type": ["BilateralMeeting", "Talks"],
                         "label": f"Talks between {' and '.join(names)}, {city}, "
                                  f"{day_text(talks_day)}",
                         **self.date_fields(talks_day, ("stated", "resolved"), "date"),
                         "place": place, "partOf": [visit["id"]],
                         "participants": [art.participation(a, level, talks_day), *hosts],
                         "topics": self.topics(2, 7)}
        orgs = self.org_candidates([a, b])
        if orgs and rng.random() < 0.6:
            talks["mentions"] = self.mentions(orgs, rng.randint(1, 4))
        outcomes = []
        if rng.random() < 0.5:
            outcomes.append(self.document(
                art, "JointStatement", f"Joint statement of {ca.name} and {cb.name} on "
                f"{world.ref.records[talks['topics'][0]]['prefLabel']}", talks_day, []))
        if rng.random() < 0.3 * scale + 0.1:
            outcomes.append(self.document(
                art, "WorkPlan", f"Plan of consultations between the foreign ministries of "
                f"{ca.name} and {cb.name}", talks_day, [ca.mfa, cb.mfa]))
        if outcomes:
            talks["outcomes"] = outcomes
        art.add(talks)
        art.saw(talks_day + timedelta(days=days))
        if rng.random() < 0.5 * scale + 0.1:
            chairs = [art.participation(a, "deputy", talks_day, "co-chair"),
                      art.participation(b, "deputy", talks_day, "co-chair")]
            art.add({"id": self.mint(f"{talks['id']}-consultations"),
                     "type": ["BilateralMeeting", "Consultations"],
                     "label": f"Political consultations between the foreign ministries of "
                              f"{ca.name} and {cb.name}, {city}, {talks_day.year}",
                     **self.date_fields(talks_day, ("resolved", "stated"), "date"),
                     "place": place, "chairedBy": [c["agent"] for c in chairs],
                     "participants": chairs,
                     "topics": self.topics(1, 3)})
        if rng.random() < 0.3 * scale:
            topic = rng.choice(TOPICS)[1]
            treaty = f"treaty/{slugify(ca.name)}-{slugify(cb.name)}-{slugify(topic)}-{when.year}"
            if treaty not in world.ref.records:
                world.ref.add("treaties", {
                    "id": treaty, "type": "Treaty",
                    "label": f"Agreement between {ca.name} and {cb.name} on {topic}",
                    "signedIn": str(talks_day.year)})
                action = self.mint(f"treaty-action/{a.lower()}-{b.lower()}-"
                                   f"{treaty.removeprefix('treaty/')}-signature")
                art.add({"id": action, "type": "TreatyAction",
                         "label": f"Signature of the agreement between {ca.name} and "
                                  f"{cb.name} on {topic}",
                         "party": [self.use(ca.id), self.use(cb.id)],
                         "treaty": self.use(treaty),
                         "actionType": self.use("treaty-action/signature"),
                         **self.date_fields(talks_day, ("stated",), "date")})
        return rng.choice([f"{ca.name} and {cb.name} agree to deepen cooperation",
                           f"{guest_name} in {city} for talks with {names[1]}",
                           f"{ca.name}, {cb.name} chart new path for cooperation across "
                           f"key sectors"]), a

    def treaty_report(self, art: Article, scale: float, focus: str | None) -> tuple[str, str]:
        """Accessions and ratifications, new partnerships and a multilateral consultation."""
        rng, world = self.rng, self.world
        when = date(rng.randint(FIRST_YEAR, LAST_YEAR), rng.randint(1, 12), rng.randint(1, 28))
        treaty, signed = rng.choice(world.treaties)
        parties = world.pick_countries(max(1, round(rng.randint(1, 4) * scale)))
        if focus is not None and focus not in parties:
            parties[0] = focus
        treaty_label = world.ref.records[treaty]["label"]
        action_kind = "signature" if when.year == signed else rng.choice(
            ["accession", "ratification", "ratification"])
        for iso3 in parties:
            action = f"treaty-action/{iso3.lower()}-{treaty.removeprefix('treaty/')}-" \
                     f"{action_kind}"
            if action in self.ids:
                continue
            self.ids.add(action)
            year = max(signed, when.year - rng.randint(0, 10))
            day = when if year == when.year else date(year, rng.randint(1, 12), rng.randint(1, 28))
            fields = (self.date_fields(day, ("stated",), "date") if rng.random() < 0.6
                      else {"year": str(day.year), "dateStatus": "inferred"})
            record: Record = {"id": action, "type": "TreatyAction",
                              "label": f"{world.countries[iso3].name}'s "
                                       f"{action_kind.replace('-', ' ')} of the {treaty_label}",
                              "party": self.use(f"country/{iso3}"), "treaty": self.use(treaty),
                              "actionType": self.use(f"treaty-action/{action_kind}"), **fields}
            if "year" in fields:
                record["note"] = "The source gives only the year of the action."
            art.add(record)
            art.saw(day)
        org = rng.choice([o for o in world.orgs if o.partners] or world.orgs)
        for iso3, role, since in org.partners[: max(1, round(rng.randint(1, 3) * scale))]:
            self.membership(art, org, iso3, role, since)
        members = world.pick_countries(rng.randint(3, 6))
        host = world.countries[members[0]]
        place = host.capital
        participants = [art.participation(c, rng.choice(["fm", "deputy"]), when)
                        for c in members]
        names = ", ".join(world.countries[c].name for c in members[:-1])
        art.add({"id": self.mint(f"event/{when.isoformat()}-consultations-on-"
                                 f"{treaty.removeprefix('treaty/')}-{slugify(host.name)}"),
                 "type": ["MultilateralMeeting", "Consultations"],
                 "label": f"Consultations of {names} and {world.countries[members[-1]].name} "
                          f"on the {treaty_label}",
                 **self.date_fields(when, ("stated", "resolved")), "place": self.use(place),
                 "hostedBy": [self.use(host.id)], "participants": participants,
                 "topics": self.topics(1, 3), "mentions": [treaty]})
        art.saw(when)
        return rng.choice([f"{world.countries[parties[0]].name} moves on the {treaty_label}",
                           f"Diplomats in {world.ref.records[place]['label']} discuss the "
                           f"{treaty_label}",
                           f"New partners for {org.short}"]), parties[0]

    # -- files ---------------------------------------------------------------------

    def article(self, number: int, remaining: int) -> tuple[str, str]:
        """Generate one source file's text; returns (file name, text).

        An article tells one main story and, like the shipped ones (a week of ministerial
        meetings, a ministry's posts over several days), often a few more about the same
        country; near the target only one small story is told, to land close to it.
        """
        rng = self.rng
        art = Article(self, number)
        small = remaining < 2_500
        scale = 0.3 if small else 1.0
        stories = 1 if small else rng.choices(range(1, 9), [16, 22, 22, 16, 11, 7, 4, 2])[0]
        headline, focus = "", None
        for story in range(stories):
            roll = rng.random()
            event = self._uncovered() if story == 0 and not small and roll < 0.2 else None
            if event is not None:
                title, country = self.coverage(art, event, 1.0)
            elif roll < 0.45:
                title, country = self.sidelines(art, scale, focus)
            elif roll < 0.85:
                title, country = self.visit(art, scale, focus)
            else:
                title, country = self.treaty_report(art, scale, focus)
            if story == 0:
                headline, focus = title, country
        return self._write_article(art, headline)

    def _uncovered(self) -> BigEvent | None:
        for _ in range(8):
            event = self.rng.choice(self.world.completed)
            if event.id not in self.covered:
                return event
        return None

    def _write_article(self, art: Article, headline: str) -> tuple[str, str]:
        rng, world = self.rng, self.world
        number = art.number
        slug = "-".join(slugify(headline).split("-")[:8])
        article_id = self.mint(f"article/{slug}-{number}")
        publisher = (rng.choice(world.news) if rng.random() < 0.9
                     else world.countries[world.pick_countries(1)[0]].mfa)
        record: Record = {"id": article_id, "type": "NewsArticle", "headline": headline,
                          "publisher": self.use(publisher)}
        if rng.random() < 0.3:
            original = rng.choice(world.news)
            if original != publisher:
                record["originalPublisher"] = self.use(original)
        if rng.random() < 0.3:
            mfa = world.countries[world.pick_countries(1)[0]].mfa
            record["citing"] = [self.use(mfa)]
        if publisher in world.journalists and rng.random() < 0.5:
            pool = world.journalists[publisher]
            record["authors"] = [self.use(p) for p in rng.sample(pool, rng.randint(1, len(pool)))]
        places = [r["place"] for r in art.records.values() if "place" in r]
        if places and rng.random() < 0.8:
            record["dateline"] = self.use(places[0])
        published = art.latest + timedelta(days=rng.randint(0, 3))
        style = rng.choices(["datePublished", "monthPublished", "pageDate", "yearPublished"],
                            [70, 15, 10, 5])[0]
        record[style] = {"datePublished": published.isoformat(),
                         "monthPublished": published.isoformat()[:7],
                         "pageDate": (published + timedelta(days=rng.randint(0, 400))).isoformat(),
                         "yearPublished": str(published.year)}[style]
        if style != "pageDate":
            record["publicationDateStatus"] = "stated"
        if rng.random() < 0.5:
            host = slugify(world.ref.records[publisher]["label"]).replace("the-", "", 1)
            record["url"] = (f"https://{host}.example/{published.year}/{published.month:02d}/"
                             f"{slug}")
        record["sourceFile"] = f"{number % 1000:03d}_{rng.getrandbits(64):016x}.txt"
        graph = f"{number:05d}-{'-'.join(slug.split('-')[:6])}"
        publisher_label = world.ref.records[publisher]["label"]
        envelope = {"id": f"graph/{graph}", "type": "SourceGraph",
                    "label": f'Facts stated by {publisher_label}, "{headline}"',
                    "derivedFrom": article_id, "attributedTo": CURATOR, "created": CREATED}
        records = [record, *art.records_out()]
        for item in records:
            item["evidence"] = [passage(item)]
        self.source_triples += ENVELOPE_TRIPLES + sum(count_record(r, article_id)
                                                      for r in records)
        comment = (f"Synthetic source {number} of bench.generate (seed {self.seed}): "
                   f"fictitious facts for benchmarks.")
        return f"{graph}.yaml", emit_document(comment, envelope, records)

    def reference_files(self) -> Iterator[tuple[str, str]]:
        ref = self.world.ref
        ref.use(CURATOR)
        yield "_graph.yaml", emit_document(
            "The reference graph: shared entities, cited by every source graph.\n"
            f"Generated by bench.generate (seed {self.seed}); the facts are fictitious.",
            {"id": "graph/reference", "type": "ReferenceGraph",
             "label": "Reference entities (countries, organisations, people, places, posts, "
                      "topics, treaties)", "attributedTo": CURATOR, "created": CREATED},
            [ref.records[CURATOR]])
        for name, records in ref.files().items():
            if name == "_graph":
                continue
            yield f"{name}.yaml", emit_document(
                f"{name.capitalize()} used by the synthetic sources (bench.generate).",
                {"id": "graph/reference"}, records)

    def run(self) -> dict[str, Any]:
        """Write everything; return the counts the CLI prints."""
        self.world.ref.add("_graph", {"id": CURATOR, "type": "FormalOrganization",
                                      "label": "Diplomacy linked-data publisher (curators)"})
        self.use(CURATOR)
        sources = self.out / "data" / "sources"
        sources.mkdir(parents=True)
        number = 0
        while True:
            remaining = self.target - self.total()
            if remaining < 150:
                break
            name, text = self.article(number, remaining)
            (sources / name).write_text(text, encoding="utf-8")
            number += 1
        reference = self.out / "data" / "reference"
        reference.mkdir(parents=True)
        for name, text in self.reference_files():
            (reference / name).write_text(text, encoding="utf-8")
        return {"source_files": number, "reference_entities": len(self.world.ref.used),
                "triples": self.total()}


def passage(record: Record) -> str:
    """The evidence of a synthetic record: its label or headline, as if the article said so
    (there is no article text to quote; at most 25 words, as the shapes require)."""
    text = str(record.get("label") or record.get("headline") or record["id"])
    return " ".join(text.split()[:25])


def ontology_triples() -> int:
    """Triples of ontology/*.ttl as the build counts them (parsed, not deduplicated)."""
    import pyoxigraph as ox

    return sum(len(list(ox.parse(path=str(p), format=ox.RdfFormat.TURTLE,
                                 base_iri="http://localhost:8000/")))
               for p in sorted((REPO / "ontology").glob("*.ttl")))


#################################################################
# Command line
#################################################################


def prepare_out(out: Path) -> None:
    """Empty the generated parts of ``out``; refuse a folder this tool did not write."""
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise SystemExit(f"{out} is not empty and was not written by bench.generate; "
                         "choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("bench.generate output: data/, mappings/, ontology/, shapes/ "
                              "are rewritten by every run\n", encoding="utf-8")
    for folder in ("data", *COPIED_FOLDERS):
        shutil.rmtree(out / folder, ignore_errors=True)
    for folder in COPIED_FOLDERS:
        shutil.copytree(REPO / folder, out / folder)


def generate(target: int, seed: int, out: Path) -> dict[str, Any]:
    """Generate a project folder of about ``target`` triples; the API the tests use."""
    prepare_out(out)
    return Generator(target, seed, out).run()


def check(out: Path) -> int:
    """Build the generated folder with the real pipeline; return the triple count."""
    from publisher.pipeline.build import BuildFailed, build
    from publisher.settings import Settings

    settings = Settings(project_dir=out, store_dir=out / "var" / "store",
                        base="http://localhost:8000/")
    try:
        result = build(settings, progress=lambda line: print(line, flush=True))
    except BuildFailed as error:
        print(f"build failed at {error.stage}: {len(error.problems)} problems", file=sys.stderr)
        for line in error.problems[:20]:
            print(f"  {line}", file=sys.stderr)
        raise SystemExit(1) from error
    return int(result.stats["triples"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--triples", type=int, required=True,
                        help=f"target triple count after the build (>= {MIN_TRIPLES})")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="project folder to write")
    parser.add_argument("--check", action="store_true",
                        help="build the result with the real pipeline and compare counts")
    args = parser.parse_args(argv)
    if args.triples < MIN_TRIPLES:
        parser.error(f"--triples must be at least {MIN_TRIPLES}")
    start = time.perf_counter()
    result = generate(args.triples, args.seed, args.out)
    elapsed = time.perf_counter() - start
    print(f"wrote {result['source_files']} source files and "
          f"{result['reference_entities']} reference entities to {args.out} "
          f"in {elapsed:.2f} s")
    print(f"estimated triples after build: {result['triples']} "
          f"(target {args.triples}, {100 * (result['triples'] / args.triples - 1):+.1f}%)")
    if args.check:
        start = time.perf_counter()
        actual = check(args.out)
        print(f"actual triples after build: {actual} "
              f"({100 * (actual / args.triples - 1):+.1f}% of target; estimate off by "
              f"{actual - result['triples']}) in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
