"""Reading SMS replies: opt-out, opt-in, help, or a sentence the owner should look at.

How a reply is read, in order (the text is first NFKC-normalised and case-folded, so
full-width letters and any letter case count; accents are ignored):

1. **The whole reply is a keyword**, give or take punctuation, emoji, repeats and polite
   words ("STOP", "Stop.", "stop please", "ＳＴＯＰ!!", "opt-out"): STOP, STOPALL,
   UNSUBSCRIBE, END, QUIT, CANCEL, REVOKE, OPTOUT, OPT OUT (and the French ARRET) is an
   opt-out; START, UNSTOP, JOIN, SUBSCRIBE is an opt-in; HELP or INFO asks for help.
2. **One sentence of the reply is a strong keyword** ("Who is this? STOP"): an opt-out.
   END, QUIT and CANCEL count only as the whole reply, because as one sentence among
   others they usually mean something else ("Cancel. I ordered the wrong size").
3. **A plain-language request** ("please stop texting me", "unsubscribe me", "take me
   off your list", "no more texts", "remove me", "don't text me again", "how do I
   unsubscribe?"): an opt-out, unless a negation comes right before it ("please don't
   stop texting me"), which is flagged instead. "Wrong number" is an opt-out too: the
   person who has the number never agreed to the texts.
4. **A sentence that merely mentions** stop, unsubscribe, opt out, revoke or cancel
   ("don't stop the sale!", "cancel my order #1042"), asks to end "my subscription",
   says "not interested", or holds a stop-sign emoji: not an opt-out, but flagged
   MAYBE_OPT_OUT for the owner to decide. CANCEL follows the industry rule (an opt-out
   only as the whole reply); "cancel my order" is about an order, so the owner decides.
   END and QUIT inside a sentence ("when does the sale end?") are everyday words and
   are not flagged.
5. Anything else is OTHER.
"""

import enum
import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Final

logger = logging.getLogger(__name__)


class ReplyKind(enum.Enum):
    """What an inbound reply asks for."""

    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    MAYBE_OPT_OUT = "maybe_opt_out"
    OTHER = "other"


@dataclass(frozen=True)
class ReplyClassification:
    """A reply's kind with the evidence behind it.

    Attributes:
        kind: what the reply asks for.
        matched: the normalised words that decided it, or ``None``.
        explanation: one sentence for the owner (and the consent ledger's evidence).
    """

    kind: ReplyKind
    matched: str | None
    explanation: str


_APOSTROPHES: Final = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'"})
_WORD: Final = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_SENTENCE_BREAK: Final = re.compile(r"[.!?;:\n\r…]+")

_UNSUBSCRIBE: Final = r"unsubscribe|unsubscibe|unsubcribe|unsuscribe"
_STRONG_WORDS: Final = rf"stop|stopall|{_UNSUBSCRIBE}|revoke|optout|opt out|arret"
_POLITE: Final = (
    r"please|pls|plz|thanks|thank you|thankyou|thx|ty|now|ok|okay|sorry|asap"
)
_OPT_OUT_TRAILERS: Final = r"all|me|it|this|now|texts?|messages?|msgs?|sms"
_CANCEL_TRAILERS: Final = r"all|me|texts?|messages?|msgs?|sms"


def _whole(words: str, trailers: str) -> re.Pattern[str]:
    extra = f"{words}|{trailers}|{_POLITE}"
    return re.compile(rf"^(?:(?:{_POLITE}) )*(?P<kw>{words})(?: (?:{extra}))*$")


_WHOLE_OPT_OUT: Final = _whole(rf"{_STRONG_WORDS}|end|quit", _OPT_OUT_TRAILERS)
_WHOLE_CANCEL: Final = _whole("cancel", _CANCEL_TRAILERS)
_SENTENCE_OPT_OUT: Final = _whole(_STRONG_WORDS, _OPT_OUT_TRAILERS)
_WHOLE_OPT_IN: Final = _whole(
    r"start|unstop|join|subscribe|resubscribe", r"again|me|us|all|texts?|sms|list"
)
_WHOLE_HELP: Final = _whole(r"help|info", r"me|us")

_MESSAGES: Final = (
    r"(?:texts?|texting|txts?|txting|messages?|messaging|msgs?|sms|smses|spam|spamming"
    r"|emails?|emailing|promos?|promotions?|ads|adverts?|offers|notifications?|alerts?"
    r"|marketing)"
)
_DETERMINERS: Final = r"(?:(?:all|these|those|the|this|your|ur|any|such|of|more) )*"

# Requests that a negation right before them turns into a flag for the owner.
_REQUESTS: Final = tuple(
    re.compile(pattern)
    for pattern in (
        rf"\bstop (?:(?:sending|send|giving)(?: me| us)? )?{_DETERMINERS}{_MESSAGES}\b",
        r"\bstop (?:contacting|calling|bothering|harassing|pestering|emailing) (?:me|us)\b",
        r"\bstop (?:getting|receiving)\b",
        r"\b(?:unsubscribe|opt) (?:me|us)\b(?: out)?",
        r"\b(?:unsubscribe|opt out|optout) (?:from|of)\b",
        r"\btake (?:me|us|my (?:number|name|info|details)) (?:off|out)\b",
        r"\b(?:remove|delete|erase) (?:me|us|my (?:phone number|number|phone|cell|name"
        r"|contact|info|details|data))\b",
        rf"\bno more {_MESSAGES}\b",
        r"\b(?:i|we|i'd|we'd) (?:really )?(?:want|would like|like|wanna|need|wish)"
        r" (?:to )?(?:unsubscribe|opt out|optout|be removed|be taken off"
        r"|stop (?:getting|receiving|these|those|your|the|all))\b",
        r"\bhow (?:do|can|to) (?:i |we )?(?:unsubscribe|opt out|optout"
        r"|stop (?:these|those|this|the|your|all|getting|receiving))\b",
    )
)
# Requests that carry their own negation, so no negation check applies.
_NEGATIVE_REQUESTS: Final = tuple(
    re.compile(pattern)
    for pattern in (
        r"\b(?:don't|dont|do not|never|pls don't|please don't) (?:ever )?(?:text|txt"
        r"|message|msg|sms|contact|email|spam|send|bother)(?: me| us| this number)\b",
        rf"\b(?:i|we) (?:don't|dont|do not) want {_DETERMINERS}(?:any more |anymore )?"
        rf"{_MESSAGES}\b",
        r"\bleave me alone\b",
    )
)
_WRONG_NUMBER: Final = re.compile(
    r"\bwrong (?:number|person|phone)\b|\bnot my number\b"
)
_NEGATIONS: Final = frozenset(
    {
        "don't",
        "dont",
        "do not",
        "never",
        "can't",
        "cant",
        "cannot",
        "won't",
        "wont",
        "not",
        "wouldn't",
        "shouldn't",
        "didn't",
        "doesn't",
        "no",
    }
)
_NEGATION_FILLERS: Final = frozenset({"ever", "please", "pls", "just"})
_MENTION: Final = re.compile(rf"\b(?P<kw>{_STRONG_WORDS}|cancel)\b")
_NOT_INTERESTED: Final = re.compile(r"\bnot interested\b")
_SUBSCRIPTION: Final = re.compile(
    r"\b(?:end|cancel|stop|quit) (?:my |the |this |your |our )?(?:subscription|membership)\b"
)
_STOP_SIGNS: Final = ("🛑", "⛔", "✋")


def normalise_reply(text: str) -> str:
    """Return the reply as Duet compares it: NFKC, case-folded, accents removed.

    Args:
        text: the reply as received.

    Returns:
        The normalised text (punctuation and emoji kept, apostrophes made straight).
    """
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    decomposed = unicodedata.normalize("NFD", folded)
    without_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", without_marks)


def _words(text: str) -> str:
    """Return the words of ``text`` joined by single spaces."""
    return " ".join(_WORD.findall(text))


def _is_negated(words: str, start: int) -> bool:
    """Tell whether the words just before ``start`` negate what follows."""
    before = words[:start].split()
    while before and before[-1] in _NEGATION_FILLERS:
        before.pop()
    if not before:
        return False
    last_two = " ".join(before[-2:])
    return before[-1] in _NEGATIONS or last_two in _NEGATIONS


def _keyword_label(keyword: str) -> str:
    return keyword.upper()


def _whole_reply(words: str) -> ReplyClassification | None:
    """Classify a reply that is nothing but a keyword (rule 1)."""
    for pattern, kind, what in (
        (_WHOLE_OPT_OUT, ReplyKind.OPT_OUT, "opt-out keyword"),
        (_WHOLE_CANCEL, ReplyKind.OPT_OUT, "opt-out keyword"),
        (_WHOLE_OPT_IN, ReplyKind.OPT_IN, "opt-in keyword"),
        (_WHOLE_HELP, ReplyKind.HELP, "help keyword"),
    ):
        found = pattern.match(words)
        if found is not None:
            keyword = found.group("kw")
            return ReplyClassification(
                kind,
                keyword,
                f"The whole reply is the {what} {_keyword_label(keyword)}.",
            )
    return None


def _sentence_keyword(normalised: str) -> ReplyClassification | None:
    """Find a sentence that is a strong opt-out keyword by itself (rule 2)."""
    for sentence in _SENTENCE_BREAK.split(normalised):
        found = _SENTENCE_OPT_OUT.match(_words(sentence))
        if found is not None:
            keyword = found.group("kw")
            return ReplyClassification(
                ReplyKind.OPT_OUT,
                keyword,
                f"One sentence of the reply is the opt-out keyword "
                f"{_keyword_label(keyword)}.",
            )
    return None


def _plain_request(words: str) -> ReplyClassification | None:
    """Find a plain-language opt-out request, or a negated one to flag (rule 3)."""
    if (found := _WRONG_NUMBER.search(words)) is not None:
        return ReplyClassification(
            ReplyKind.OPT_OUT,
            found.group(0),
            "The reply says this is the wrong number, so this person never agreed "
            "to these texts.",
        )
    for pattern in _NEGATIVE_REQUESTS:
        if (found := pattern.search(words)) is not None:
            return ReplyClassification(
                ReplyKind.OPT_OUT,
                found.group(0),
                f"The reply asks not to be sent messages: '{found.group(0)}'.",
            )

    negated: ReplyClassification | None = None
    for pattern in _REQUESTS:
        for found in pattern.finditer(words):
            if not _is_negated(words, found.start()):
                return ReplyClassification(
                    ReplyKind.OPT_OUT,
                    found.group(0),
                    f"The reply asks to stop messages: '{found.group(0)}'.",
                )
            negated = negated or ReplyClassification(
                ReplyKind.MAYBE_OPT_OUT,
                found.group(0),
                f"The reply mentions '{found.group(0)}' with a negation such as "
                "'don't' before it; no opt-out was recorded. Read it and decide.",
            )
    return negated


def _mention(words: str, raw: str) -> ReplyClassification | None:
    """Flag a reply that only mentions an opt-out word (rule 4)."""
    if (found := _SUBSCRIPTION.search(words)) is not None:
        return ReplyClassification(
            ReplyKind.MAYBE_OPT_OUT,
            found.group(0),
            f"The reply asks to '{found.group(0)}', which may mean these texts or a "
            "paid subscription; no opt-out was recorded. Read it and decide.",
        )

    found = _MENTION.search(words)
    if found is not None:
        keyword = found.group("kw")
        if keyword == "cancel":
            explanation = (
                "The reply uses 'cancel' with other words (for example about an "
                "order); CANCEL is an opt-out only as the whole reply. Read it and "
                "decide."
            )
        else:
            explanation = (
                f"The reply mentions '{keyword}' inside a longer message; no opt-out "
                "was recorded. Read it and decide."
            )
        return ReplyClassification(ReplyKind.MAYBE_OPT_OUT, keyword, explanation)

    if (found := _NOT_INTERESTED.search(words)) is not None:
        return ReplyClassification(
            ReplyKind.MAYBE_OPT_OUT,
            found.group(0),
            "The reply says 'not interested'; no opt-out was recorded. Read it and "
            "decide.",
        )
    signs = [sign for sign in _STOP_SIGNS if sign in raw]
    if signs:
        return ReplyClassification(
            ReplyKind.MAYBE_OPT_OUT,
            signs[0],
            "The reply holds a stop sign emoji; no opt-out was recorded. Read it and "
            "decide.",
        )
    return None


def classify_reply_detailed(text: str) -> ReplyClassification:
    """Classify an inbound SMS reply and say which words decided it.

    Args:
        text: the reply as received.

    Returns:
        The kind, the matched words (normalised) and a sentence for the owner.
    """
    normalised = normalise_reply(text)
    words = _words(normalised)
    if not words and not any(sign in normalised for sign in _STOP_SIGNS):
        return ReplyClassification(ReplyKind.OTHER, None, "The reply holds no words.")

    result = (
        _whole_reply(words)
        or _sentence_keyword(normalised)
        or _plain_request(words)
        or _mention(words, normalised)
    )
    if result is not None:
        return result
    return ReplyClassification(
        ReplyKind.OTHER, None, "No opt-out, opt-in or help words were found."
    )


def classify_reply(text: str) -> ReplyKind:
    """Classify an inbound SMS reply.

    Args:
        text: the reply as received.

    Returns:
        OPT_OUT, OPT_IN, HELP, MAYBE_OPT_OUT (flag for the owner) or OTHER.
    """
    return classify_reply_detailed(text).kind
