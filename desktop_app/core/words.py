"""Counted nouns for the texts a shop owner reads: "1 email", "3 emails"."""


def counted(count: int, one: str, many: str | None = None) -> str:
    """Return ``count`` with the noun in the right number, thousands separated.

    Args:
        count: how many.
        one: the noun for one ("email", "reply").
        many: the noun for any other count; default ``one`` + "s".
    """
    noun = one if count == 1 else (many or f"{one}s")
    return f"{count:,} {noun}"
