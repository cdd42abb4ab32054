"""Reading SMS replies: opt-out, opt-in, help, or a sentence the owner should look at.

Before any rule, the text is NFKC-normalised and case-folded (full-width letters and
any letter case count; accents are ignored) and each keyword is brought to its plain
spelling:

* **Spaced or dotted letters** that spell a keyword become the keyword ("S T O P",
  "S.T.O.P.", "s-t-o-p" read as STOP).
* **Repeated letters and common short forms** of a keyword read as the keyword
  ("STOPP", "stooop", "Stp", "unsub", "unsubcribe").

How a reply is then read, in order:

1. **The whole reply is a keyword**, give or take punctuation, emoji, repeats and polite
   words ("STOP", "Stop.", "stop please", "ＳＴＯＰ!!", "opt-out"): STOP, STOPALL,
   UNSUBSCRIBE, END, QUIT, CANCEL, REVOKE, OPTOUT, OPT OUT (and the French ARRET) is an
   opt-out; START, UNSTOP, JOIN, SUBSCRIBE (and any keyword a printed JOIN sign used,
   passed as ``join_keywords``) is an opt-in; HELP or INFO asks for help. "No more"
   as the whole reply answers the message itself: an opt-out.
2. **One sentence of the reply is a strong keyword** ("Who is this? STOP"): an opt-out.
   END, QUIT and CANCEL count only as the whole reply, because as one sentence among
   others they usually mean something else ("Cancel. I ordered the wrong size").
3. **A request about the texts, the messages or being contacted** is an opt-out:
   a clause that is a stop word and the sending itself ("quit texting me", "stop
   sending me these", "do not text", "no more texts"), a request to be taken off
   the list or to forget the number ("take me off your list", "remove me", "lose my
   number"), withdrawing consent ("revoke consent", "I revoke my consent"), asking
   how to unsubscribe, "don't text me again", and "wrong number" (the person who has
   the number never agreed to the texts). A negation right before such a request
   ("please don't stop texting me") turns it into a flag instead.
4. **A sentence that merely mentions** stop, unsubscribe, opt out, revoke or cancel
   ("don't stop the sale!", "cancel my order #1042", "I never unsubscribed"), asks
   to end "my subscription", says "not interested", brushes the shop off without
   naming the texts ("i want out", "go away"), asks not to be texted only under a
   condition ("don't text after 9pm"), or holds a stop-sign emoji: not an opt-out,
   but flagged MAYBE_OPT_OUT for the owner to decide. CANCEL follows the industry
   rule (an opt-out only as the whole reply); "cancel my order" is about an order,
   so the owner decides. END and QUIT inside a sentence ("when does the sale end?")
   are everyday words and are not flagged.
5. Anything else is OTHER.
"""

import enum
import logging
import re
import unicodedata
from collections.abc import Iterable
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
_CLAUSE_BREAK: Final = re.compile(r"[.!?;:,\n\r…]+")
# Three or more single letters joined by spaces, dots, dashes or stars ("s t o p").
_SPACED_LETTERS: Final = re.compile(
    r"(?<![^\W_])(?:[^\W\d_][ .\-_*·]+){2,}[^\W\d_](?![^\W_])"
)
_REPEATS: Final = re.compile(r"(.)\1+")
# Every keyword in its plain spelling (rule 1), and short forms people type for it.
_KEYWORDS: Final = (
    "stop", "stopall", "unsubscribe", "end", "quit", "cancel", "revoke", "optout",
    "arret", "start", "unstop", "join", "subscribe", "help", "info",
)  # fmt: skip
_SHORT_FORMS: Final = {
    "stp": "stop",
    "unsub": "unsubscribe",
    "unsubs": "unsubscribe",
    "unsubcribe": "unsubscribe",
    "unsubscibe": "unsubscribe",
    "unsuscribe": "unsubscribe",
    "unsubscrib": "unsubscribe",
}

_UNSUBSCRIBE: Final = r"unsubscribe|unsubscibe|unsubcribe|unsuscribe"
_STRONG_WORDS: Final = rf"stop|stopall|{_UNSUBSCRIBE}|revoke|optout|opt out|arret"
_POLITE: Final = (
    r"please|pls|plz|thanks|thank you|thankyou|thx|ty|now|ok|okay|sorry|asap"
)
_OPT_OUT_TRAILERS: Final = (
    r"all|me|it|this|these|them|now|already|texts?|messages?|msgs?|sms"
)
# Words a customer puts before a keyword without changing it ("Yes stop", "I said
# STOP").
_KEYWORD_LEAD: Final = rf"{_POLITE}|yes|yeah|yep|just|i said|i say|i mean"
_CANCEL_TRAILERS: Final = r"all|me|texts?|messages?|msgs?|sms"


def _whole(words: str, trailers: str) -> re.Pattern[str]:
    extra = f"{words}|{trailers}|{_POLITE}"
    return re.compile(rf"^(?:(?:{_KEYWORD_LEAD}) )*(?P<kw>{words})(?: (?:{extra}))*$")


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
_STOP_VERBS: Final = r"(?:stop|quit|cease|halt)"
_CONTACT_VERBS: Final = (
    r"(?:text|txt|message|msg|sms|contact|email|spam|call|send)(?:ing)?"
)
_SENDING: Final = (
    r"(?:sending|send|texting|txting|messaging|msging|contacting|emailing|spamming"
    r"|bothering|calling)"
)
_CLAUSE_OBJECTS: Final = (
    rf"(?:me|us|it|them|this|that|these|those|all|any|more|stuff|things|crap|junk"
    rf"|to me|to us|this number|my number|my phone|{_MESSAGES}|{_POLITE}|again"
    rf"|anymore|any more|ever|already|just|right away)"
)
_LEAD: Final = rf"^(?:(?:{_POLITE}|just|so|ok|hey|hi) )*"

# A clause that is nothing but a stop word and the sending itself, or "don't text".
_CLAUSE_REQUESTS: Final = (
    re.compile(
        rf"{_LEAD}(?P<kw>{_STOP_VERBS}(?: (?:{_SENDING}|{_DETERMINERS}{_MESSAGES})))"
        rf"(?: {_CLAUSE_OBJECTS})*$"
    ),
    re.compile(
        rf"{_LEAD}(?P<kw>(?:don't|dont|do not|never|no) (?:ever )?{_CONTACT_VERBS})"
        rf"(?: {_CLAUSE_OBJECTS})*$"
    ),
)
# "No more" as the whole reply answers the message it replies to.
_WHOLE_NO_MORE: Final = re.compile(
    rf"^(?:(?:{_POLITE}) )*(?P<kw>no more)(?: (?:{_POLITE}|of (?:this|these|them"
    rf"|that)|again))*$"
)
# "Don't text ..." with a condition after it ("don't text after 9pm"): flagged.
_CONDITIONAL_DONT: Final = re.compile(
    rf"{_LEAD}(?P<kw>(?:don't|dont|do not|never) (?:ever )?{_CONTACT_VERBS})\b"
)
# Brush-offs that do not name the texts: flagged for the owner.
_VAGUE: Final = tuple(
    re.compile(pattern)
    for pattern in (
        r"\b(?:i|we|i'd|we'd) (?:really |just )?(?:want|wanna|would like|need)"
        r" (?:to get |to be )?out\b",
        r"\bgo away\b",
        r"\bget lost\b",
        r"\bleave (?:me|us) be\b",
        rf"\btoo many {_MESSAGES}\b",
        r"^enough(?: already)?$",
        rf"^enough (?:with |of )?(?:the |your |these |all )?{_MESSAGES}\b",
        r"^remove$",
    )
)

# Requests that a negation right before them turns into a flag for the owner.
_REQUESTS: Final = tuple(
    re.compile(pattern)
    for pattern in (
        rf"\b{_STOP_VERBS} (?:(?:sending|send|giving)(?: me| us)? )?{_DETERMINERS}"
        rf"{_MESSAGES}\b",
        rf"\b{_STOP_VERBS} (?:contacting|calling|bothering|harassing|pestering"
        r"|emailing) (?:me|us)\b",
        r"\bstop (?:getting|receiving)\b",
        r"\b(?:unsubscribe|opt) (?:me|us)\b(?: out)?",
        r"\b(?:unsubscribe|opt out|optout) (?:from|of)\b",
        r"\btake (?:me|us|my (?:number|name|info|details)) (?:off|out)\b",
        r"\b(?:remove|delete|erase) (?:me|us|my (?:phone number|number|phone|cell|name"
        r"|contact|info|details|data))\b",
        r"\b(?:lose|forget|drop|trash|scrap) (?:my|this) (?:phone number|number|phone"
        r"|cell|contact|info|details)\b",
        r"\b(?:revoke|revoking|withdraw|withdrawing|rescind|rescinding) (?:my |our |all"
        r" |any |the )?(?:consent|permission|authorization|authorisation|opt in)\b",
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
_MENTION: Final = re.compile(
    rf"\b(?P<kw>{_STRONG_WORDS}|cancel|unsubscribed|unsubscribing|opted out|revoked)\b"
)
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


def _squeezed(word: str) -> str:
    return _REPEATS.sub(r"\1", word)


_BY_SQUEEZED: Final = {_squeezed(keyword): keyword for keyword in _KEYWORDS}


def _keyword_spelling(word: str) -> str:
    """Return a keyword's plain spelling for a short form or repeated letters."""
    if word in _SHORT_FORMS:
        return _SHORT_FORMS[word]
    return _BY_SQUEEZED.get(_squeezed(word), word)


def _plain_spelling(normalised: str) -> str:
    """Bring spaced, dotted, stretched and shortened keywords to their spelling."""

    def joined(found: re.Match[str]) -> str:
        letters = "".join(ch for ch in found.group(0) if ch.isalpha())
        keyword = _keyword_spelling(letters)
        return keyword if keyword in _KEYWORDS else found.group(0)

    text = _SPACED_LETTERS.sub(joined, normalised)
    return _WORD.sub(lambda found: _keyword_spelling(found.group(0)), text)


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


def _join_pattern(join_keywords: Iterable[str]) -> re.Pattern[str] | None:
    """Return the whole-reply pattern for the shop's own JOIN keywords, if any."""
    spelled = sorted(
        {_words(normalise_reply(keyword)) for keyword in join_keywords} - {""},
        key=len,
        reverse=True,
    )
    if not spelled:
        return None
    return _whole(
        "|".join(re.escape(keyword) for keyword in spelled),
        r"again|me|us|all|texts?|sms|list",
    )


def _whole_reply(
    words: str, join: re.Pattern[str] | None
) -> ReplyClassification | None:
    """Classify a reply that is nothing but a keyword (rule 1)."""
    checks = [
        (_WHOLE_OPT_OUT, ReplyKind.OPT_OUT, "opt-out keyword"),
        (_WHOLE_CANCEL, ReplyKind.OPT_OUT, "opt-out keyword"),
        (_WHOLE_NO_MORE, ReplyKind.OPT_OUT, "opt-out request"),
        (_WHOLE_OPT_IN, ReplyKind.OPT_IN, "opt-in keyword"),
        (_WHOLE_HELP, ReplyKind.HELP, "help keyword"),
    ]
    if join is not None:
        checks.append((join, ReplyKind.OPT_IN, "shop's JOIN keyword"))
    for pattern, kind, what in checks:
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


def _plain_request(words: str, normalised: str) -> ReplyClassification | None:
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
    if negated is not None:
        return negated

    for clause in _CLAUSE_BREAK.split(normalised):
        clause_words = _words(clause)
        for pattern in _CLAUSE_REQUESTS:
            if (found := pattern.match(clause_words)) is not None:
                return ReplyClassification(
                    ReplyKind.OPT_OUT,
                    found.group("kw"),
                    f"The reply asks to stop messages: '{clause_words}'.",
                )
    return None


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
    for pattern in _VAGUE:
        if (found := pattern.search(words)) is not None:
            return ReplyClassification(
                ReplyKind.MAYBE_OPT_OUT,
                found.group(0),
                f"The reply says '{found.group(0)}' without naming the texts; no "
                "opt-out was recorded. Read it and decide.",
            )
    for clause in _CLAUSE_BREAK.split(raw):
        if (found := _CONDITIONAL_DONT.match(_words(clause))) is not None:
            return ReplyClassification(
                ReplyKind.MAYBE_OPT_OUT,
                found.group("kw"),
                f"The reply says '{found.group('kw')}' with a condition; no opt-out "
                "was recorded. Read it and decide.",
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


def classify_reply_detailed(
    text: str, *, join_keywords: Iterable[str] = ()
) -> ReplyClassification:
    """Classify an inbound SMS reply and say which words decided it.

    Args:
        text: the reply as received.
        join_keywords: the shop's own opt-in keywords (from printed JOIN signs),
            read as opt-ins when they are the whole reply, like JOIN.

    Returns:
        The kind, the matched words (normalised) and a sentence for the owner.
    """
    normalised = _plain_spelling(normalise_reply(text))
    words = _words(normalised)
    if not words and not any(sign in normalised for sign in _STOP_SIGNS):
        return ReplyClassification(ReplyKind.OTHER, None, "The reply holds no words.")

    result = (
        _whole_reply(words, _join_pattern(join_keywords))
        or _sentence_keyword(normalised)
        or _plain_request(words, normalised)
        or _mention(words, normalised)
    )
    if result is not None:
        return result
    return ReplyClassification(
        ReplyKind.OTHER, None, "No opt-out, opt-in or help words were found."
    )


def classify_reply(text: str, *, join_keywords: Iterable[str] = ()) -> ReplyKind:
    """Classify an inbound SMS reply.

    Args:
        text: the reply as received.
        join_keywords: the shop's own opt-in keywords (see
            :func:`classify_reply_detailed`).

    Returns:
        OPT_OUT, OPT_IN, HELP, MAYBE_OPT_OUT (flag for the owner) or OTHER.
    """
    return classify_reply_detailed(text, join_keywords=join_keywords).kind
