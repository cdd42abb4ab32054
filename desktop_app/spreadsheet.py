"""CSV files a shop owner can open in Excel safely: every export Duet writes uses this.

The file is UTF-8 with a byte-order mark (so Excel reads accents right), and a cell a
spreadsheet would run as a formula gets a leading ``'``. Stored values never change.
"""

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final

from desktop_app.errors import StorageError

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def excel_safe(value: object, *, keep_numbers: bool = False) -> str:
    """Return a CSV cell a spreadsheet shows as text, never runs as a formula.

    Args:
        value: the value (None becomes "").
        keep_numbers: leave a plain number such as ``-3.5`` as it is, so a chart's
            data stays numeric; otherwise ``-5`` is guarded like any formula start.

    Returns:
        The text, with ``'`` first when it starts with ``= + - @``, a tab or a
        carriage return.
    """
    text = "" if value is None else str(value)
    if not text.startswith(FORMULA_STARTS):
        return text
    if keep_numbers and _is_number(text):
        return text
    return "'" + text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def write_excel_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    what: str,
    keep_numbers: bool = False,
) -> int:
    """Write ``header`` and ``rows`` to ``path`` (replaced if it exists).

    Args:
        what: what the file holds, for the error message ("the consent ledger").
        keep_numbers: see :func:`excel_safe`.

    Returns:
        How many rows were written (the header not counted).

    Raises:
        StorageError: the file cannot be written.
    """
    count = 0
    try:
        with Path(path).open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                [excel_safe(name, keep_numbers=keep_numbers) for name in header]
            )
            for row in rows:
                writer.writerow([excel_safe(v, keep_numbers=keep_numbers) for v in row])
                count += 1
    except OSError as error:
        raise StorageError(
            f"Duet could not write {what} to {path}: {error.strerror or error}."
        ) from error
    return count
