"""Dates in words at the precision the source gives, with machine-readable values."""

from __future__ import annotations

import pytest

from publisher.pages.dates import PartialDate, format_span, time_html


@pytest.mark.parametrize(("lexical", "text", "precision"), [
    ("2024-07-25", "25 July 2024", "day"),
    ("2025-07", "July 2025", "month"),
    ("2025", "2025", "year"),
    ("2024-07-25Z", "25 July 2024", "day"),
    ("2024-07-25T10:30:00+03:00", "25 July 2024, 10:30 (UTC+03:00)", "day"),
])
def test_words_follow_the_precision(lexical: str, text: str, precision: str) -> None:
    value = PartialDate.parse(lexical)
    assert value.text == text
    assert value.precision == precision


def test_time_element_carries_the_value_machines_read() -> None:
    assert time_html("2024-07-25") == '<time datetime="2024-07-25">25 July 2024</time>'
    assert time_html("2025-07") == '<time datetime="2025-07">July 2025</time>'
    assert time_html("2025") == '<time datetime="2025">2025</time>'
    moment = "2024-07-25T10:30:00+03:00"
    assert time_html(moment) == (f'<time datetime="{moment}">'
                                 '25 July 2024, 10:30 (UTC+03:00)</time>')
    assert time_html(None) == ""


@pytest.mark.parametrize(("start", "end", "words"), [
    ("2024-07-25", "2024-07-28", "25–28 July 2024"),
    ("2024-06-30", "2024-07-02", "30 June – 2 July 2024"),
    ("2024-12-30", "2025-01-02", "30 December 2024 – 2 January 2025"),
    ("2025-06", "2025-07", "June–July 2025"),
    ("2024", "2025", "2024–2025"),
    ("2025-07", "2025-07-10", "July 2025 – 10 July 2025"),
    ("2024-07-25", "2024-07-25", "25 July 2024"),
])
def test_spans_say_shared_parts_once(start: str, end: str, words: str) -> None:
    assert format_span(start, end) == words


def test_a_span_keeps_both_machine_readable_ends() -> None:
    assert time_html("2024-07-25", "2024-07-28") == (
        '<time datetime="2024-07-25">25</time>–<time datetime="2024-07-28">28 July 2024</time>')


def test_chronological_order_puts_the_vaguer_date_first() -> None:
    values = ["2024-08", "2024-07-25", "2024", "2024-07-01", "2024-07", "2023-12-31"]
    ordered = sorted(values, key=lambda v: PartialDate.parse(v).sort_key)
    assert ordered == ["2023-12-31", "2024", "2024-07", "2024-07-01", "2024-07-25", "2024-08"]


def test_periods_cover_what_they_name() -> None:
    assert str(PartialDate.parse("2024-02").last_day) == "2024-02-29"
    assert str(PartialDate.parse("2025").last_day) == "2025-12-31"
    assert str(PartialDate.parse("2025").first_day) == "2025-01-01"


@pytest.mark.parametrize("bad", ["2024-13", "2024-02-30", "yesterday", "24-07-25", "",
                                 "2024-07-25T25:00:00"])
def test_impossible_dates_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        PartialDate.parse(bad)
