"""How many replies wait for the owner's decision (the side bar's badge).

A thin read over ``services.history``; it imports no Qt so the window can call it
right after the first paint without building the Replies page.
"""

import sqlite_utils

from desktop_app.services import history

# More than this many undecided replies still shows as this many; a shop never
# gets near it, and the count stays one quick query.
MAX_COUNTED = 10_000


def replies_waiting(db: sqlite_utils.Database) -> int:
    """Return how many flagged replies (any channel) wait for a decision."""
    undecided = history.list_activity(
        db, kinds=("review",), undecided_only=True, limit=MAX_COUNTED
    )
    return len(undecided)
