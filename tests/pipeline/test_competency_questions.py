"""The competency questions of the pipeline issue, answered by SPARQL over the built store.

The queries are the files in queries/, the same ones the README shows.
"""

from __future__ import annotations

from .conftest import BASE, read_query, select

ID = BASE + "id/"


def test_whom_lavrov_met_in_vientiane_in_july_2024(store) -> None:
    rows = {(person, date) for person, _name, date, _m in
            select(store, read_query("cq1-lavrov-vientiane-july-2024.rq"))}
    assert rows == {
        (ID + "person/wang-yi", "2024-07-25"),
        (ID + "person/saleumxay-kommasith", "2024-07-25"),
        (ID + "person/hakan-fidan", "2024-07-26"),
        (ID + "person/subrahmanyam-jaishankar", "2024-07-26"),
    }


def test_where_and_when_lavrov_met_rubio_and_who_says_so(store) -> None:
    rows = select(store, read_query("cq2-lavrov-rubio.rq"))
    assert len(rows) == 1
    meeting, place, date, time, article, headline, publisher = rows[0]
    assert meeting == ID + "event/2025-07-10-lavrov-rubio-kuala-lumpur"
    assert (place, date, time) == ("Kuala Lumpur", "2025-07-10", "2025-07-10T18:00:00+08:00")
    assert article == ID + "article/bernama-lavrov-rubio-meeting-being-finalised"
    assert "Lavrov-Rubio meeting in KL" in headline


def test_which_country_chaired_asean_in_2024_and_2025(store) -> None:
    rows = {(year, country) for year, country, _ in
            select(store, read_query("cq3-asean-chairs.rq"))}
    assert rows == {("2024", ID + "country/LAO"), ("2025", ID + "country/MYS")}


def test_russia_asean_dialogue_and_strategic_partnership(store) -> None:
    rows = select(store, read_query("cq4-russia-asean-partnership.rq"))
    assert rows == [(BASE + "ontology#DialoguePartner", "1996"),
                    (BASE + "ontology#StrategicPartner", "2018")]


def test_organisations_mentioned_in_the_baku_talks(store) -> None:
    rows = {org for org, _ in select(store, read_query("cq5-baku-talks-organizations.rq"))}
    assert rows == {ID + f"organization/{slug}" for slug in ("un", "oic", "nam", "asean", "d-8")}
