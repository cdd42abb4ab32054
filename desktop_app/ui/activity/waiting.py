"""How many replies wait for the owner's decision (the side bar's badge).

A thin read over ``services.replies_view``; it imports no Qt so the window can call it
right after the first paint without building the Replies page.
"""

import sqlite_utils

from desktop_app.services import replies_view

# More than this many undecided replies still shows as this many; a shop never
# gets near it.
MAX_COUNTED = 10_000


def replies_waiting(db: sqlite_utils.Database) -> int:
    """Return how many replies (any channel) wait for a decision.

    A reply counts once, as the Replies page lists it, even when contacts sharing
    its number each got a ``review`` event.
    """
    return len(replies_view.list_reply_rows(db, show="decide", limit=MAX_COUNTED))
