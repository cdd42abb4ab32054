"""The Reports page: KPI table, one reused chart canvas, exports, sales import."""

import csv
from datetime import UTC, datetime, timedelta

import pytest

from desktop_app.core.kpis import OUTBOX_NOTE
from desktop_app.services import reporting, sending
from desktop_app.ui.reports import texts
from desktop_app.ui.reports.reports_view import ReportsView


def _send(db, data_dir, **audience):
    return sending.send_campaign(
        db,
        data_dir=data_dir,
        template_name="Order ready",
        **(audience or {"everyone": True}),
    )


def _view(qtbot, db):
    view = ReportsView(db)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    qtbot.waitExposed(view)
    return view


def _write_sales(path, rows):
    """A generic sales CSV: order id, email, phone, time, total."""
    lines = ["Order ID,Email,Phone,Created at,Total"]
    lines += [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _soon(hours):
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat(timespec="seconds")


def _artists(figure):
    return sum(len(axes.get_children()) for axes in figure.axes) + len(figure.texts)


def test_canvas_is_created_only_when_first_shown(qtbot, shop_db):
    view = ReportsView(shop_db)
    qtbot.addWidget(view)
    assert view.canvas is None
    assert view.figure is None

    view.show()
    qtbot.waitExposed(view)

    assert view.canvas is not None
    assert view.canvas.figure is view.figure
    assert (
        view.total_label.text()
        == "Nothing sent yet: the chart fills in after your first send."
    )
    assert view.kpi_table.item(0, 0).text() == "No campaigns yet."


def test_refresh_reuses_the_figure_and_draws_the_sends(qtbot, shop_db, data_dir):
    view = _view(qtbot, shop_db)
    figure, canvas = view.figure, view.canvas
    _send(shop_db, data_dir)

    view.refresh()

    assert view.figure is figure and view.canvas is canvas
    axes = figure.axes[0]
    heights = sorted(patch.get_height() for patch in axes.patches)
    assert sum(heights) == 10
    assert view.total_label.text() == "10 messages on 1 day"


def test_refresh_before_first_show_builds_nothing(qtbot, shop_db):
    view = ReportsView(shop_db)
    qtbot.addWidget(view)

    view.refresh()

    assert view.canvas is None
    assert view.kpi_table.rowCount() == 0


def test_kpi_table_shows_the_report_numbers(qtbot, shop_db, data_dir):
    _send(shop_db, data_dir)
    report = reporting.build_report(shop_db)
    campaign = report.campaigns[0]
    view = _view(qtbot, shop_db)

    row = campaign.campaign
    assert view.kpi_text(row, "sent") == str(campaign.kpis.sent) == "8"
    assert view.kpi_text(row, "failed") == "0"
    assert campaign.kpis.opted_out == 0 and campaign.kpis.reached == 5
    assert view.kpi_text(row, "opted_out") == "0 (0.0 %)"
    assert view.kpi_text("All campaigns", "sent") == str(report.overall.sent)
    assert view.kpi_text(row, "replied") == "0 (0.0 %)"
    assert view.kpi_text(row, "cost") == f"${campaign.kpis.cost:,.2f}"
    # The test outbox reports no delivery: a dash that says why.
    assert view.kpi_text(row, "delivered") == "—"
    column = [key for key, _l, _t in texts.KPI_COLUMNS].index("delivered")
    assert view.kpi_table.item(0, column).toolTip() == OUTBOX_NOTE
    # No sales imported yet: conversions are unknown, not zero.
    assert view.kpi_text(row, "conversions") == "—"
    conversions = [key for key, _l, _t in texts.KPI_COLUMNS].index("conversions")
    assert "Import sales" in view.kpi_table.item(0, conversions).toolTip()
    assert "within 7 days" in view.attribution_label.text()
    assert "change the window in Settings" in view.attribution_label.text()
    assert "UTM" in view.attribution_label.text()


def test_switching_charts_reuses_the_canvas(qtbot, shop_db, data_dir):
    _send(shop_db, data_dir)
    view = _view(qtbot, shop_db)
    figure, canvas = view.figure, view.canvas
    titles = {}

    for name, _label in texts.CHARTS:
        with qtbot.waitSignal(view.chart_drawn, timeout=3000) as blocker:
            view.show_chart(name)
        assert blocker.args == [name]
        assert view.canvas is canvas and view.figure is figure
        titles[name] = figure.axes[0].get_title()

    assert titles["daily"].startswith("Messages per day")
    assert titles["rates"].startswith("Delivery and opt-out rates")
    assert titles["cost"].startswith("SMS cost per month")
    assert titles["funnel"].startswith("Campaign funnel")
    assert titles["abtest"].startswith("A/B test")
    view.show_chart("funnel")
    assert view.campaign_combo.isEnabled()
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == [
        reporting.build_report(shop_db).campaigns[0].campaign
    ]
    view.show_chart("cost")
    assert not view.campaign_combo.isEnabled()


@pytest.mark.parametrize("name", ["daily", "rates"])
def test_memory_is_flat_over_100_refreshes(qtbot, shop_db, data_dir, name):
    _send(shop_db, data_dir)
    view = _view(qtbot, shop_db)
    view.show_chart(name)
    view.refresh()
    figure, canvas = view.figure, view.canvas
    axes, artists = len(figure.axes), _artists(figure)

    for _ in range(100):
        view.refresh()

    assert view.figure is figure and view.canvas is canvas
    assert len(figure.axes) == axes
    assert _artists(figure) == artists
    assert len(figure.get_children()) == len(figure.axes) + 1 + len(figure.texts)


def test_export_writes_a_png_and_a_csv(qtbot, shop_db, data_dir, tmp_path):
    _send(shop_db, data_dir)
    view = _view(qtbot, shop_db)

    png = view.export_png(tmp_path / "daily.png")
    data = view.export_data(tmp_path / "daily.csv")

    assert png is not None and png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert data is not None
    with open(data, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and sum(int(row["count"]) for row in rows) == 10
    view.show_chart("funnel")
    funnel = view.export_data(tmp_path / "funnel.csv")
    with open(funnel, encoding="utf-8-sig", newline="") as handle:
        funnel_rows = list(csv.DictReader(handle))
    assert [row["campaign"] for row in funnel_rows] == [
        reporting.build_report(shop_db).campaigns[0].campaign
    ]


def test_export_to_a_missing_folder_says_so(qtbot, shop_db, tmp_path, boxes):
    view = _view(qtbot, shop_db)

    assert view.export_png(tmp_path / "missing" / "x.png") is None

    assert boxes.kinds() == ["warn"]
    assert "could not write" in boxes.calls[0][1][2]


def test_sales_import_from_the_window_refreshes_conversions(
    qtbot, shop_db, data_dir, tmp_path
):
    _send(shop_db, data_dir)
    view = _view(qtbot, shop_db)
    campaign = reporting.build_report(shop_db).campaigns[0].campaign
    assert view.kpi_text(campaign, "conversions") == "—"
    sales = _write_sales(
        tmp_path / "orders.csv",
        [
            ["1001", "ann@example.com", "", _soon(1), "25.00"],
            ["1002", "", "(212) 555-0103", _soon(2), "10.50"],
            ["1003", "nobody@example.com", "", _soon(1), "99.00"],
            ["1004", "bob@example.com", "", "not a date", "5.00"],
        ],
    )

    with qtbot.waitSignal(view.sales_imported, timeout=10000) as blocker:
        assert view.import_sales_file(sales) is not None  # in the background

    report = blocker.args[0]
    assert (report.imported, report.rejected) == (3, 1)
    assert view.kpi_text(campaign, "conversions") == "2 (40.0 %)"
    assert view.kpi_text(campaign, "revenue") == "$35.50"
    assert view.kpi_text("All campaigns", "conversions") == "2 (40.0 %)"
    assert "3 sales, 2 credited" in view.attribution_label.text()
    dialog = view.sales_report_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.rejected.rowCount() == 1
    assert dialog.rejected.item(0, 0).text() == "5"


def test_a_file_that_is_not_sales_is_reported(qtbot, shop_db, tmp_path, boxes):
    view = _view(qtbot, shop_db)
    path = tmp_path / "notes.csv"
    path.write_text("Colour,Size\nred,L\n", encoding="utf-8")

    assert view.import_sales_file(path) is not None
    qtbot.waitUntil(lambda: len(boxes.calls) == 1, timeout=10000)

    assert boxes.kinds() == ["warn"]
    assert boxes.calls[0][1][1] == texts.IMPORT_FAILED_TITLE
