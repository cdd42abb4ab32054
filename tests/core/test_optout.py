"""Reading SMS replies: the keyword and phrase table, evidence and explanations."""

import pytest

from desktop_app.core.optout import (
    ReplyKind,
    classify_reply,
    classify_reply_detailed,
    normalise_reply,
)

OUT = ReplyKind.OPT_OUT
IN = ReplyKind.OPT_IN
HELP = ReplyKind.HELP
MAYBE = ReplyKind.MAYBE_OPT_OUT
OTHER = ReplyKind.OTHER

# (reply as received, expected kind, expected matched words or None)
TABLE = [
    # Every keyword, alone, in several cases.
    ("STOP", OUT, "stop"),
    ("stop", OUT, "stop"),
    ("Stop", OUT, "stop"),
    ("sToP", OUT, "stop"),
    ("STOPALL", OUT, "stopall"),
    ("StopAll", OUT, "stopall"),
    ("UNSUBSCRIBE", OUT, "unsubscribe"),
    ("unsubscribe", OUT, "unsubscribe"),
    ("END", OUT, "end"),
    ("end", OUT, "end"),
    ("QUIT", OUT, "quit"),
    ("Quit", OUT, "quit"),
    ("CANCEL", OUT, "cancel"),
    ("cancel", OUT, "cancel"),
    ("REVOKE", OUT, "revoke"),
    ("revoke", OUT, "revoke"),
    ("OPTOUT", OUT, "optout"),
    ("OPT OUT", OUT, "opt out"),
    ("OPT-OUT", OUT, "opt out"),
    ("opt_out", OUT, "opt out"),
    # Punctuation, whitespace, emoji, repeats and full-width letters.
    ("STOP!!", OUT, "stop"),
    ("Stop.", OUT, "stop"),
    ("  stop  \n", OUT, "stop"),
    ('"STOP"', OUT, "stop"),
    ("🛑 stop 🛑", OUT, "stop"),
    ("STOP STOP STOP", OUT, "stop"),
    ("ＳＴＯＰ", OUT, "stop"),
    ("ｕｎｓｕｂｓｃｒｉｂｅ！", OUT, "unsubscribe"),
    ("Arrêt", OUT, "arret"),
    # Polite and short trailing words.
    ("stop please", OUT, "stop"),
    ("Please stop", OUT, "stop"),
    ("STOP. Thanks", OUT, "stop"),
    ("stop it", OUT, "stop"),
    ("stop all", OUT, "stop"),
    ("STOP SMS", OUT, "stop"),
    ("Unsubscribe me please", OUT, "unsubscribe"),
    ("cancel all", OUT, "cancel"),
    # A sentence of a longer reply is a strong keyword.
    ("Who is this? STOP", OUT, "stop"),
    ("Stop! I never signed up for this", OUT, "stop"),
    # Plain-language requests.
    ("please stop texting me", OUT, "stop texting"),
    ("Stop sending me these messages", OUT, "stop sending me these messages"),
    ("take me off your list", OUT, "take me off"),
    ("Take my number off your list", OUT, "take my number off"),
    ("no more texts", OUT, "no more texts"),
    ("No texts please", OUT, "no texts"),
    ("No more messages please", OUT, "no more messages"),
    ("remove me", OUT, "remove me"),
    ("Please delete my number", OUT, "delete my number"),
    ("don't text me again", OUT, "don't text me"),
    ("don't text or email me again", OUT, "don't text or email me"),
    ("Don’t text me again", OUT, "don't text me"),
    ("Do not contact me", OUT, "do not contact me"),
    ("I don't want your texts", OUT, "i don't want your texts"),
    ("How do I unsubscribe?", OUT, "how do i unsubscribe"),
    ("I want to opt out", OUT, "i want to opt out"),
    ("opt me out", OUT, "opt me out"),
    ("Why don't you stop texting me", OUT, "stop texting"),
    ("leave me alone", OUT, "leave me alone"),
    ("Wrong number", OUT, "wrong number"),
    # Opt-in and help.
    ("START", IN, "start"),
    ("Unstop", IN, "unstop"),
    ("JOIN", IN, "join"),
    ("join please", IN, "join"),
    ("HELP", HELP, "help"),
    ("help?", HELP, "help"),
    ("INFO", HELP, "info"),
    # Near-misses: never an opt-out; mentions are flagged for the owner.
    ("don't stop the sale!", MAYBE, "stop"),
    ("Can't stop smiling", MAYBE, "stop"),
    ("please don't stop texting me, I love the deals", MAYBE, "stop texting"),
    ("Don't unsubscribe me!", MAYBE, "unsubscribe me"),
    ("Please do not stop texting me", MAYBE, "stop texting"),
    ("Never stop sending me deals", MAYBE, "stop"),
    ("cancel my order #1042", MAYBE, "cancel"),
    ("Cancel. I ordered the wrong size", MAYBE, "cancel"),
    ("Can you end my subscription?", MAYBE, "end my subscription"),
    ("not interested", MAYBE, "not interested"),
    ("🛑", MAYBE, "🛑"),
    ("when does the sale end?", OTHER, None),
    ("I quit smoking thanks to you", OTHER, None),
    ("yes", OTHER, None),
    ("Thanks! See you Saturday", OTHER, None),
    ("stopped by yesterday, loved it", OTHER, None),
    ("", OTHER, None),
    ("...", OTHER, None),
]


@pytest.mark.parametrize(("text", "kind", "matched"), TABLE)
def test_classify_reply_table(text: str, kind: ReplyKind, matched: str | None) -> None:
    result = classify_reply_detailed(text)

    assert (result.kind, result.matched) == (kind, matched)
    assert classify_reply(text) is kind
    assert result.explanation


def test_table_covers_every_keyword_alone() -> None:
    whole = {
        matched for text, kind, matched in TABLE if kind is OUT and " " not in text
    }
    keywords = {"stop", "stopall", "unsubscribe", "end", "quit", "cancel", "revoke"}

    assert keywords | {"optout"} <= whole
    assert len(TABLE) >= 40


def test_normalise_reply_folds_width_case_accents_and_apostrophes() -> None:
    assert (
        normalise_reply("ＳＴＯＰ Arrêt Don’t STRASSE ß")
        == "stop arret don't strasse ss"
    )


def test_explanation_names_the_keyword_for_the_ledger() -> None:
    result = classify_reply_detailed("Stop!!")

    assert result.explanation == "The whole reply is the opt-out keyword STOP."


def test_flagged_reply_says_nothing_was_recorded() -> None:
    result = classify_reply_detailed("don't stop the sale!")

    assert "no opt-out was recorded" in result.explanation
    assert "'stop'" in result.explanation


def test_classify_reply_takes_the_channel() -> None:
    assert classify_reply("no more emails please") is MAYBE
    assert classify_reply("no more emails please", channel="email") is OUT
    assert classify_reply("no more texts please", channel="email") is MAYBE
    assert classify_reply("no emails please") is MAYBE
    assert classify_reply("no emails please", channel="email") is OUT
    assert classify_reply("no texts please", channel="email") is MAYBE


def test_an_opt_out_with_the_other_channel_in_another_sentence_stops_both() -> None:
    by_text = classify_reply_detailed("stop! also unsubscribe my email")
    by_mail = classify_reply_detailed(
        "Unsubscribe me. And no texts either.", channel="email"
    )
    alone = classify_reply_detailed("Unsubscribe me. Thanks!", channel="email")

    assert (by_text.kind, by_text.asks_channel) == (OUT, "both")
    assert (by_mail.kind, by_mail.asks_channel) == (OUT, "both")
    assert (alone.kind, alone.asks_channel) == (OUT, None)


def test_stopall_asks_to_stop_both_channels() -> None:
    by_text = classify_reply_detailed("STOPALL")
    by_mail = classify_reply_detailed("StopAll", channel="email")

    assert (by_text.kind, by_text.asks_channel) == (OUT, "both")
    assert (by_mail.kind, by_mail.asks_channel) == (OUT, "both")
    assert classify_reply_detailed("STOP").asks_channel is None


def test_cancel_in_a_sentence_explains_the_whole_reply_rule() -> None:
    result = classify_reply_detailed("cancel my order #1042")

    assert "only as the whole reply" in result.explanation


def test_reply_kind_values_are_stable_for_storage() -> None:
    assert [kind.value for kind in ReplyKind] == [
        "opt_out",
        "opt_in",
        "help",
        "maybe_opt_out",
        "other",
    ]
