"""The competency questions, answered by SPARQL over the built store.

The queries are the files in queries/, the same ones the README's table shows with their
answers; questions 6-19 are about the kinds of facts the articles state beyond meetings:
statements, quantities, invitations, intentions, sessions, reporting chains, date
status, positions, outcomes, initiatives, arrivals, claims stated by several sources and
their evidence.
"""

from __future__ import annotations

from .conftest import BASE, read_query, select

ID = BASE + "id/"
DIP = BASE + "ontology#"


def test_whom_lavrov_met_in_vientiane_in_july_2024(store) -> None:
    rows = {(person, date) for person, _name, date, _m in
            select(store, read_query("cq1-lavrov-vientiane-july-2024.rq"))}
    assert rows == {
        (ID + "person/wang-yi", "2024-07-25"),
        (ID + "person/hakan-fidan", "2024-07-26"),
        (ID + "person/subrahmanyam-jaishankar", "2024-07-26"),
    }
    # The joint meeting with Saleumxay Kommasith on 25 July is not placed by its source
    # ("Today, we had ... our joint meeting"), so it is not an answer to "in Vientiane".


def test_where_and_when_lavrov_met_rubio_and_who_says_so(store) -> None:
    rows = select(store, read_query("cq2-lavrov-rubio.rq"))
    assert len(rows) == 1
    meeting, place, date, time, article, headline, publisher = rows[0]
    assert meeting == ID + "event/2025-07-10-lavrov-rubio-kuala-lumpur"
    assert (place, date, time) == ("Kuala Lumpur", "2025-07-10", "2025-07-10T18:00:00+08:00")
    assert article == ID + "article/bernama-lavrov-rubio-meeting-being-finalised"
    assert headline == "Lavrov Rubio Meeting In Kl Being Finalised Says Russian Foreign Ministry"
    # The report is Bernama's; the blog only cached a copy of it.
    assert publisher == "Bernama (Malaysian National News Agency)"


def test_which_country_chaired_asean_in_2024_and_2025(store) -> None:
    rows = {(year, country) for year, country, _ in
            select(store, read_query("cq3-asean-chairs.rq"))}
    assert rows == {("2024", ID + "country/LAO"), ("2025", ID + "country/MYS")}


def test_russia_asean_partnerships_and_since_when(store) -> None:
    rows = [(level, since) for level, _name, since in
            select(store, read_query("cq4-russia-asean-partnership.rq"))]
    assert rows == [(ID + "partnership-level/dialogue-partner", "1996"),
                    (ID + "partnership-level/strategic-partnership", "2018"),
                    (ID + "partnership-level/digital-partner", "2024")]


def test_organisations_mentioned_in_the_baku_talks(store) -> None:
    rows = {org for org, _ in select(store, read_query("cq5-baku-talks-organizations.rq"))}
    assert rows == {ID + f"organization/{slug}" for slug in ("un", "oic", "nam", "asean", "d-8")}


def test_who_said_what_about_the_hasan_lavrov_talks(store) -> None:
    rows = {(speaker, said, audience) for speaker, said, audience, _s in
            select(store, read_query("cq6-statements-on-hasan-lavrov-talks.rq"))}
    assert rows == {
        ("Mohamad Hasan", "I expressed Malaysia’s interest in securing more placements for our "
                          "students, and Russia has agreed,", None),
        ("Mohamad Hasan", "Russia is considering signing the SEANWFZ treaty with ASEAN, and the "
                          "documentation will be negotiated at the official level,", None),
        ("Sergey Lavrov", "It was a nice meeting.", "journalists"),
        ("TASS", "Both ministers reviewed bilateral cooperation and the prospects of the "
                 "ASEAN-Russia strategic partnership.", None),
    }


def test_which_quantities_were_reported_and_by_whom(store) -> None:
    rows = {(quantity.removeprefix(ID + "quantity/"), amount, unit, qualifier, year, by)
            for quantity, amount, unit, qualifier, year, by, _publisher in
            select(store, read_query("cq7-quantities-reported.rq"))}
    mfa, anwar, lavrov = "Ministry of Foreign Affairs of Russia", "Anwar Ibrahim", "Sergey Lavrov"
    assert rows == {
        ("rus-asean-trade-2023", "22000000000", "US dollar", "almost", "2023", mfa),
        ("rus-asean-trade-growth-2023", "14.6", "per cent", "exact", "2023", mfa),
        ("malaysian-students-russian-universities-2024", "700", "person", "approximately",
         None, lavrov),
        ("russia-malaysia-university-documents-2023", "30", "document", "more than", "2023",
         lavrov),
        ("mys-emissions-intensity-reduction-pledge-2030", "45", "per cent", "exact", "2030",
         anwar),
        ("international-climate-finance-per-year", "300000000000", "US dollar",
         "approximately", None, anwar),
        ("climate-finance-needed-developing-countries-2030", "3000000000000", "US dollar",
         "approximately", "2030", anwar),
    }


def test_who_invited_whom(store) -> None:
    rows = {(inviter, invitee, to) for inviter, invitee, to, _i in
            select(store, read_query("cq8-invitations.rq"))}
    assert rows == {
        ("Luiz Inácio Lula da Silva", "Anwar Ibrahim",
         "17th BRICS Leaders' Summit, Rio de Janeiro"),
        ("Sergey Lavrov", "Mohamad Hasan",
         "Sergey Lavrov's invitation to Mohamad Hasan to make a reply visit to Russia"),
    }


def test_what_russia_was_considering_about_seanwfz(store) -> None:
    rows = {(intention.removeprefix(ID), status, speaker) for intention, _l, status, speaker, _q
            in select(store, read_query("cq9-russia-seanwfz.rq"))}
    assert rows == {("intention/rus-sign-seanwfz", "considered", "Mohamad Hasan"),
                    ("intention/rus-asean-seanwfz-documentation-negotiation", "planned",
                     "Mohamad Hasan")}


def test_at_which_sessions_anwar_spoke(store) -> None:
    rows = select(store, read_query("cq10-anwar-sessions.rq"))
    assert rows == [(ID + "event/2025-07-17th-brics-summit-environment-cop30-global-health-session",
                     "\"Environment, COP30 and Global Health\" session of the 17th BRICS Leaders' "
                     "Summit", "17th BRICS Leaders' Summit, Rio de Janeiro")]


def test_reporting_chain_of_the_lavrov_rubio_meeting(store) -> None:
    rows = {(step, who, through) for step, who, through in
            select(store, read_query("cq11-lavrov-rubio-reporting-chain.rq"))}
    assert rows == {
        ("1 statement", "Maria Zakharova", "RIA Novosti"),
        ("1 statement", "United States Department of State", None),
        ("2 according to", "Maria Zakharova", None),
        ("2 according to", "United States Department of State", None),
        ("3 publisher", "Bernama (Malaysian National News Agency)", None),
        ("4 copy", "Malaysians Must Know the TRUTH (blog)",
         "http://malaysiansmustknowthetruth.blogspot.com/2025/07/lavrovrubio-meeting-in-kl-being.html"),
    }


def test_which_dates_were_resolved_from_relative_expressions(store) -> None:
    rows = {(thing.removeprefix(ID), date) for thing, date, _source in
            select(store, read_query("cq12-resolved-dates.rq"))}
    # "Thursday", "today", "Monday", "Tuesday", "Friday", "earlier this year", "currently",
    # and the present tense of remarks dated by their heading ("a new permanent participant")
    assert ("event/2025-07-10-lavrov-rubio-kuala-lumpur", "2025-07-10") in rows
    assert ("event/2024-07-28-russia-malaysia-talks-kuala-lumpur", "2024-07-28") in rows
    assert ("event/2024-07-25-russia-china-laos-joint-meeting-vientiane", "2024-07-25") in rows
    assert ("event/2025-07-07-asean-senior-officials-meeting", "2025-07-07") in rows
    assert ("event/2025-07-58th-asean-foreign-ministers-meeting", "2025-07-08") in rows
    assert ("partnership/asean-rus-digital", "2024") in rows
    assert len(rows) == 16
    # dates an article gives are not among them
    assert not {r for r in rows if r[0] == "event/2024-07-25-lavrov-wang-yi-vientiane"}


def test_malaysias_positions_at_the_brics_summit(store) -> None:
    rows = {position.removeprefix(ID + "statement/") for position, _l, _o in
            select(store, read_query("cq13-malaysia-positions-brics.rq"))}
    assert rows == {
        "2025-07-anwar-brics-multilateralism-wto-reform",
        "2025-07-anwar-brics-fair-global-cooperation",
        "2025-07-mys-welcomes-brics-partnership-diseases",
        "2025-07-mys-brics-asean-health-collaboration",
        "2025-07-mys-low-carbon-transition-pledges",
        "2025-07-mys-asean-chair-climate-coherence",
        "2025-07-anwar-cop30-aspiration-to-execution",
    }


def test_outcomes_of_the_asean_russia_meeting_of_26_july_2024(store) -> None:
    rows = {(outcome.removeprefix(ID), kind) for outcome, kind, _label in
            select(store, read_query("cq14-outcomes-asean-russia-2024.rq"))}
    assert rows == {
        ("document/asean-russia-joint-statement-20th-anniversary-tac-accession",
         "joint statement"),
        ("decision/asean-rus-new-medium-term-document", "decision"),
    }


def test_initiatives_russia_put_forward(store) -> None:
    rows = {(initiative.removeprefix(ID + "initiative/"), framework) for initiative, _l, framework
            in select(store, read_query("cq15-russia-initiatives.rq"))}
    assert rows == {
        ("eas-epidemic-response-mechanism", "East Asia Summit"),
        ("eas-economic-recovery-through-tourism", "East Asia Summit"),
    }
    # The cybercrime initiatives of 2022-2024 were "implemented during" the Russian-Indonesian
    # co-chairmanship; the source does not say who proposed them.


def test_who_arrived_where_to_attend_what(store) -> None:
    rows = set(select(store, read_query("cq16-arrivals.rq")))
    assert rows == {
        ("Anwar Ibrahim", "Rio de Janeiro", "17th BRICS Leaders' Summit, Rio de Janeiro"),
        ("Sergey Lavrov", "Royal Malaysian Air Force (RMAF) Base",
         "ASEAN ministerial meetings attended by Sergey Lavrov, Kuala Lumpur, 10–11 July 2025"),
    }


def test_intentions_and_plans_with_their_status(store) -> None:
    rows = {(intention.removeprefix(ID + "intention/"), status, by) for intention, _l, status, by
            in select(store, read_query("cq17-intentions-and-plans.rq"))}
    assert rows == {
        ("rus-sign-seanwfz", "considered", "Russia"),
        ("rus-asean-seanwfz-documentation-negotiation", "planned",
         "Association of Southeast Asian Nations, Russia"),
        ("2025-07-lavrov-bilateral-meetings-asian-partners", "planned", "Sergey Lavrov"),
        ("2025-07-mohamad-hasan-bilateral-meetings", "scheduled", "Mohamad Hasan"),
        ("mys-net-zero-emissions-2050", "planned", "Malaysia"),
        ("rus-assist-malaysia-brics-ties", "planned", "Russia"),
    }


def test_facts_stated_by_several_sources_are_one_node(store) -> None:
    rows = {fact.removeprefix(ID): int(count) for fact, count in
            select(store, read_query("cq18-claims-with-several-sources.rq"))}
    assert rows["chairmanship/asean-2025-mys"] == 5
    assert rows["event/2025-07-58th-asean-foreign-ministers-meeting"] == 3
    assert rows["partnership/asean-rus-dialogue"] == 2
    assert rows["event/2025-07-17th-brics-summit"] == 2
    # one start year for the dialogue partnership, though two sources state the partnership
    starts = select(store, """
        PREFIX dip: <ontology#>
        PREFIX time: <http://www.w3.org/2006/time#>
        SELECT DISTINCT ?start ?year WHERE {
          <id/partnership/asean-rus-dialogue> dip:during/time:hasBeginning ?start .
          ?start time:inXSDgYear ?year }""")
    assert starts == [(ID + "partnership/asean-rus-dialogue#period-start", "1996")]


def test_evidence_of_the_lavrov_rubio_meeting(store) -> None:
    rows = select(store, read_query("cq19-evidence-lavrov-rubio.rq"))
    passages = {exact for exact, _headline in rows}
    assert "A meeting between Lavrov and Rubio is scheduled for 6pm on Thursday, according to " \
           "the US State Department schedule." in passages
    assert {headline for _e, headline in rows} == {
        "Lavrov Rubio Meeting In Kl Being Finalised Says Russian Foreign Ministry"}
    assert len(passages) == 5
