"""Split CSV text into a header and numbered records.

Handles the ``sep=`` line Excel writes, sniffs the delimiter (``,`` ``;`` tab ``|``),
quoted newlines, ragged rows (short rows read the missing cells as empty) and a file
cut off inside a quoted field (the broken last record is reported as truncated).
"""

import csv
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

logger = logging.getLogger(__name__)

csv.field_size_limit(1 << 30)

CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
_SEP_LINE = re.compile(r"^\s*\"?sep=(.)\"?\s*$", re.IGNORECASE)


@dataclass
class CsvTable:
    """A CSV file split into parts.

    Attributes:
        header: the column names, stripped.
        delimiter: the delimiter used.
        truncated: True when the file ends inside a quoted field; the last record
            is then the broken one.
        header_line: the physical line the header is on (1-based).
    """

    header: list[str]
    delimiter: str
    truncated: bool
    text: str
    header_line: int = 1

    def records(self) -> Iterator[list[str]]:
        """Yield every record after the header, skipping empty physical lines."""
        reader = csv.reader(_lines(self.text), delimiter=self.delimiter)
        header_seen = False
        for record in reader:
            if not header_seen:
                header_seen = any(cell.strip() for cell in record)
                continue
            if record:
                yield record


def _lines(text: str) -> Iterator[str]:
    """Yield the text's lines with their endings, one at a time (no big copy)."""
    start = 0
    find = text.find
    while True:
        end = find("\n", start)
        if end < 0:
            if start < len(text):
                yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


def _count_outside_quotes(line: str, char: str) -> int:
    count = 0
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == char and not quoted:
            count += 1
    return count


def sniff_delimiter(header_line: str) -> str:
    """Pick the delimiter that splits the header line into the most columns.

    Args:
        header_line: the first line of the file (the header).

    Returns:
        One of ``, ; TAB |``; a comma when none occurs.
    """
    counts = {d: _count_outside_quotes(header_line, d) for d in CANDIDATE_DELIMITERS}
    best = max(CANDIDATE_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _ends_inside_quotes(text: str, delimiter: str) -> bool:
    if text.count('"') % 2 == 0:
        return False
    reader = csv.reader(_lines(text), delimiter=delimiter, strict=True)
    try:
        for _ in reader:
            pass
    except csv.Error as error:
        return "unexpected end of data" in str(error)
    return False


def split_csv(text: str) -> CsvTable | None:
    """Find the header, delimiter and truncation of CSV text.

    Args:
        text: the decoded file.

    Returns:
        The table, or None when the text holds no header at all (empty file).
    """
    header_line = 1
    first_end = text.find("\n")
    first = text if first_end < 0 else text[:first_end]
    sep = _SEP_LINE.match(first.rstrip("\r"))
    delimiter: str | None = None
    if sep:
        delimiter = sep.group(1)
        text = "" if first_end < 0 else text[first_end + 1 :]
        header_line = 2
        first_end = text.find("\n")
        first = text if first_end < 0 else text[:first_end]
    if not text.strip():
        return None
    if delimiter is None:
        delimiter = sniff_delimiter(first)

    reader = csv.reader(_lines(text), delimiter=delimiter)
    header: list[str] = []
    for record in reader:
        if any(cell.strip() for cell in record):
            header = [cell.strip().lstrip("\ufeff").strip() for cell in record]
            break
        header_line += 1
    if not header:
        return None
    return CsvTable(
        header=header,
        delimiter=delimiter,
        truncated=_ends_inside_quotes(text, delimiter),
        text=text,
        header_line=header_line,
    )
