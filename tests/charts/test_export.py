"""Exports: a real PNG, and CSV numbers that never run as spreadsheet formulas."""

import csv
from datetime import date
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from desktop_app.charts.export import (
    chart_rows,
    draw_chart,
    export_chart,
    write_csv,
)
from desktop_app.core.kpis import Funnel, MonthlyCost
from desktop_app.core.stats import daily_counts
from desktop_app.errors import StorageError, ValidationError
from desktop_app.spreadsheet import excel_safe


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://example.com")', '\'=HYPERLINK("http://example.com")'),
        ("+1 555 0100", "'+1 555 0100"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-3.5", "-3.5"),
        (12, "12"),
        (None, ""),
        ("Spring sale", "Spring sale"),
    ],
)
def test_chart_cells_keep_numbers_numeric(value: object, expected: str) -> None:
    assert excel_safe(value, keep_numbers=True) == expected


def test_write_csv_neutralises_cells_and_header(tmp_path: Path) -> None:
    rows = [{"campaign": "=cmd|' /C calc'!A0", "reached": 3, "delivered": None}]

    path = write_csv(rows, tmp_path / "funnel.csv")

    with open(path, encoding="utf-8-sig", newline="") as handle:
        read = list(csv.reader(handle))
    assert read == [
        ["campaign", "reached", "delivered"],
        ["'=cmd|' /C calc'!A0", "3", ""],
    ]


def test_export_chart_writes_png_and_csv(tmp_path: Path) -> None:
    data = daily_counts([("2024-05-01T12:00:00+00:00", "sms", "sent", 3)], "UTC")
    figure = Figure()
    draw_chart(figure, "daily", data)

    png, written = export_chart(
        figure, "daily", data, tmp_path / "daily.png", tmp_path / "daily.csv"
    )

    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert written is not None
    assert written.read_text(encoding="utf-8-sig").splitlines() == [
        "day,channel,state,count", "2024-05-01,sms,sent,3",
    ]  # fmt: skip


def test_chart_rows_for_each_kind() -> None:
    assert chart_rows("funnel", [Funnel("A", 3, None, 1)]) == [
        {"campaign": "A", "reached": 3, "delivered": None, "converted": 1}
    ]
    cost = MonthlyCost("UTC", [date(2024, 1, 1)], [0.5], [60])
    assert chart_rows("cost", cost) == [
        {"month": "2024-01", "cost": 0.5, "segments": 60}
    ]


def test_unknown_chart_and_unwritable_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no chart named 'pie'"):
        draw_chart(Figure(), "pie", None)
    with pytest.raises(StorageError, match="could not write"):
        write_csv([{"a": 1}], tmp_path / "missing" / "x.csv")
