"""Daily counts in the shop's time zone, DST days included."""

from datetime import date

from desktop_app.core.stats import daily_counts

NY = "America/New_York"


def test_empty() -> None:
    counts = daily_counts([], NY)
    assert counts.is_empty
    assert counts.total == 0
    assert counts.to_rows() == []


def test_dst_end_day_in_new_york() -> None:
    # 3 Nov 2024: clocks go back at 06:00 UTC; the local day is 25 hours long,
    # from 04:00 UTC on the 3rd to 05:00 UTC on the 4th.
    rows = [
        ("2024-11-03T03:59:59+00:00", "sms", "sent"),  # 2 Nov, 23:59 EDT
        ("2024-11-03T04:00:00+00:00", "sms", "sent"),  # 3 Nov, 00:00 EDT
        ("2024-11-03T05:30:00+00:00", "sms", "sent"),  # 01:30 EDT (first time)
        ("2024-11-03T06:30:00+00:00", "sms", "failed"),  # 01:30 EST (second time)
        ("2024-11-04T04:30:00+00:00", "email", "sent"),  # 3 Nov, 23:30 EST
        ("2024-11-04T05:00:00+00:00", "email", "sent"),  # 4 Nov, 00:00 EST
    ]

    counts = daily_counts(rows, NY)

    assert counts.days == [date(2024, 11, 2), date(2024, 11, 3), date(2024, 11, 4)]
    assert counts.series[("sms", "sent")] == [1, 2, 0]
    assert counts.series[("sms", "failed")] == [0, 1, 0]
    assert counts.series[("email", "sent")] == [0, 1, 1]
    assert counts.total == 6


def test_dst_start_day_in_new_york() -> None:
    # 10 Mar 2024: the local day is 23 hours, 05:00 UTC to 04:00 UTC next day.
    rows = [
        ("2024-03-10T04:59:00+00:00", "sms", "sent"),  # 9 Mar, 23:59 EST
        ("2024-03-10T05:00:00+00:00", "sms", "sent"),  # 10 Mar, 00:00 EST
        ("2024-03-11T03:59:00+00:00", "sms", "sent"),  # 10 Mar, 23:59 EDT
        ("2024-03-11T04:00:00+00:00", "sms", "sent"),  # 11 Mar, 00:00 EDT
    ]
    counts = daily_counts(rows, NY)
    assert counts.series[("sms", "sent")] == [1, 2, 1]


def test_counts_fill_gaps_and_order_series() -> None:
    rows = [
        ("2024-05-01T12:00:00+00:00", "email", "failed", 2),
        ("2024-05-04T12:00:00", "sms", "sent", 5),
        ("2024-05-01T13:00:00+00:00", "sms", "skipped"),
        ("2024-05-01T14:00:00+00:00", "sms", "sent"),
    ]

    counts = daily_counts(rows, "UTC")

    assert [d.day for d in counts.days] == [1, 2, 3, 4]
    assert list(counts.series) == [
        ("sms", "sent"), ("sms", "skipped"), ("email", "failed"),
    ]  # fmt: skip
    assert counts.series[("sms", "sent")] == [1, 0, 0, 5]
    assert counts.count(date(2024, 5, 1), "email", "failed") == 2
    assert counts.count(date(2024, 6, 1), "email", "failed") == 0
    assert {"day": "2024-05-04", "channel": "sms", "state": "sent", "count": 5} in (
        counts.to_rows()
    )
