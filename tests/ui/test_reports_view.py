"""The Reports page: the chart canvas is built on first show and its Figure reused."""

from desktop_app.services import sending
from desktop_app.ui.reports.reports_view import ReportsView


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


def test_refresh_reuses_the_figure_and_draws_the_sends(qtbot, shop_db, data_dir):
    view = ReportsView(shop_db)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    figure, canvas = view.figure, view.canvas
    sending.send_campaign(
        shop_db, data_dir=data_dir, template_name="Order ready", everyone=True
    )

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
