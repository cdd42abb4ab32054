"""Reading replies: opt-out, opt-in, help, or a sentence the owner should look at.

The principle: a clear request to stop is an opt-out; a reply that might be one but
is not clear is flagged for the owner (MAYBE_OPT_OUT); only a reply that clearly is
not a request (a question about an order, "Thanks!") is OTHER. When in doubt, flag;
and a reply that says the opposite ("I did not unsubscribe") is never an opt-out.

Before any rule, the text is NFKC-normalised and case-folded (full-width letters and
any letter case count; accents and zero-width characters are ignored) and each
keyword is brought to its plain spelling:

* **Spaced or dotted letters** that spell a keyword become the keyword ("S T O P",
  "S.T.O.P.", "s-t-o-p" read as STOP).
* **Repeated letters and common short forms** of a keyword read as the keyword
  ("STOPP", "stooop", "Stp", "unsub", "unsubcribe").
* **Digits and lookalike letters in an opt-out keyword** read as the keyword:
  "st0p", "5TOP", "STOP2", "ЅТОР" in Cyrillic letters, 🇸🇹🇴🇵 as flag letters. Many
  carriers honour close misspellings of STOP, and a word that is nothing but a
  garbled opt-out keyword has no other plausible meaning, so Duet reads it as the
  keyword (a missed opt-out costs far more than a lost subscriber, who can text
  START). Opt-in keywords are never read this way: consent must be clear.

How a reply is then read, in order:

1. **The whole reply is a keyword**, give or take punctuation, emoji, repeats and polite
   words ("STOP", "Stop.", "stop please", "ＳＴＯＰ!!", "opt-out", "I quit"): STOP,
   STOPALL, UNSUBSCRIBE, END, QUIT, CANCEL, REVOKE, OPTOUT, OPT OUT, the French
   ARRET, DESABONNER, DESINSCRIRE and the Spanish ALTO, PARAR, BAJA, CANCELAR is an
   opt-out; START, UNSTOP, JOIN, SUBSCRIBE (and any keyword a printed JOIN sign used,
   passed as ``join_keywords``) is an opt-in; HELP or INFO asks for help. "No more"
   as the whole reply answers the message itself: an opt-out ("No more?" is a
   question and is flagged). A keyword alone stays a keyword with a question mark
   ("STOP?"), as carriers read it.
2. **One sentence of the reply is a strong keyword** ("Who is this? STOP"): an opt-out.
   END, QUIT, CANCEL and the other languages' words count only as the whole reply,
   because as one sentence among others they usually mean something else ("Cancel.
   I ordered the wrong size"). A question mark right after the sentence, or "just
   kidding", "jk", "kidding" or "no way" after it, makes it unclear: flagged
   ("stop? no way, keep them coming", "Stop. Just kidding").
3. **A request about the texts, the messages or being contacted** is an opt-out:
   a clause that is a stop word and the sending itself ("quit texting me", "stop
   sending me these", "cancel these texts", "do not text", "no more texts", a short
   "no emails please" or "no texts either", "don't text or email me"), a
   request to be taken off the list or to forget the number ("take me off your
   list", "remove me", "lose my number"), withdrawing consent ("revoke consent", "I
   revoke my consent"), asking how to unsubscribe, "don't text me again", telling
   the shop to go away as a clause of its own ("fuck off", "piss off", "get lost",
   "go away"), "wrong number" said of the recipient ("wrong number", "you have the
   wrong number", "this is the wrong number for Ann") and "I never signed up (for
   this)" (the person never agreed to the texts), calling the texts spam ("spam",
   "this is spam"), and a keyword clause with such a complaint ("Quit, who is
   this?"). A negation right before a request ("please don't stop texting me") or
   a question about it ("why no more emails?") turns it into a flag instead; so
   does a request to be taken off something other than the list or the messages
   ("remove me from the waitlist", "take me off the reservation"). "Wrong number"
   about an order ("the wrong number of items", "wrong number on the receipt") is
   nothing; said otherwise ("you sent it to the wrong person") it is flagged. A
   dismissal or "wrong number" asked as a question or taken back, as in rule 2,
   is flagged too ("wrong number? no, it's me Ann", "Go away? never!", "Fuck off!
   Just kidding, love the sale"); a clear request elsewhere in the reply still
   counts.
4. **A reply that says the opposite** of an opt-out anywhere ("I did not
   unsubscribe", "never unsubscribed", "didn't ask to stop", "don't stop sending",
   "keep them coming") is never an opt-out: what rules 2 and 3 found is flagged.
5. **A sentence that merely mentions** stop, unsubscribe, opt out, revoke or cancel
   ("don't stop the sale!", "cancel my order #1042", "I never unsubscribed"), has END
   or QUIT as a clause of its own ("Quit, I'm busy"), asks to end "my
   subscription", says "not interested" or "no thanks", brushes the shop off
   without naming the texts ("i want out", "I'm done", "go away" inside a sentence,
   "fuck you"), mentions spam or
   never signing up, asks how the shop got the number, asks not to be texted only
   under a condition ("don't text after 9pm"), or holds a stop-sign emoji: not an
   opt-out, but flagged MAYBE_OPT_OUT for the owner to decide. CANCEL follows the
   industry rule (an opt-out only as the whole reply or with the texts named);
   "cancel my order" is about an order, so the owner decides. END and QUIT inside a
   sentence ("when does the sale end?") are everyday words and are not flagged.
6. **A request that names only the other channel** than the one the reply came by
   is flagged, not an opt-out: "unsubscribe me from emails but keep texts", "no
   more e-mails", "stop the newsletter", "stop mailing me" or "remove my email
   address" by text, "stop texting me", "no more SMS" or "remove my number" by
   email (``channel``; texts by default); ``asks_channel`` names that channel and
   the owner's decision applies to it ("stop the mail" and "no emails please" name
   the emails). A request that names both channels ("stop texting me and emailing
   me", "no more texts or emails", "don't text or email me") or asks for
   everything without naming one ("STOPALL", "stop all", "stop everything",
   "unsubscribe me from everything", "stop all messages") is an opt-out of both:
   the channel it came by and the other (``asks_channel="both"``), unless the
   clause turns ("...but keep the texts"). So is an opt-out with, in another
   clause or sentence of the reply, a request about the other channel ("STOP. And
   no emails either", "stop! also unsubscribe my email", "Unsubscribe me. No texts
   either" by email, "Stop texting me. Same for the emails"). A request that names
   neither ("STOP", "remove me") is an opt-out of the channel it came by. "Mailing
   list" is the shop's list, not the emails.
7. Anything else is OTHER.

Each result's explanation says what was found: the keyword alone, with polite or
other words, or the request's own words.
"""

import enum
import functools
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final, Literal

logger = logging.getLogger(__name__)

Channel = Literal["sms", "email"]


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
        asks_channel: which channel the request is about, when it is not simply
            the one the reply came by. On a flagged (MAYBE_OPT_OUT) request that
            names only the other channel ("stop the emails" by text, "remove my
            number" by email), that channel, ``"email"`` or ``"sms"``: the
            owner's "opt-out" decision then applies to it. On an opt-out that
            names both channels or asks for everything ("stop texting and
            emailing me", "unsubscribe me from everything", "STOPALL"),
            ``"both"``: the opt-out covers the channel it came by and the other
            one. ``None`` otherwise.
    """

    kind: ReplyKind
    matched: str | None
    explanation: str
    asks_channel: str | None = None


_CHARACTER_FOLDS: Final = str.maketrans(
    {"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'"}
    # Zero-width characters and the soft hyphen hide nothing ("S\u200bTOP").
    | dict.fromkeys(("\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"))
    # Regional indicator symbols (flag letters) read as their letters.
    | {
        0x1F1E6 + index: letter
        for index, letter in enumerate("abcdefghijklmnopqrstuvwxyz")
    }
)
_WORD: Final = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
# Three or more single letters or digits joined by spaces, dots, dashes or stars
# ("s t o p", "s t 0 p"); kept as they are unless they spell a keyword.
_SPACED_LETTERS: Final = re.compile(
    r"(?<![^\W_])(?:[^\W_][ .\-_*·]+){2,}[^\W_](?![^\W_])"
)
_REPEATS: Final = re.compile(r"(.)\1+")
# Every keyword in its plain spelling (rule 1), and short forms people type for it.
_KEYWORDS: Final = (
    "stop", "stopall", "unsubscribe", "end", "quit", "cancel", "revoke", "optout",
    "arret", "desabonner", "desinscrire", "alto", "parar", "baja", "cancelar",
    "start", "unstop", "join", "subscribe", "help", "info",
)  # fmt: skip
_OPT_OUT_KEYWORDS: Final = frozenset(_KEYWORDS[: _KEYWORDS.index("start")])
# Digits people type for letters, and letters of other scripts that look like Latin
# ones; only ever used to read a garbled opt-out keyword (see the module docstring).
_LOOKALIKES: Final = str.maketrans(
    "01357" "асеорхуѕіјԛһԁӏтвнмк" "οτρεανικμβχζη",
    "oiest" "aceopxysijqhdltbhmk" "otpeavikmbxzh",
)  # fmt: skip
_ONE_AS_L: Final = str.maketrans("1", "l")
_TRAILING_DIGITS: Final = re.compile(r"(?<=[^\W\d_])\d{1,3}$")
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
# Opt-out words of other languages: read only as the whole reply, because inside a
# sentence they are everyday words ("alto" is also "tall", "baja" also "low").
_OTHER_LANGUAGES: Final = r"desabonner|desinscrire|alto|parar|baja|cancelar"
_POLITE: Final = (
    r"please|pls|plz|thanks|thank you|thankyou|thx|ty|now|ok|okay|sorry|asap"
    r"|por favor|gracias|svp|merci"
)
_OPT_OUT_TRAILERS: Final = (
    r"all|everything|me|it|this|these|them|now|already|texts?|messages?|msgs?|sms"
    r"|e ?mails?|newsletters?"
)
# Words a customer puts before a keyword without changing it ("Yes stop", "I said
# STOP").
_KEYWORD_LEAD: Final = rf"{_POLITE}|yes|yeah|yep|just|i said|i say|i mean"
# "I quit", "we stop": only before an opt-out keyword ("I start" is no clear opt-in).
_OPT_OUT_LEAD: Final = rf"{_KEYWORD_LEAD}|i|we"
_CANCEL_TRAILERS: Final = r"all|me|texts?|messages?|msgs?|sms"


def _whole(words: str, trailers: str, lead: str = _KEYWORD_LEAD) -> re.Pattern[str]:
    extra = f"{words}|{trailers}|{_POLITE}"
    return re.compile(rf"^(?:(?:{lead}) )*(?P<kw>{words})(?: (?:{extra}))*$")


_WHOLE_OPT_OUT: Final = _whole(
    rf"{_STRONG_WORDS}|end|quit|{_OTHER_LANGUAGES}", _OPT_OUT_TRAILERS, _OPT_OUT_LEAD
)
_WHOLE_CANCEL: Final = _whole("cancel", _CANCEL_TRAILERS, _OPT_OUT_LEAD)
_SENTENCE_OPT_OUT: Final = _whole(_STRONG_WORDS, _OPT_OUT_TRAILERS, _OPT_OUT_LEAD)
# A clause that is any opt-out keyword by itself ("Quit, this is spam").
_CLAUSE_KEYWORD: Final = _whole(
    rf"{_STRONG_WORDS}|end|quit|cancel|{_OTHER_LANGUAGES}",
    _OPT_OUT_TRAILERS,
    _OPT_OUT_LEAD,
)
_WHOLE_OPT_IN: Final = _whole(
    r"start|unstop|join|subscribe|resubscribe", r"again|me|us|all|texts?|sms|list"
)
_WHOLE_HELP: Final = _whole(r"help|info", r"me|us")

_MESSAGES: Final = (
    r"(?:texts?|texting|txts?|txting|messages?|messaging|msgs?|sms|smses|spam|spamming"
    r"|e ?mails?|e ?mailing|mails?(?! order)|newsletters?|promos?|promotions?|ads|adverts?|offers"
    r"|notifications?|alerts?|marketing|mensajes|textos|correos)"
)
_DETERMINERS: Final = r"(?:(?:all|these|those|the|this|your|ur|any|such|of|more) )*"
_STOP_VERBS: Final = r"(?:stop|quit|cease|halt)"
_CONTACT_VERB: Final = (
    r"(?:text|txt|message|msg|sms|contact|e ?mail|spam|call|send)(?:ing)?"
)
# One contact verb or several ("text or email", "call and text").
_CONTACT_VERBS: Final = (
    rf"{_CONTACT_VERB}(?: (?:or|and|nor|and or) (?:ever )?{_CONTACT_VERB})*"
)
_SENDING: Final = (
    r"(?:sending|send|texting|txting|messaging|msging|contacting|e ?mailing|mailing"
    r"|spamming|bothering|calling)"
)
_CLAUSE_OBJECTS: Final = (
    rf"(?:me|us|it|them|this|that|these|those|all|any|more|stuff|things|crap|junk"
    rf"|to me|to us|this number|my number|my phone|{_MESSAGES}|{_POLITE}|again"
    rf"|anymore|any more|ever|already|just|right away)"
)
_LEAD: Final = (
    rf"^(?:(?:{_POLITE}|just|so|ok|hey|hi|(?:can|could|would|will|why don't|why dont)"
    r" (?:you|u)) )*"
)

# A clause that is nothing but a stop word and the sending itself, or "don't text".
_CLAUSE_REQUESTS: Final = (
    re.compile(
        rf"{_LEAD}(?P<kw>{_STOP_VERBS}(?: (?:{_SENDING}|{_DETERMINERS}{_MESSAGES})))"
        rf"(?: {_CLAUSE_OBJECTS})*$"
    ),
    # END and CANCEL with the texts named: "cancel these texts" like "end these texts".
    re.compile(
        rf"{_LEAD}(?P<kw>(?:end|cancel) {_DETERMINERS}{_MESSAGES})"
        rf"(?: {_CLAUSE_OBJECTS})*$"
    ),
    re.compile(
        rf"{_LEAD}(?P<kw>(?:don't|dont|do not|never|no) (?:ever )?{_CONTACT_VERBS})"
        rf"(?: {_CLAUSE_OBJECTS})*$"
    ),
)
# "No more" as the whole reply answers the message it replies to.
_WHOLE_NO_MORE: Final = re.compile(
    rf"^(?:(?:{_POLITE}) )*(?P<kw>no more|no mas)(?: (?:{_POLITE}|of (?:this|these"
    rf"|them|that)|again))*$"
)
# "No more texts" anywhere: a request, unless negated or asked ("why no more emails?").
_NO_MORE_MESSAGES: Final = re.compile(rf"\bno (?:more|mas) {_MESSAGES}\b")
# "No emails please", "and no texts either": a short clause that is "no" and the
# messages, read like "no more texts".
_NO_MESSAGES_CLAUSE: Final = re.compile(
    rf"^(?:(?:{_POLITE}|and|also|plus|oh|so|just|why|how come) )*"
    rf"(?P<kw>no {_DETERMINERS}{_MESSAGES}(?: {_MESSAGES})?)"
    rf"(?: (?:{_POLITE}|again|anymore|any more|ever|either|too|as well|at all"
    r"|for me|to me|from you|going forward))*$"
)
# Asking the same for the other channel after an opt-out: "same for the emails",
# "the texts too".
_SAME_FOR: Final = re.compile(
    rf"^(?:(?:and|also|plus|oh|{_POLITE}) )*(?:(?:the )?same (?:thing )?(?:goes )?"
    rf"(?:for|with) {_DETERMINERS}(?:my )?(?:{_MESSAGES}|phone number|number|phone"
    rf"|e ?mail address)|{_DETERMINERS}{_MESSAGES} (?:too|as well|also))"
    rf"(?: (?:{_POLITE}|too|as well))*$"
)
_QUESTION_LEAD: Final = re.compile(
    r"\b(?:why|how come|are there|is there|will there be|there's|there are)"
    r"(?: (?:still|really|suddenly|just))? $"
)
_CLAUSE_WITH_END: Final = re.compile(r"[^.!?;:,\n\r…]+[.!?;:,\n\r…]*")
_SENTENCE: Final = re.compile(r"[^.!?;:\n\r…]+")
_CLAUSE: Final = re.compile(r"[^.!?;:,\n\r…]+")
_BREAKS_AFTER: Final = re.compile(r"[\s.!?;:,…]*")
# Taking a keyword or a dismissal back: "just kidding", "jk" or "no way" as the next
# clause ("Fuck off! Just kidding"), or at the end of its own ("fuck off jk").
_JOKING: Final = re.compile(
    r"^(?:(?:lol|haha|hahaha|lmao|ok|oh|nah|i'm|im|i am|only) )*(?:(?:just )?(?:kidding"
    r"|kiddin|joking|jk|j k|jking)\b|no way(?: (?:lol|haha|jose))*$)"
)
_JOKING_TAIL: Final = re.compile(
    r" (?:(?:lol|haha) )*(?:just )?(?:kidding|kiddin|joking|jk|j k)(?: (?:lol|haha))*$"
)
_JOKING_LAST_WORDS: Final = frozenset(
    ("kidding", "kiddin", "joking", "jk", "k", "lol", "haha")
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
        r"\btoo much (?:mail|email|spam|texting|messaging)\b",
        r"^enough(?: already)?$",
        rf"^enough (?:with |of )?(?:the |your |these |all )?{_MESSAGES}\b",
        rf"^(?:(?:{_POLITE}) )*remove(?: (?:{_POLITE}))*$",
        rf"^(?:(?:ok|so|yeah) )*(?:i'm|im|i am|we're|we are) (?:so |just )?(?:out"
        rf"|done)(?: (?:with (?:this|these|that|it|you|your {_MESSAGES})|{_POLITE}))*$",
        rf"^no (?:thanks|thank you|thx|ty)(?: (?:{_POLITE}))*$",
        r"\bhow (?:did|do) (?:you|u) get (?:my|this) (?:phone number|number|cell)\b",
        r"^(?:fuck|fucking|fuk|fck|fk|f k|f|screw|sod|bugger) (?:you|u|y'all|this"
        rf"|that|these|those|them|it|this shit|this crap|(?:your|these) {_MESSAGES})$",
        r"^(?:(?:oh|just|please|pls) )*(?:shut up|stfu)$",
    )
)
_NAMES_MESSAGES: Final = re.compile(rf"\b{_MESSAGES}\b|\bmail\b")
# Telling the shop to go away, as a clause of its own ("fuck off", "piss off", "get
# lost", "go away, I never signed up"): a reasonable reader takes it as "stop".
_DISMISSAL: Final = re.compile(
    rf"^(?:(?:{_POLITE}|just|oh|ok|so|now|lol|omg|ugh|seriously|yeah|nah|no|hey|dude"
    r"|mate|man|can you|could you|would you|why don't you|why dont you) )*"
    r"(?P<kw>(?:fuck|fucking|fuk|fck|fk|fcuk|f k|f|frick|frig|feck|piss|bugger|sod"
    r"|naff|buzz|eff|shove|bog|back)(?: right)? off|go away|get lost|take a hike"
    r"|go to hell|leave me be|leave us be)"
    rf"(?: (?:{_POLITE}|already|now|forever|for good|mate|dude|man|bro|lol|right now"
    r"|and leave (?:me|us) alone|and die|you [\w']+|and stop (?:texting|messaging"
    rf"|emailing|contacting|sending)(?: (?:me|us))?|(?:with )?{_DETERMINERS}(?:your )?"
    rf"(?:{_MESSAGES}|crap|spam|junk|shit|bs)))*$"
)

# The customer's own number or email address, as in "remove my email address".
_MY_ADDRESS: Final = r"(?:phone number|number|phone|cell|e ?mail(?: address)?)"
# Requests that a negation right before them turns into a flag for the owner: each
# with what it asks (for the explanation) and whether it asks to be taken off
# something, which must be the list or the messages (see _removal_object).
_REQUESTS: Final = tuple(
    (re.compile(pattern), asks, removal)
    for pattern, asks, removal in (
        (
            r"\bhow (?:do|can|to) (?:i |we )?(?:unsubscribe|opt out|optout"
            r"|stop (?:these|those|this|the|your|all|getting|receiving))\b",
            "asks how to stop the messages, which is a request to stop them",
            True,
        ),
        (
            rf"\b{_STOP_VERBS} (?:(?:sending|send|giving)(?: me| us)? )?{_DETERMINERS}"
            rf"{_MESSAGES}\b",
            "asks to stop the messages",
            False,
        ),
        (
            rf"\b{_STOP_VERBS} (?:contacting|calling|bothering|harassing|pestering"
            r"|e ?mailing|mailing) (?:me|us)\b",
            "asks the shop to stop contacting them",
            False,
        ),
        (r"\bstop (?:getting|receiving)\b", "asks to stop getting the messages", False),
        (
            rf"\b(?:unsubscribe (?:me|us|my {_MY_ADDRESS})|opt (?:me|us))\b(?: out)?",
            "asks to be unsubscribed",
            True,
        ),
        (
            r"\b(?:unsubscribe|opt out|optout) (?:from|of)\b",
            "asks to unsubscribe",
            True,
        ),
        (
            rf"\btake (?:me|us|my (?:{_MY_ADDRESS}|name|info|details)) (?:off|out)\b",
            "asks to be taken off the list",
            True,
        ),
        (
            rf"\b(?:remove|delete|erase) (?:me|us|my (?:{_MY_ADDRESS}|name|contact|info"
            r"|details|data))\b",
            "asks to be removed",
            True,
        ),
        (
            rf"\b(?:lose|forget|drop|trash|scrap) (?:my|this) (?:{_MY_ADDRESS}|contact"
            r"|info|details)\b",
            "asks the shop to forget the number",
            False,
        ),
        (
            r"\b(?:revoke|revoking|withdraw|withdrawing|rescind|rescinding) (?:my |our "
            r"|all |any |the )?(?:consent|permission|authorization|authorisation"
            r"|opt in)\b",
            "withdraws consent",
            False,
        ),
        (
            r"\b(?:i|we|i'd|we'd) (?:really )?(?:want|would like|like|wanna|need|wish)"
            r" (?:to )?(?:unsubscribe|opt out|optout|be removed|be taken off"
            r"|stop (?:getting|receiving|these|those|your|the|all))\b",
            "says they want to stop the messages",
            True,
        ),
    )
)
# What follows "remove me", "take me off"...: the messages or the list (an opt-out),
# or nothing but polite words; anything else ("the waitlist") is for the owner.
_REMOVAL_FROM_LIST: Final = re.compile(
    r"^(?:(?:from|off|of|out of|outta|on|in) )?(?:(?:the|your|ur|yr|this|that|these"
    r"|those|my|our|all|any|every|of|shop's|store's) )*(?:(?:mailing|contact|contacts"
    r"|text|texting|txt|sms|email|e mail|marketing|distribution|subscriber|call"
    r"|calling|messaging|promo|promotional|promotions|customer|phone|vip|newsletter"
    r"|news|sale|sales|advertising|ad|spam|automated|auto|mass|group) )*(?:list|lists"
    r"|listing|database|db|system|records?|file|files|contacts?|here|this|that|it"
    r"|these|those|them|everything|all|thread|chat|conversation|group|number|phone"
    rf"|newsletters?|{_MESSAGES})\b"
)
_REMOVAL_NOTHING_MORE: Final = re.compile(
    rf"^(?:(?:{_POLITE}|right away|right now|immediately|permanently|completely"
    r"|entirely|for good|forever|already|too|as well|now|asap) ?)*$"
)
# A new thought after "remove me" ("remove me i never signed up"): the request stands.
_REMOVAL_NEW_THOUGHT: Final = frozenset(
    (
        "i", "i'm", "im", "we", "we're", "you", "u", "who", "why", "how", "what",
        "and", "or", "it's", "its", "this", "is", "stop", "no", "don't", "dont",
        "never", "because", "cause", "cuz", "since",
    )
)  # fmt: skip
# Requests that carry their own negation, so no negation check applies.
_NEGATIVE_REQUESTS: Final = tuple(
    (re.compile(pattern), asks)
    for pattern, asks in (
        (
            r"\b(?:don't|dont|do not|never|pls don't|please don't) (?:ever )?(?:text"
            r"|txt|message|msg|sms|contact|e ?mail|spam|send|bother)(?: (?:or|and"
            r"|nor) (?:ever )?(?:text|txt|message|msg|sms|contact|e ?mail|call|spam"
            r"|send|bother))*(?: me| us| this number)\b",
            "asks not to be sent messages",
        ),
        (
            rf"\b(?:i|we) (?:don't|dont|do not) want {_DETERMINERS}(?:any more "
            rf"|anymore )?{_MESSAGES}\b",
            "says they do not want the messages",
        ),
        (r"\bleave me alone\b", "asks to be left alone"),
    )
)
_WRONG_NUMBER: Final = re.compile(
    r"\bwrong (?:number|person|phone|cell)\b|\bnot my (?:number|phone|cell)\b"
)
# "I gave you the wrong number": the customer's own mistake, for the owner to read.
_OWN_WRONG_NUMBER: Final = re.compile(
    r"\b(?:i|we|i've|we've)(?: [\w']+){0,2} (?:gave|given|entered|typed|put|wrote"
    r"|used|listed)(?: (?:you|u))? (?:the|a|my) wrong (?:number|phone)\b"
)
# "Wrong number" said of the recipient, as a clause of its own: "wrong number",
# "you have the wrong number", "this is the wrong number for Ann", "not my number".
_YOU: Final = r"(?:you|u|you've|youve|u've|you guys|y'all|ya)"
_WRONG_RECIPIENT: Final = re.compile(
    rf"^(?:(?:{_POLITE}|sorry|oops|hi|hey|hello|um|uh|umm|lol|i think|think|pretty"
    r" sure|i'm afraid|im afraid|afraid|i believe|fyi|yeah|yes|no|nope|but|so|hmm) )*"
    rf"(?:{_YOU} (?:(?:must|might|may|probably|clearly|obviously) )?(?:(?:have|has"
    r"|are|r|got|have got|ve got) )?(?:(?:got|texted|texting|txted|txting|messaged"
    r"|messaging|reached|called|calling|used|using|dialed|dialled|contacted"
    r"|contacting|emailed|emailing|(?:sent|sending) (?:this|these|that|me this"
    r"|this text|this message|these texts|these messages) to) )?"
    r"|(?:this|that|it) (?:is |s )?|(?:it's|its|that's|thats|this's|this number is"
    r"|that number is|this phone is) )?"
    r"(?:(?:the|a|an|totally|completely|very) )*(?P<kw>wrong (?:number|person|phone"
    r"|cell)|not my (?:number|phone|cell))"
    rf"(?: (?:{_POLITE}|sorry|again|buddy|mate|pal|dude|lol|man|here|btw|fyi|bro"
    r"|anymore|any more|on file|on record|in your (?:system|records|list|contacts"
    r"|database|phone)|on your list|who is this|who's this|whos this|who are you"
    r"|i'm not [\w']+|im not [\w']+|this isn't [\w']+|this is not [\w']+"
    r"|for (?!(?:the|my|your|our|this|that|these|those|a|an|order|item|items"
    r"|receipt|invoice|delivery|parcel|package)\b)[\w']+(?: [\w']+)?))*$"
)
# "Wrong number of items", "wrong number on the receipt": about an order, not a
# stranger's phone.
_WRONG_ABOUT_ORDER: Final = re.compile(
    r"\bwrong (?:number|phone) (?:of\b|(?:on|in|at) (?:the|my|your|our|this|that)"
    r" (?:receipt|invoice|order|bill|box|package|parcel|label|tag|tracking|ticket"
    r"|sign|website|site|ad|flyer|price|form|card|voucher|coupon)\b)"
)
# Words that name one channel: a request that names only the other channel than the
# one it came by is for the owner (see rule 6 of the module docstring). "Mailing
# list" (the shop's list) and "messages" name neither.
_EMAIL_WORDS: Final = re.compile(
    r"\b(?:e ?mails?|e ?mailing|e ?mailed|mails?(?! order)|mailing(?! lists?\b)"
    r"|newsletters?|inbox|correos?)\b"
)
_TEXT_WORDS: Final = re.compile(
    r"\b(?:texts?|texting|texted|txts?|txting|sms|smses|phone|cell|number|textos"
    r"|whatsapp|calls?|calling)\b"
)
# A request for everything, which names no one channel: "STOPALL", "unsubscribe me
# from everything", "stop all messages", "stop all".
_ALL_CHANNELS: Final = re.compile(
    r"\b(?:stopall|everything|every list|all (?:(?:of )?(?:your|ur|the|my) )?"
    r"(?:messages|msgs|communications?|comms|contact|marketing|lists|mailing lists"
    r"|channels|subscriptions|of (?:it|them|this|that))\b|all$)"
)
# Any word that could make rule 6 apply; a reply without one stops its own channel.
_MAY_NAME_A_CHANNEL: Final = re.compile(
    rf"{_EMAIL_WORDS.pattern}|{_TEXT_WORDS.pattern}|\b(?:all|everything|every"
    r"|stopall)\b"
)
# Where a clause turns to something else: "unsubscribe me from emails but keep texts".
_CLAUSE_TURN: Final = re.compile(
    r" (?:but|except|although|though|however|instead|while) |(?: and)? keep "
)
_POLITE_WORDS: Final = frozenset(_POLITE.replace("|", " ").split())
_MESSAGE_NOUNS: Final = {
    "text": "texts",
    "texts": "texts",
    "sms": "texts",
    "message": "messages",
    "messages": "messages",
    "msg": "messages",
    "msgs": "messages",
    "email": "emails",
    "emails": "emails",
    "newsletter": "newsletter",
    "newsletters": "newsletter",
}
_ASKS_TO: Final = {
    "stopall": "stop all",
    "unsubscribe": "unsubscribe from",
    "optout": "opt out of",
    "opt out": "opt out of",
    "end": "end",
    "quit": "quit",
    "cancel": "cancel",
    "revoke": "revoke",
}
# Saying the texts are spam: a whole clause such as "spam" or "this is spam".
_SPAM_CLAUSE: Final = re.compile(
    rf"^(?:(?:{_POLITE}|ugh|omg|wow|lol|yes|just) )*"
    r"(?:(?:this|that|it|these|those|you|u|your texts|your messages|ur texts"
    r"|these texts|these messages)(?: (?:is|are|r))? |(?:it's|that's|this's"
    r"|you're|ur|its|thats) )?"
    r"(?:(?:just|total|pure|more|such|complete|obvious|a|a total) )*"
    r"(?P<kw>spam|spammer|spamming|spammy|scam|scammer)"
    rf"(?: (?:{_POLITE}|again|spam|spammer|scam|stop|stop it))*$"
)
# Saying one never agreed: a whole clause, with or without "for this".
_NEVER_AGREED: Final = re.compile(
    rf"^(?:(?:{_POLITE}|but|and|ugh|hey|hi) )*(?P<kw>(?:i|we) (?:never|didn't|did not"
    r"|never ever) (?:(?:sign|signed) up|subscribed?|opted? in|agreed?|consented?"
    rf"|(?:ask|asked) for (?:{_DETERMINERS}{_MESSAGES}|this|these|that|it|them"
    r"|any of this)"
    r"|gave (?:you|u) (?:my|this) (?:number|phone number)))"
    rf"(?: (?:for|to) (?:{_DETERMINERS}{_MESSAGES}|this|these|that|it|them|any of"
    rf" this|this list|your list|this crap))?(?: (?:{_POLITE}))*$"
)
# A complaint that makes a keyword clause beside it an opt-out ("Quit, who is this?").
_COMPLAINT: Final = re.compile(
    r"\b(?:spam|spammer|spamming|spammy|scam|scammer|(?:never|didn't|did not)"
    r" (?:sign|signed) up|never (?:subscribed|opted in|agreed|consented)|who is this"
    r"|who's this|whos this|who are you|who r u"
    r"|how did (?:you|u) get (?:my|this) (?:number|phone number))\b"
)
# Mentions of spam or never signing up that are not a complaint clause: flagged.
_COMPLAINT_MENTION: Final = re.compile(
    r"\b(?:spam(?!(?: (?:folder|filter|box|check|bin|mail folder))\b)|spammer"
    r"|spamming|scam|never signed up|didn't sign up|did not sign up)\b"
)
_SPAM_PLACE: Final = re.compile(r"\b(?:in|to|into|from|my|the|your) spam\b")
# Saying the opposite of an opt-out: what rules 2 and 3 found is flagged instead.
_NOT_ASKED: Final = (
    r"(?:don't|dont|do not|didn't|didnt|did not|never|haven't|have not|hadn't"
    r"|had not|wasn't trying to)"
)
_ASK_TO: Final = (
    r"(?:(?:ask|asked|want|wanted|mean|meant|say|said|request|requested|choose|chose"
    r"|try|tried|need|needed)(?: (?:you|u))?(?: to)? )?"
)
_COUNTER: Final = tuple(
    re.compile(pattern)
    for pattern in (
        rf"\b{_NOT_ASKED} (?:ever )?{_ASK_TO}(?:unsubscribe|unsubscribed|unsubscribing"
        r"|opt out|opted out|optout|revoke|revoked|be removed|be taken off)\b",
        rf"\b{_NOT_ASKED} (?:ever )?(?:(?:ask|asked|want|wanted|mean|meant|say|said"
        r"|request|requested)(?: (?:you|u))? to )(?:stop|end|quit|cancel)\b",
        rf"\b{_NOT_ASKED} (?:ever )?(?:stop|quit|end) (?:(?:sending|texting|emailing"
        rf"|messaging)\b|{_DETERMINERS}{_MESSAGES}\b)",
    )
)
# "Keep them coming" as its own clause (not "why do you keep texting me").
_KEEP_SENDING: Final = re.compile(
    rf"{_LEAD}(?:(?:do|but|and|oh) )*(?P<kw>keep (?:them |it |those |these |the "
    rf"{_MESSAGES} |{_MESSAGES} )?(?:sending|texting|emailing|messaging|coming)"
    r"|keep (?:me|us) (?:subscribed|on the list|posted))\b"
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
# "Why did you stop texting me?" asks what happened; "can you stop" is a request.
_PAST_AUXILIARIES: Final = frozenset({"did", "didn't", "have", "has", "had", "why'd"})
_PERSONS: Final = frozenset({"i", "we", "you", "u", "they", "y'all"})
_MENTION: Final = re.compile(
    rf"\b(?P<kw>{_STRONG_WORDS}|cancel|unsubscribed|unsubscribing|opted out|revoked)\b"
)
_NOT_INTERESTED: Final = re.compile(r"\bnot interested\b")
# "I want to end this", "I'd like to quit": a wish that may be about the texts.
_WANTS_TO_END: Final = re.compile(
    r"\b(?:want|wanna|would like|'d like|wish|need) to (?P<kw>end|quit)\b"
)
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
    if text.isascii():  # nothing to fold but the case and the backtick
        return text.lower().translate(_CHARACTER_FOLDS)

    folded = unicodedata.normalize("NFKC", text).casefold().translate(_CHARACTER_FOLDS)
    decomposed = unicodedata.normalize("NFD", folded)
    without_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", without_marks)


def _squeezed(word: str) -> str:
    return _REPEATS.sub(r"\1", word)


_BY_SQUEEZED: Final = {_squeezed(keyword): keyword for keyword in _KEYWORDS}


@functools.lru_cache(maxsize=8192)
def _keyword_spelling(word: str) -> str:
    """Return a keyword's plain spelling for a short form or repeated letters."""
    if word in _SHORT_FORMS:
        return _SHORT_FORMS[word]
    keyword = _BY_SQUEEZED.get(_squeezed(word))
    if keyword is not None:
        return keyword
    if word.isascii() and word.isalpha():
        return word
    return _garbled_opt_out(word) or word


def _garbled_opt_out(word: str) -> str | None:
    """Return the opt-out keyword a word with digits or lookalikes spells, if any."""
    without_digits = _TRAILING_DIGITS.sub("", word)
    for table in (_LOOKALIKES, _ONE_AS_L):
        for candidate in (word, without_digits):
            spelled = candidate.translate(table).translate(_LOOKALIKES)
            keyword = _SHORT_FORMS.get(spelled) or _BY_SQUEEZED.get(_squeezed(spelled))
            if keyword in _OPT_OUT_KEYWORDS:
                return keyword
    return None


def _plain_spelling(normalised: str) -> str:
    """Bring spaced, dotted, stretched and shortened keywords to their spelling."""

    def joined(found: re.Match[str]) -> str:
        letters = "".join(ch for ch in found.group(0) if ch.isalnum())
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


@functools.lru_cache(maxsize=64)
def _clauses(normalised: str) -> tuple[tuple[str, int], ...]:
    """Return the words of each clause (split at commas and sentence ends) and
    where the clause ends in ``normalised``."""
    return tuple(
        (_words(found.group(0)), found.end()) for found in _CLAUSE.finditer(normalised)
    )


@functools.lru_cache(maxsize=64)
def _clause_words(normalised: str) -> tuple[str, ...]:
    """Return the words of each clause (split at commas and sentence ends)."""
    return tuple(clause_words for clause_words, _end in _clauses(normalised))


def _taken_back(normalised: str, end: int) -> str | None:
    """Return what takes back the words ending at ``end``, if anything.

    A question mark right after them ("Go away?"), or "just kidding", "jk" or "no
    way" as the next clause ("Fuck off! Just kidding"), makes a keyword or a
    dismissal no clear request.
    """
    punctuation = _BREAKS_AFTER.match(normalised, end)
    if punctuation is not None and "?" in punctuation.group(0):
        return "?"
    following = _CLAUSE.search(normalised, end)
    if following is None:
        return None
    found = _JOKING.match(_words(following.group(0)))
    return found.group(0) if found is not None else None


def _matches_and_turns(
    pattern: re.Pattern[str], pieces: Iterable[tuple[str, int]], normalised: str
) -> Iterator[tuple[re.Match[str], str, str | None]]:
    """Yield each clause or sentence ``pattern`` matches, with what takes it back.

    Args:
        pattern: what the words must be (a keyword, a dismissal...).
        pieces: each clause's or sentence's words and where it ends in
            ``normalised``.
        normalised: the whole normalised reply.

    Yields:
        The match, the words matched (without a joke at their end: "fuck off jk"
        gives "fuck off") and what takes them back (see :func:`_taken_back`), or
        ``None``.
    """
    for said, end in pieces:
        found = pattern.match(said)
        if found is not None:
            yield found, said, _taken_back(normalised, end)
        elif said.rpartition(" ")[2] in _JOKING_LAST_WORDS:
            joke = _JOKING_TAIL.search(said)
            if joke is not None and (found := pattern.match(said[: joke.start()])):
                yield found, said[: joke.start()], joke.group(0).strip()


def _not_clear(said: str, turn: str, matched: str) -> ReplyClassification:
    """Flag a keyword or dismissal that a question mark or a joke takes back."""
    if turn == "?":
        how = f"asks '{said}?' as a question"
    else:
        how = f"says '{said}' but then '{turn}'"
    return ReplyClassification(
        ReplyKind.MAYBE_OPT_OUT,
        matched,
        f"The reply {how}, so it may not ask to stop; no opt-out was recorded. Read "
        "it and decide.",
    )


def _says_the_opposite(words: str, normalised: str) -> str | None:
    """Return the words by which a reply says it wants the messages, if any."""
    for pattern in _COUNTER:
        if (found := pattern.search(words)) is not None:
            return found.group(0)
    for clause_words in _clause_words(normalised):
        if (found := _KEEP_SENDING.match(clause_words)) is not None:
            return found.group("kw")
    return None


def says_the_opposite(text: str) -> str | None:
    """Tell whether a text says it wants the messages or never opted out.

    "I did not unsubscribe", "never unsubscribed", "didn't ask to stop", "don't stop
    sending", "keep them coming": a text with such words is never read as an
    opt-out (see rule 4 of the module docstring).

    Args:
        text: the reply, subject or mail text as received.

    Returns:
        The normalised words that say so, or ``None``.
    """
    normalised = _plain_spelling(normalise_reply(text))
    return _says_the_opposite(_words(normalised), normalised)


def _asks_about_the_past(words: str, start: int) -> bool:
    """Tell whether "did you", "have I"... before ``start`` ask what happened."""
    before = words[:start].split()
    while before and before[-1] in _NEGATION_FILLERS:
        before.pop()
    return (
        len(before) >= 2 and before[-2] in _PAST_AUXILIARIES and before[-1] in _PERSONS
    )


def _keyword_label(keyword: str) -> str:
    return keyword.upper()


def _keyword_explanation(words: str, found: re.Match[str], what: str) -> str:
    """Say truthfully how a whole-reply keyword was found: alone or with which words.

    Args:
        words: the reply's words.
        found: the match of a whole-reply pattern, with the keyword as ``kw``.
        what: the kind of keyword ("opt-out keyword", "help keyword"...).

    Returns:
        One sentence for the owner and the consent ledger.
    """
    keyword = found.group("kw")
    label = f"{what} {_keyword_label(keyword)}"
    before = words[: found.start("kw")].strip()
    after = words[found.end("kw") :].strip()
    if not before and not after:
        return f"The whole reply is the {label}."

    others = [word for word in f"{before} {after}".split() if word != keyword]
    if " " in keyword:  # "opt out", "no more": drop each repeat of the phrase
        spaced = f" {' '.join(others)} "
        while f" {keyword} " in spaced:
            spaced = spaced.replace(f" {keyword} ", " ")
        others = spaced.split()
    if not others:
        return f"The whole reply is the {label}, repeated."

    if all(word in _POLITE_WORDS for word in others):
        polite = "a polite word" if len(set(others)) == 1 else "polite words"
        return f"The reply is the {label} with {polite}: '{words}'."
    nouns = [_MESSAGE_NOUNS[word] for word in others if word in _MESSAGE_NOUNS]
    if nouns and what == "opt-out keyword":
        verb = _ASKS_TO.get(keyword, "stop")
        return f"The reply asks to {verb} the {nouns[0]}: '{words}'."
    if before in ("i", "we") and all(word in _POLITE_WORDS for word in after.split()):
        return f"The reply says '{words}', the {label}."
    if before and after:
        return (
            f"The reply is the {label} with '{before}' before it and '{after}' "
            "after it."
        )
    if before:
        return f"The reply is the {label} with '{before}' before it."
    return f"The reply is the {label} followed by '{after}'."


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
    words: str, normalised: str, join: re.Pattern[str] | None
) -> ReplyClassification | None:
    """Classify a reply that is nothing but a keyword (rule 1)."""
    if _WHOLE_NO_MORE.match(words) and normalised.rstrip().endswith("?"):
        return ReplyClassification(
            ReplyKind.MAYBE_OPT_OUT,
            words,
            f"The reply asks '{words}?', which may ask to stop the texts or ask "
            "about something else; no opt-out was recorded. Read it and decide.",
        )

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
            return ReplyClassification(
                kind, found.group("kw"), _keyword_explanation(words, found, what)
            )
    return None


def _sentence_keyword(normalised: str) -> ReplyClassification | None:
    """Find a sentence that is a strong opt-out keyword by itself (rule 2).

    A question mark or a joke right after it makes it a flag ("stop? no way").
    """
    taken_back: ReplyClassification | None = None
    sentences = (
        (_words(sentence.group(0)), sentence.end())
        for sentence in _SENTENCE.finditer(normalised)
    )
    for found, sentence_words, turn in _matches_and_turns(
        _SENTENCE_OPT_OUT, sentences, normalised
    ):
        if turn is not None:
            taken_back = taken_back or _not_clear(
                sentence_words, turn, found.group("kw")
            )
        else:
            keyword = found.group("kw")
            said = "" if sentence_words == keyword else f": '{sentence_words}'"
            return ReplyClassification(
                ReplyKind.OPT_OUT,
                keyword,
                f"One sentence of the reply is the opt-out keyword "
                f"{_keyword_label(keyword)}{said}.",
            )
    return taken_back


def _complaint(normalised: str, words: str) -> ReplyClassification | None:
    """Find a clause that calls the texts spam or says one never agreed (rule 3)."""
    for clause_words in _clause_words(normalised):
        if (found := _SPAM_CLAUSE.match(clause_words)) is not None:
            return ReplyClassification(
                ReplyKind.OPT_OUT,
                clause_words,
                f"The reply calls these messages {found.group('kw')}: "
                f"'{clause_words}'; unwanted messages are an opt-out.",
            )
        if (found := _NEVER_AGREED.match(clause_words)) is not None:
            return ReplyClassification(
                ReplyKind.OPT_OUT,
                found.group("kw"),
                f"The reply says '{clause_words}', so this person never agreed to "
                "these messages.",
            )
    if (complaint := _COMPLAINT.search(words)) is None:
        return None
    for found, _said, turn in _matches_and_turns(
        _CLAUSE_KEYWORD, _clauses(normalised), normalised
    ):
        if turn is None:
            keyword = found.group("kw")
            return ReplyClassification(
                ReplyKind.OPT_OUT,
                keyword,
                f"The reply has the opt-out keyword {_keyword_label(keyword)} as a "
                f"clause of its own beside the complaint '{complaint.group(0)}'.",
            )
    return None


def _no_more(normalised: str) -> ReplyClassification | None:
    """Read "no more texts" or "no emails please": a request, or a question or
    negation to flag (rule 3)."""
    for clause in _CLAUSE_WITH_END.findall(normalised):
        clause_words = _words(clause)
        if (found := _NO_MORE_MESSAGES.search(clause_words)) is not None:
            said, start = found.group(0), found.start()
        elif (found := _NO_MESSAGES_CLAUSE.match(clause_words)) is not None:
            said, start = found.group("kw"), found.start("kw")
        else:
            continue
        before = clause_words[:start]
        if "?" in clause or _QUESTION_LEAD.search(before) is not None:
            return ReplyClassification(
                ReplyKind.MAYBE_OPT_OUT,
                said,
                f"The reply asks about '{said}' in a question, which may be about "
                "messages that did not arrive; no opt-out was recorded. Read it and "
                "decide.",
            )
        if _is_negated(clause_words, start):
            return ReplyClassification(
                ReplyKind.MAYBE_OPT_OUT,
                said,
                f"The reply mentions '{said}' with a negation such as 'don't' before "
                "it; no opt-out was recorded. Read it and decide.",
            )
        return ReplyClassification(
            ReplyKind.OPT_OUT, said, f"The reply asks for no more messages: '{said}'."
        )
    return None


def _wrong_number(words: str, normalised: str) -> ReplyClassification | None:
    """Read "wrong number" or "wrong person" (rule 3, rule 5).

    Said of the recipient ("wrong number", "you have the wrong number", "this is
    the wrong number for Ann"), it is an opt-out; said of an order ("the wrong
    number of items", "wrong number on the receipt"), it is nothing; the
    customer's own typo or anything else ("you sent it to the wrong person") is
    for the owner, and so is "wrong number?" asked or taken back ("wrong number?
    no, it's me Ann").
    """
    if _WRONG_NUMBER.search(words) is None:
        return None
    if (own := _OWN_WRONG_NUMBER.search(words)) is not None:
        return ReplyClassification(
            ReplyKind.MAYBE_OPT_OUT,
            own.group(0),
            f"The reply says '{own.group(0)}', which may be the customer's own "
            "mistake rather than a stranger's number; no opt-out was recorded. "
            "Read it and decide.",
        )

    said = _clear_clause(
        _WRONG_RECIPIENT,
        normalised,
        "The reply says '{clause}': the texts reach someone who never agreed to them.",
    )
    if said is not None:
        return said
    for found in _WRONG_NUMBER.finditer(words):
        if _WRONG_ABOUT_ORDER.match(words, found.start()) is None:
            return ReplyClassification(
                ReplyKind.MAYBE_OPT_OUT,
                found.group(0),
                f"The reply mentions '{found.group(0)}' in a longer sentence, which "
                "may mean the texts reach the wrong person or may be about an order "
                "or a parcel; no opt-out was recorded. Read it and decide.",
            )
    return None


def _clause_holding(normalised: str, phrase: str) -> str:
    """Return the words of the clause holding ``phrase``, or the whole reply's."""
    for clause_words in _clause_words(normalised):
        if f" {phrase} " in f" {clause_words} ":
            return clause_words
    return _words(normalised)


def _clause_of(normalised: str, phrase: str) -> str:
    """Return the part of the clause holding ``phrase`` before the reply turns.

    "unsubscribe me from emails but keep texts" gives "unsubscribe me from emails";
    the whole reply's words when no clause holds the phrase.
    """
    clause = _clause_holding(normalised, phrase)
    for part in _CLAUSE_TURN.split(f" {clause} "):
        if f" {phrase} " in f" {part} ":
            return part.strip()
    return clause


def _removal_object(phrase: str, normalised: str) -> str | None:
    """Return what follows "remove me"/"take me off" when it is not the messages.

    "take me off your list", "remove me from the texts", "remove me please" and
    "remove me, who is this" ask about the messages (None); "remove me from the
    waitlist" gives "from the waitlist".
    """
    part = _clause_of(normalised, phrase)
    index = f" {part} ".find(f" {phrase} ")
    rest = part[index + len(phrase) :].strip() if index >= 0 else ""
    if _REMOVAL_NOTHING_MORE.match(rest) or _REMOVAL_FROM_LIST.match(rest):
        return None
    if rest.split()[0] in _REMOVAL_NEW_THOUGHT:
        return None
    return rest


def _request(words: str, normalised: str) -> ReplyClassification | None:
    """Find a request of :data:`_REQUESTS` (rule 3).

    A request is an opt-out, or a flag when it is negated, asks about the past, or
    asks to be taken off something other than the list or the messages.
    """
    flagged: ReplyClassification | None = None
    for pattern, asks, removal in _REQUESTS:
        for found in pattern.finditer(words):
            phrase = found.group(0)
            if _asks_about_the_past(words, found.start()):
                flagged = flagged or ReplyClassification(
                    ReplyKind.MAYBE_OPT_OUT,
                    phrase,
                    f"The reply asks whether '{phrase}' happened (\"why did you "
                    'stop...?"), which may be about messages that did not arrive; '
                    "no opt-out was recorded. Read it and decide.",
                )
                continue
            if _is_negated(words, found.start()):
                flagged = flagged or ReplyClassification(
                    ReplyKind.MAYBE_OPT_OUT,
                    phrase,
                    f"The reply mentions '{phrase}' with a negation such as 'don't' "
                    "before it; no opt-out was recorded. Read it and decide.",
                )
                continue
            rest = _removal_object(phrase, normalised) if removal else None
            if rest is not None:
                about = re.sub(r"^(?:from|off|of|out of|outta|on|in) ", "", rest)
                flagged = flagged or ReplyClassification(
                    ReplyKind.MAYBE_OPT_OUT,
                    f"{phrase} {rest}",
                    f"The reply says '{phrase} {rest}', about '{about}' rather than "
                    "these messages; no opt-out was recorded. Read it and decide.",
                )
                continue
            return ReplyClassification(
                ReplyKind.OPT_OUT, phrase, f"The reply {asks}: '{phrase}'."
            )
    return flagged


def _plain_request(words: str, normalised: str) -> ReplyClassification | None:
    """Find a plain-language opt-out request, or one to flag (rule 3).

    A clear request anywhere in the reply wins over a flagged one ("Wrong number?
    Stop texting me").
    """
    wrong_number = _wrong_number(words, normalised)
    if wrong_number is not None and wrong_number.kind is ReplyKind.OPT_OUT:
        return wrong_number
    complaint = _complaint(normalised, words)
    if complaint is not None:
        return complaint
    for pattern, asks in _NEGATIVE_REQUESTS:
        if (found := pattern.search(words)) is not None:
            return ReplyClassification(
                ReplyKind.OPT_OUT,
                found.group(0),
                f"The reply {asks}: '{found.group(0)}'.",
            )
    dismissal = _dismissal(normalised)
    if dismissal is not None and dismissal.kind is ReplyKind.OPT_OUT:
        return dismissal

    flagged = wrong_number or dismissal
    negated = _request(words, normalised)
    if negated is not None and negated.kind is ReplyKind.OPT_OUT:
        return negated
    no_more = _no_more(normalised)
    if no_more is not None and no_more.kind is ReplyKind.OPT_OUT:
        return no_more
    if negated is not None or no_more is not None:
        return flagged or negated or no_more

    for clause_words in _clause_words(normalised):
        for index, pattern in enumerate(_CLAUSE_REQUESTS):
            if (found := pattern.match(clause_words)) is not None:
                asks = (
                    "asks to stop the messages",
                    f"asks to {found.group('kw')}",
                    "asks not to be sent messages",
                )[index]
                return ReplyClassification(
                    ReplyKind.OPT_OUT,
                    found.group("kw"),
                    f"The reply {asks}: '{clause_words}'.",
                )
    return flagged


def _dismissal(normalised: str) -> ReplyClassification | None:
    """Find a clause telling the shop to go away, or one taken back to flag (rule 3).

    "Go away? never!" and "Fuck off! Just kidding" are flagged (see _taken_back).
    """
    return _clear_clause(
        _DISMISSAL,
        normalised,
        "The reply tells the shop to go away: '{clause}'; a reasonable reader takes "
        "it as a request to stop.",
    )


def _clear_clause(
    pattern: re.Pattern[str], normalised: str, explanation: str
) -> ReplyClassification | None:
    """Return an opt-out for the first clause ``pattern`` finds, said plainly.

    A clause taken back ("go away? never!", "wrong number? jk") is flagged
    instead, unless a later clause says it plainly (see ``_matches_and_turns``).

    Args:
        explanation: the opt-out's sentence, with ``{clause}`` for the clause.
    """
    taken_back: ReplyClassification | None = None
    for found, clause_words, turn in _matches_and_turns(
        pattern, _clauses(normalised), normalised
    ):
        if turn is not None:
            taken_back = taken_back or _not_clear(clause_words, turn, found.group("kw"))
            continue
        return ReplyClassification(
            ReplyKind.OPT_OUT,
            found.group("kw"),
            explanation.format(clause=clause_words),
        )
    return taken_back


def _mention(words: str, normalised: str) -> ReplyClassification | None:
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
                "order); CANCEL is an opt-out only as the whole reply or with the "
                "texts named. Read it and decide."
            )
        else:
            explanation = (
                f"The reply mentions '{keyword}' inside a longer message; no opt-out "
                "was recorded. Read it and decide."
            )
        return ReplyClassification(ReplyKind.MAYBE_OPT_OUT, keyword, explanation)

    if (found := _WANTS_TO_END.search(words)) is not None:
        return ReplyClassification(
            ReplyKind.MAYBE_OPT_OUT,
            found.group(0),
            f"The reply says '{found.group(0)}' without naming the texts; no opt-out "
            "was recorded. Read it and decide.",
        )

    for clause_words in _clause_words(normalised):
        if (found := _CLAUSE_KEYWORD.match(clause_words)) is not None:
            keyword = found.group("kw")
            return ReplyClassification(
                ReplyKind.MAYBE_OPT_OUT,
                keyword,
                f"The reply has the opt-out keyword {_keyword_label(keyword)} as a "
                "clause of its own among other words; no opt-out was recorded. Read "
                "it and decide.",
            )
    found_complaint = _COMPLAINT_MENTION.search(words)
    if found_complaint is not None and not _SPAM_PLACE.search(words):
        return ReplyClassification(
            ReplyKind.MAYBE_OPT_OUT,
            found_complaint.group(0),
            f"The reply mentions '{found_complaint.group(0)}', which may mean these "
            "messages are unwanted; no opt-out was recorded. Read it and decide.",
        )
    if (found := _NOT_INTERESTED.search(words)) is not None:
        return ReplyClassification(
            ReplyKind.MAYBE_OPT_OUT,
            found.group(0),
            "The reply says 'not interested'; no opt-out was recorded. Read it and "
            "decide.",
        )
    for pattern in _VAGUE:
        if (found := pattern.search(words)) is not None:
            said = found.group(0)
            why = (
                ", which may or may not ask to stop them"
                if _NAMES_MESSAGES.search(said)
                else " without naming the texts"
            )
            return ReplyClassification(
                ReplyKind.MAYBE_OPT_OUT,
                said,
                f"The reply says '{said}'{why}; no opt-out was recorded. Read it "
                "and decide.",
            )
    for clause_words in _clause_words(normalised):
        if (found := _CONDITIONAL_DONT.match(clause_words)) is not None:
            return ReplyClassification(
                ReplyKind.MAYBE_OPT_OUT,
                found.group("kw"),
                f"The reply says '{found.group('kw')}' with a condition; no opt-out "
                "was recorded. Read it and decide.",
            )
    signs = [sign for sign in _STOP_SIGNS if sign in normalised]
    if signs:
        return ReplyClassification(
            ReplyKind.MAYBE_OPT_OUT,
            signs[0],
            "The reply holds a stop sign emoji; no opt-out was recorded. Read it and "
            "decide.",
        )
    return None


def _other_channel(
    result: ReplyClassification,
    words: str,
    normalised: str,
    channel: Channel,
    *,
    look_across: bool = True,
) -> ReplyClassification:
    """Read which channels an opt-out asks to stop (rule 6).

    A request that names only the other channel is flagged with that channel; one
    that names both, or asks for everything, stops both (``asks_channel="both"``),
    and so does a request about one channel with one about the other in another
    clause of the reply ("STOP. And no emails either").

    Args:
        look_across: whether to read the reply's other clauses too (not when
            reading one clause of a longer reply).
    """
    if _MAY_NAME_A_CHANNEL.search(words) is None:
        return result

    read = _channel_of_clause(result, normalised, channel)
    if not look_across or read.asks_channel == "both":
        return read
    asked = read.asks_channel or channel
    clause = _clause_holding(normalised, result.matched or "")
    other = _other_clause_asking(
        normalised, clause, channel, "sms" if asked == "email" else "email"
    )
    if other is None:
        return read
    return ReplyClassification(
        ReplyKind.OPT_OUT,
        result.matched,
        f"The reply asks to stop both the texts and the emails: '{clause}' and "
        f"'{other}'.",
        asks_channel="both",
    )


def _other_clause_asking(
    normalised: str, skipped: str, channel: Channel, wanted: Channel
) -> str | None:
    """Return the words of a clause that asks to stop the ``wanted`` channel.

    Each clause but ``skipped`` is read by itself ("and no emails either", "also
    unsubscribe my email"); "same for the emails" or "the texts too" after an
    opt-out asks the same of that channel. A clause asking about the other channel
    than the one the reply came by must name it; one about the channel it came by
    need not ("Stop, no emails either").

    Args:
        normalised: the whole normalised reply.
        skipped: the words of the clause already read.
        channel: the channel the reply came by.
        wanted: the channel a clause must ask to stop.
    """
    names = _EMAIL_WORDS if wanted == "email" else _TEXT_WORDS
    for clause in _CLAUSE_WITH_END.findall(normalised):
        clause_words = _words(clause)
        if clause_words == skipped:
            continue
        if wanted != channel and names.search(clause_words) is None:
            continue
        if _SAME_FOR.match(clause_words) is not None and "?" not in clause:
            return clause_words
        read = _classify(clause, None, channel, look_across=False)
        if read.kind is not ReplyKind.OPT_OUT and read.asks_channel is None:
            continue
        if (read.asks_channel or channel) in (wanted, "both"):
            return clause_words
    return None


def _channel_of_clause(
    result: ReplyClassification, normalised: str, channel: Channel
) -> ReplyClassification:
    """Read which channels the clause holding an opt-out's words names (rule 6)."""
    clause = _clause_holding(normalised, result.matched or "")
    part = _clause_of(normalised, result.matched or "")
    names_email = _EMAIL_WORDS.search(part) is not None
    names_texts = _TEXT_WORDS.search(part) is not None
    asks_everything = (
        not names_email
        and not names_texts
        and part == clause
        and _ALL_CHANNELS.search(part) is not None
    )
    if (names_email and names_texts) or asks_everything:
        return ReplyClassification(
            ReplyKind.OPT_OUT,
            result.matched,
            f"The reply asks to stop both the texts and the emails: '{part}'.",
            asks_channel="both",
        )
    if channel == "sms" and names_email and not names_texts:
        return ReplyClassification(
            ReplyKind.MAYBE_OPT_OUT,
            part,
            f"The reply asks to stop the emails ('{part}') but came by text, so no "
            "opt-out was recorded. Treated as an opt-out, it stops the emails; "
            "the texts go on.",
            asks_channel="email",
        )
    if channel == "email" and names_texts and not names_email:
        return ReplyClassification(
            ReplyKind.MAYBE_OPT_OUT,
            part,
            f"The mail asks to stop the texts ('{part}') but came by email, so no "
            "opt-out was recorded. Treated as an opt-out, it stops the texts; the "
            "emails go on.",
            asks_channel="sms",
        )
    return result


def classify_reply_detailed(
    text: str, *, join_keywords: Iterable[str] = (), channel: Channel = "sms"
) -> ReplyClassification:
    """Classify an inbound reply and say which words decided it.

    Args:
        text: the reply as received.
        join_keywords: the shop's own opt-in keywords (from printed JOIN signs),
            read as opt-ins when they are the whole reply, like JOIN.
        channel: how the reply came: ``sms`` (a text) or ``email`` (a mail). A
            request that names only the other channel is flagged (rule 6).

    Returns:
        The kind, the matched words (normalised) and a sentence for the owner.
    """
    normalised = _plain_spelling(normalise_reply(text))
    return _classify(normalised, _join_pattern(join_keywords), channel)


def _classify(
    normalised: str,
    join: re.Pattern[str] | None,
    channel: Channel,
    *,
    look_across: bool = True,
) -> ReplyClassification:
    """Classify a normalised reply (see :func:`classify_reply_detailed`).

    Args:
        look_across: whether rule 6 reads the reply's other clauses too.
    """
    words = _words(normalised)
    if not words and not any(sign in normalised for sign in _STOP_SIGNS):
        return ReplyClassification(ReplyKind.OTHER, None, "The reply holds no words.")

    result = _whole_reply(words, normalised, join)
    if result is not None and result.kind is ReplyKind.OPT_OUT:
        return _other_channel(
            result, words, normalised, channel, look_across=look_across
        )
    if result is not None:
        return result

    result = _sentence_keyword(normalised)
    if result is None or result.kind is not ReplyKind.OPT_OUT:
        request = _plain_request(words, normalised)
        if request is not None and request.kind is ReplyKind.OPT_OUT:
            result = request
        else:
            result = result or request
    if result is not None and result.kind is ReplyKind.OPT_OUT:
        opposite = _says_the_opposite(words, normalised)
        if opposite is not None:
            return ReplyClassification(
                ReplyKind.MAYBE_OPT_OUT,
                opposite,
                f"The reply has '{result.matched}' but also says '{opposite}'; no "
                "opt-out was recorded. Read it and decide.",
            )
        return _other_channel(
            result, words, normalised, channel, look_across=look_across
        )
    result = result or _mention(words, normalised)
    if result is not None:
        return result
    return ReplyClassification(
        ReplyKind.OTHER, None, "No opt-out, opt-in or help words were found."
    )


def classify_reply(
    text: str, *, join_keywords: Iterable[str] = (), channel: Channel = "sms"
) -> ReplyKind:
    """Classify an inbound reply.

    Args:
        text: the reply as received.
        join_keywords: the shop's own opt-in keywords (see
            :func:`classify_reply_detailed`).
        channel: how the reply came, ``sms`` or ``email``.

    Returns:
        OPT_OUT, OPT_IN, HELP, MAYBE_OPT_OUT (flag for the owner) or OTHER.
    """
    return classify_reply_detailed(
        text, join_keywords=join_keywords, channel=channel
    ).kind
