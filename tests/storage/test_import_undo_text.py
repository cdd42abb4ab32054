"""What an undone import says, in singular and plural."""

import pytest

from desktop_app.storage.imports import ImportBatch, UndoOutcome


@pytest.mark.parametrize(
    ("undo", "text"),
    [
        (UndoOutcome(deleted=1, restored=0, kept_contacts=1, kept_opt_outs=1),
         "Undid import 3 of shop.csv: 1 contact removed, 0 restored. 1 contact it "
         "added is kept because it opted out; Duet never forgets an opt-out. "
         "1 opt-out recorded by this import stays in force."),
        (UndoOutcome(deleted=2, restored=1, kept_contacts=2, kept_opt_outs=3),
         "Undid import 3 of shop.csv: 2 contacts removed, 1 restored. 2 contacts it "
         "added are kept because they opted out; Duet never forgets an opt-out. "
         "3 opt-outs recorded by this import stay in force."),
        (UndoOutcome(deleted=0, restored=2),
         "Undid import 3 of shop.csv: 0 contacts removed, 2 restored."),
    ],
)  # fmt: skip
def test_undo_text_counts_in_plain_english(undo: UndoOutcome, text: str) -> None:
    batch = ImportBatch(3, "shop.csv", "generic", {}, {}, "2027-01-12", "x", undo)

    assert batch.undo_text() == text
