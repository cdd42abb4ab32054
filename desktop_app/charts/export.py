"""Draw any report chart by name, and export it: the picture as PNG, the numbers as CSV.

CSV cells that a spreadsheet would run as a formula (starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return) are written with a leading ``'`` so
opening the file in Excel or LibreOffice runs nothing; campaign names come from the
shop, but a customer's data can end up in them.
"""

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from desktop_app.charts.abtest import draw_abtest_chart
from desktop_app.charts.cost import draw_cost_chart
from desktop_app.charts.daily import draw_daily_chart
from desktop_app.charts.funnel import draw_funnel_chart
from desktop_app.charts.rates import draw_rates_chart
from desktop_app.errors import StorageError, ValidationError
from desktop_app.spreadsheet import write_excel_csv

logger = logging.getLogger(__name__)

DRAWERS: dict[str, Callable[[Figure, Any], None]] = {
    "daily": draw_daily_chart,
    "rates": draw_rates_chart,
    "cost": draw_cost_chart,
    "funnel": draw_funnel_chart,
    "abtest": draw_abtest_chart,
}


def draw_chart(figure: Figure, name: str, data: Any) -> None:
    """Draw the chart ``name`` onto ``figure`` (cleared and reused).

    Args:
        figure: the Figure to draw on.
        name: ``daily``, ``rates``, ``cost``, ``funnel`` or ``abtest``.
        data: what ``services.reporting.chart_data(db, name)`` returned.

    Raises:
        ValidationError: an unknown chart name.
    """
    if name not in DRAWERS:
        raise ValidationError(
            f"There is no chart named '{name}'. Charts: {', '.join(DRAWERS)}."
        )
    DRAWERS[name](figure, data)


def chart_rows(name: str, data: Any) -> list[dict[str, Any]]:
    """Return the numbers behind a chart, one dict per CSV row.

    Args:
        name: the chart's name.
        data: the chart's data.

    Returns:
        The rows (empty when the chart is empty).
    """
    if name == "funnel":
        return [funnel.to_row() for funnel in data]
    return list(data.to_rows())


def write_csv(rows: Iterable[dict[str, Any]], path: Path) -> Path:
    """Write rows as a UTF-8 CSV (with BOM, so Excel reads accents), safely.

    Args:
        rows: dicts with the same keys; the first row's keys are the header.
        path: the file to write.

    Returns:
        The path written.

    Raises:
        StorageError: the file cannot be written.
    """
    rows = list(rows)
    header = list(rows[0]) if rows else []
    write_excel_csv(
        path,
        header,
        ([row.get(name) for name in header] for row in rows),
        what="the chart's numbers",
        keep_numbers=True,
    )
    return Path(path)


def save_png(figure: Figure, path: Path, *, dpi: int = 150) -> Path:
    """Save a Figure as a PNG without pyplot or a window.

    Args:
        figure: the drawn Figure.
        path: the file to write.
        dpi: dots per inch.

    Returns:
        The path written.

    Raises:
        StorageError: the file cannot be written.
    """
    try:
        figure.savefig(path, format="png", dpi=dpi)
    except OSError as error:
        raise StorageError(
            f"Duet could not write {path}: {error.strerror or error}."
        ) from error
    return Path(path)


def export_chart(
    figure: Figure, name: str, data: Any, png_path: Path, csv_path: Path | None = None
) -> tuple[Path, Path | None]:
    """Save a drawn chart as PNG and, if asked, the numbers behind it as CSV.

    Args:
        figure: the Figure ``name`` was drawn on.
        name: the chart's name.
        data: the chart's data.
        png_path: where the picture goes.
        csv_path: where the numbers go, or None.

    Returns:
        The paths written.

    Raises:
        StorageError: a file cannot be written.
    """
    png = save_png(figure, png_path)
    written = write_csv(chart_rows(name, data), csv_path) if csv_path else None
    logger.info("chart exported: %s", name)
    return png, written
