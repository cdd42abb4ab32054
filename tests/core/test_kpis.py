"""KPI arithmetic: honest rates, unknown delivery, merged counts, notes."""

from datetime import date

from desktop_app.core.kpis import (
    EMAIL_NOTE,
    NO_STATUS_NOTE,
    OUTBOX_NOTE,
    Kpis,
    MonthlyCost,
    RateSeries,
    rate,
)


def test_rate_is_none_on_a_zero_denominator() -> None:
    assert rate(0, 0) is None
    assert rate(1, 3) == 0.3333
    assert rate(0, 5) == 0.0


def test_delivery_is_unknown_without_a_reporting_provider() -> None:
    kpis = Kpis(sms_sent=10, outbox_sent=10)

    result = kpis.to_json()

    assert result["delivered"] is None
    assert result["delivery_rate"] is None
    assert result["notes"] == [OUTBOX_NOTE]


def test_rates_use_their_own_denominators() -> None:
    kpis = Kpis(
        sms_sent=8, sms_status_known=5, sms_delivered=4, email_sent=6, reached=8,
        sms_reached=8, opted_out=2, replied=1, converted=3, conversions=4,
    )  # fmt: skip

    assert kpis.sent == 14
    assert kpis.delivered == 4
    assert kpis.delivery_rate == 0.8
    assert kpis.opt_out_rate == 0.25
    assert kpis.reply_rate == 0.125
    assert kpis.conversion_rate == 0.375
    assert kpis.notes() == [EMAIL_NOTE]


def test_no_delivery_reports_yet_is_said() -> None:
    assert Kpis(sms_sent=3).notes() == [NO_STATUS_NOTE]


def test_add_merges_counts_revenue_and_reasons() -> None:
    total = Kpis(sms_sent=1, cost=0.5)
    total.add_revenue("USD", 10.0)
    total.failed_by_reason["sms: unreachable"] += 1
    other = Kpis(sms_sent=2, cost=0.25, sms_failed=1)
    other.add_revenue("USD", 5.5)
    other.add_revenue("EUR", 100.0)
    other.failed_by_reason["sms: unreachable"] += 2

    total.add(other)

    assert (total.sms_sent, total.cost, total.failed) == (3, 0.75, 1)
    assert total.revenue_by_currency == {"USD": 15.5, "EUR": 100.0}
    assert total.currency == "EUR"
    assert total.revenue == 100.0
    assert any("more than one currency" in note for note in total.notes())
    assert total.to_json()["failed_by_reason"] == [
        {"reason": "sms: unreachable", "count": 3}
    ]


def test_rate_series_rows() -> None:
    series = RateSeries(
        "UTC", [date(2024, 1, 1), date(2024, 1, 2)], sent=[4, 0],
        delivery_known=[4, 0], delivered=[3, 0], reached=[4, 0], opted_out=[1, 0],
    )  # fmt: skip

    rows = series.to_rows()

    assert rows[0]["delivery_rate"] == 0.75
    assert rows[0]["opt_out_rate"] == 0.25
    assert rows[1]["delivery_rate"] is None
    assert rows[1]["opt_out_rate"] is None


def test_monthly_cost_rows() -> None:
    data = MonthlyCost("UTC", [date(2024, 2, 1)], [1.23456], [150])

    assert data.to_rows() == [{"month": "2024-02", "cost": 1.2346, "segments": 150}]
    assert MonthlyCost("UTC").is_empty
