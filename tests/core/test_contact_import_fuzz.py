"""Hypothesis-generated CSVs: never crash, account for every row, store nothing twice."""

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.core.emails import email_key
from desktop_app.services.importing import import_file
from desktop_app.storage.contacts import list_contacts
from desktop_app.storage.database import open_database

_TEXT = st.text(
    alphabet=st.sampled_from(list("abcXYZ éßü'\",;\t\n-+()@.0123456789")), max_size=12
)
_EMAIL = st.one_of(
    st.just(""),
    st.builds(lambda n: f"user{n}@example.com", st.integers(0, 6)),
    st.builds(lambda n: f" USER{n}@Example.com ", st.integers(0, 6)),
    _TEXT,
)
_PHONE = st.one_of(
    st.just(""),
    st.builds(lambda n: f"+1 555 010 01{n:02d}", st.integers(0, 9)),
    st.builds(lambda n: f"(555) 010-01{n:02d}", st.integers(0, 9)),
    st.sampled_from(["N/A", "0", "4.47E+11", "123", "555-0199"]),
    _TEXT,
)
_ROW = st.tuples(st.one_of(st.just(""), _TEXT), _EMAIL, _PHONE)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    rows=st.lists(_ROW, min_size=0, max_size=25),
    delimiter=st.sampled_from([",", ";", "\t"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
)
def test_generated_csv_rows_are_stored_or_rejected(
    rows: list[tuple[str, str, str]], delimiter: str, quoting: int, encoding: str
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=delimiter, quoting=quoting, lineterminator="\r\n"
    )
    writer.writerow(["Name", "Email", "Phone"])
    writer.writerows(rows)
    db = open_database(None)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "contacts.csv"
        path.write_bytes(buffer.getvalue().encode(encoding))

        report = import_file(db, path, region="US")

    data_rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        assert report.message == "The file has a header but no data rows."
        return
    assert report.rows == len(data_rows)
    assert report.imported + report.merged + report.rejected == report.rows
    assert all(r["reason"] for r in report.rejected_rows)
    stored = list_contacts(db)
    assert len(stored) == report.imported
    keys = [email_key(address) for contact in stored for address in contact.emails]
    assert len(keys) == len(set(keys))
    db.close()
