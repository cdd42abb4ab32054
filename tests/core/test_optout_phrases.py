"""The opt-out phrase table: what the auditor found, by the principle behind each.

Each row is (reply, expected kind). The groups follow the module docstring of
``core.optout``: keywords alone (any case, punctuation, spaced or dotted letters,
repeats, short forms), requests about the texts or being contacted, brush-offs and
mentions for the owner, and everyday sentences that are neither.
"""

import pytest

from desktop_app.core.optout import (
    ReplyKind,
    classify_reply,
    classify_reply_detailed,
    says_the_opposite,
)

OUT = ReplyKind.OPT_OUT
REVIEW = ReplyKind.MAYBE_OPT_OUT
OTHER = ReplyKind.OTHER
IN = ReplyKind.OPT_IN

KEYWORDS_ALONE = [
    ("STOP", OUT), ("stop.", OUT), ("STOPALL", OUT), ("Unsubscribe!", OUT),
    ("END", OUT), ("quit", OUT), ("Cancel", OUT), ("REVOKE", OUT), ("OPTOUT", OUT),
    ("Opt out", OUT), ("opt-out please", OUT), ("arrêt", OUT), ("ARRET", OUT),
]  # fmt: skip
SPELLED_OUT = [
    ("S T O P", OUT), ("S.T.O.P.", OUT), ("s-t-o-p", OUT), ("E N D", OUT),
    ("U N S U B S C R I B E", OUT), ("Q.U.I.T", OUT),
]  # fmt: skip
STRETCHED_AND_SHORT = [
    ("STOPP", OUT), ("Stooop!", OUT), ("Stp", OUT), ("unsub", OUT),
    ("Unsub please", OUT), ("unsubcribe", OUT), ("CANCELL", OUT),
]  # fmt: skip
REQUESTS = [
    ("quit texting me", OUT), ("Do not text", OUT), ("dont text", OUT),
    ("Don't message me", OUT), ("stop sending me these", OUT),
    ("Stop sending me these, I hate them", OUT), ("no more texts", OUT),
    ("NO MORE", OUT), ("No more!!", OUT), ("take me off your list", OUT),
    ("lose my number", OUT), ("Forget my number please", OUT), ("remove me", OUT),
    ("revoke consent", OUT), ("I revoke my consent", OUT),
    ("I withdraw my consent to these texts", OUT), ("cease texting me", OUT),
    ("Never text me again", OUT), ("How do I unsubscribe from this?", OUT),
    ("wrong number, who is this", OUT), ("I said STOP", OUT), ("Yes stop", OUT),
    ("please stop these", OUT), ("just stop", OUT), ("Remove", REVIEW),
    ("enough with the texts", REVIEW), ("Yes", OTHER), ("I said yes", OTHER),
]  # fmt: skip
FOR_THE_OWNER = [
    ("i want out", REVIEW), ("I go away next week", REVIEW),
    ("Too many texts", REVIEW),
    ("don't stop the sale!", REVIEW), ("Cancel my order", REVIEW),
    ("cancel my order #1042 please", REVIEW), ("Please don't stop texting me", REVIEW),
    ("I don't revoke my consent", REVIEW), ("dont text after 9pm", REVIEW),
    ("Stop sending me the wrong size!", REVIEW), ("not interested", REVIEW),
    ("I never unsubscribed, why no texts?", REVIEW),
]  # fmt: skip
EVERYDAY = [
    ("when does the sale end?", OTHER), ("I quit my job, need a new outfit", OTHER),
    ("See you Saturday", OTHER), ("Is the store open late?", OTHER),
    ("stopped by yesterday", OTHER), ("I don't text much but love the shop", OTHER),
    ("Thanks!", OTHER), ("no more sizes left?", OTHER), ("Send me the link", OTHER),
    ("JOIN", IN), ("start", IN),
]  # fmt: skip
# A keyword garbled by digits, lookalike letters or invisible characters is still the
# keyword (opt-outs only: an opt-in must be clear).
GARBLED = [
    ("STOP2", OUT), ("st0p", OUT), ("5TOP", OUT), ("Stop2 please", OUT),
    ("s t 0 p", OUT), ("ＳＴＯＰ.", OUT), ("ｓｔｏｐ.", OUT), ("ЅТОР", OUT),
    ("🇸🇹🇴🇵", OUT), ("S\u200bTOP", OUT), ("st0p texting me", OUT),
    ("START2", OTHER), ("ST4RT", OTHER), ("Is code st0p10 valid?", REVIEW),
]  # fmt: skip
# Calling the texts spam or saying one never agreed is an opt-out; a keyword clause
# beside such a complaint is too. The same words as a question are for the owner.
COMPLAINTS = [
    ("Quit, this is spam", OUT), ("Quit it, this is spam", OUT),
    ("End, this is spam", OUT), ("Stop it, this is spam", OUT),
    ("Cancel, this is spam", OUT), ("Quit, who is this?", OUT), ("I quit", OUT),
    ("I never signed up for this", OUT), ("who is this? I never signed up", OUT),
    ("I didn't ask for these texts", OUT), ("spam", OUT), ("This is spam", OUT),
    ("wrong number", OUT), ("Is this spam?", REVIEW), ("Quit, I'm busy", REVIEW),
    ("I never signed up for the loyalty card, can I do it in store?", REVIEW),
    ("how did you get my number?", REVIEW),
    ("I gave you the wrong number, my new one is 555-0123", REVIEW),
    ("Your email went to my spam folder", OTHER), ("Who is this?", OTHER),
]  # fmt: skip
# Saying the opposite of an opt-out, or asking why messages stopped, is never one.
THE_OPPOSITE = [
    ("I did not unsubscribe, why no more emails? Don't stop sending!", REVIEW),
    ("why no more emails?", REVIEW), ("did not unsubscribe", REVIEW),
    ("didn't ask to stop", REVIEW), ("don't stop sending", REVIEW),
    ("never unsubscribed", REVIEW), ("no more texts?", REVIEW), ("No more?", REVIEW),
    ("Why did you stop texting me?", REVIEW),
    ("Why did I stop getting emails?", REVIEW),
    ("Stop. Actually don't stop sending, I love the deals", REVIEW),
    ("Please stop texting me, I never unsubscribed from your emails", REVIEW),
    ("Keep texting me", OTHER),
    ("No more texts please, why do you keep sending them?", OUT),
    ("You used the wrong number", OUT),
]  # fmt: skip
# END and CANCEL with the texts named; other requests and brush-offs.
MORE_REQUESTS = [
    ("cancel these texts", OUT), ("end these texts", OUT),
    ("cancel the texts please", OUT), ("Cancel it", REVIEW),
    ("please no more messages", OUT), ("opt me out", OUT), ("leave me alone", OUT),
    ("take me off", OUT), ("don't text me", OUT),
    ("Could you please stop sending me these", OUT), ("Please remove", REVIEW),
    ("No thanks", REVIEW), ("I'm done", REVIEW),
    ("Thanks, but I get too much mail", REVIEW),
]  # fmt: skip
# Opt-out words of other languages, as the whole reply only.
OTHER_LANGUAGES = [
    ("ALTO", OUT), ("PARAR", OUT), ("BAJA", OUT), ("Baja por favor", OUT),
    ("CANCELAR", OUT), ("no más mensajes", OUT), ("ARRÊT", OUT), ("Arrêt SVP", OUT),
    ("désabonner", OUT), ("El precio es muy alto", OTHER), ("La talla baja?", OTHER),
]  # fmt: skip
# "Wrong number" is an opt-out only when it is said of the recipient; about an order
# it is nothing, and said otherwise it is for the owner.
WRONG_NUMBER = [
    ("Wrong number", OUT), ("wrong number!", OUT), ("You have the wrong number", OUT),
    ("wrong number, who is this?", OUT), ("this is the wrong number for Ann", OUT),
    ("Sorry wrong number", OUT), ("I think you've got the wrong number", OUT),
    ("that's not my number anymore", OUT), ("Wrong person", OUT),
    ("You have the wrong person", OUT), ("Quit, wrong number", OUT),
    ("You sent the wrong number of items", OTHER),
    ("Wrong number on the receipt", OTHER),
    ("you sent it to the wrong person", REVIEW),
    ("the number on the receipt is not my number", REVIEW),
    ("Cancel, you sent the wrong number of items", REVIEW),
]  # fmt: skip
# Taken off the list or the messages: an opt-out; off something else: for the owner.
TAKEN_OFF = [
    ("Take me off the list please", OUT), ("take me off your mailing list", OUT),
    ("remove me from your texts", OUT), ("Remove me, I'm not interested", OUT),
    ("remove me i never signed up", OUT), ("delete my number from your phone", OUT),
    ("Remove me from the waitlist", REVIEW), ("take me off the waitlist", REVIEW),
    ("take me off the wait list", REVIEW), ("Remove me from the order", REVIEW),
    ("remove my name from the reservation", REVIEW),
    ("I want to be taken off the waitlist", REVIEW),
    ("how do i unsubscribe from the waitlist", REVIEW),
]  # fmt: skip
# Telling the shop to go away, as a clause of its own, is a request to stop.
DISMISSALS = [
    ("fuck off", OUT), ("f off", OUT), ("F*** off", OUT), ("piss off", OUT),
    ("go away", OUT), ("get lost", OUT), ("bugger off", OUT),
    ("fuck off with these texts", OUT), ("Fuck off and stop texting me", OUT),
    ("go away, I never signed up", OUT), ("fuck you", REVIEW),
    ("don't go away", REVIEW), ("fuck yes I'll come to the sale", OTHER),
    ("fuck me that's a good deal", OTHER),
]  # fmt: skip
# A question mark right after a keyword sentence, a dismissal or "wrong number", or
# "just kidding", "jk", "kidding" or "no way" after it, makes it unclear; the keyword
# alone with a question mark is still the keyword.
TAKEN_BACK = [
    ("wrong number? no, it's me Ann", REVIEW), ("Go away? never!", REVIEW),
    ("Fuck off! Just kidding, love the sale", REVIEW),
    ("stop? no way, keep them coming", REVIEW), ("Stop. Just kidding", REVIEW),
    ("Stop, jk", REVIEW), ("fuck off jk", REVIEW), ("go away, jk, love you", REVIEW),
    ("wrong number lol jk", REVIEW), ("Wrong number?", REVIEW), ("go away?", REVIEW),
    ("Who is this? STOP?", REVIEW), ("Stop? no way", REVIEW),
    ("STOP?", OUT), ("Fuck off! I'm not kidding", OUT), ("Stop! I'm not kidding", OUT),
    ("Wrong number? Stop texting me", OUT), ("Stop? Stop texting me!", OUT),
    ("Stop texting me. No way I signed up for this", OUT),
]  # fmt: skip
# Email words and text words, by text (the default channel): a request naming only
# the emails is for the owner; "mailing list" is the shop's list, not the emails.
CHANNEL_WORDS = [
    ("stop the e-mails please", REVIEW), ("stop the newsletter", REVIEW),
    ("stop mailing me", REVIEW), ("stop e-mailing me", REVIEW),
    ("unsubscribe my email address", REVIEW), ("no more e-mails", REVIEW),
    ("stop the mails", REVIEW), ("stop sending me newsletters", REVIEW),
    ("don't e-mail me", REVIEW), ("unsubscribe emails", REVIEW),
    ("Take my email off your list", REVIEW), ("remove my email", REVIEW),
    ("delete my email address", REVIEW), ("take me off your email list", REVIEW),
    ("Remove my email from the order", REVIEW),
    ("take me off your mailing list", OUT),
    ("unsubscribe me from the mailing list", OUT),
    ("stop the text messages", OUT), ("no more SMS", OUT), ("no more txts", OUT),
    ("remove my number", OUT), ("remove my phone number", OUT),
    ("unsubscribe my number", OUT), ("too many e-mails", REVIEW),
    ("no emails please", REVIEW), ("stop mail", REVIEW), ("stop the mail", REVIEW),
    ("no more emails", REVIEW), ("don't email me", REVIEW), ("no texts please", OUT),
    ("no emails?", REVIEW), ("no emails yet, is my order shipped?", OTHER),
    ("did you get my mail?", OTHER),
]  # fmt: skip
# A clear request naming both channels, or asking for everything, is an opt-out.
BOTH_CHANNELS = [
    ("stop texting me and emailing me", OUT), ("no more texts or emails", OUT),
    ("unsubscribe me from everything", OUT), ("stop all messages", OUT),
    ("STOPALL", OUT), ("StopAll please", OUT), ("stop all", OUT),
    ("unsubscribe all", OUT), ("I don't want emails or texts", OUT),
    ("remove my email and phone number", OUT), ("Who is this? STOPALL", OUT),
    ("unsubscribe me from everything but keep texts", OUT),
    ("don't text or email me again", OUT), ("STOP. and no emails either", OUT),
    ("stop! also unsubscribe my email", OUT), ("stop everything", OUT),
    ("Stop texting me. Same for the emails", OUT), ("Stop, no emails either", OUT),
]  # fmt: skip
TABLE = KEYWORDS_ALONE + SPELLED_OUT + STRETCHED_AND_SHORT + REQUESTS
TABLE += FOR_THE_OWNER + EVERYDAY + GARBLED + COMPLAINTS + THE_OPPOSITE
TABLE += MORE_REQUESTS + OTHER_LANGUAGES + WRONG_NUMBER + TAKEN_OFF + DISMISSALS
# A wish to end or quit, without naming the texts: for the owner.
WISHES = [
    ("I want to end this", REVIEW),
    ("I want to quit", REVIEW),
    ("I would like to end it", REVIEW),
    ("I want to endorse you on Yelp", OTHER),
]
TABLE += TAKEN_BACK + CHANNEL_WORDS + BOTH_CHANNELS + WISHES

# A reply by text that names only the emails, and a mail that names only the texts,
# are for the owner; a request naming both or neither stops the channel it came by.
BY_CHANNEL = [
    ("unsubscribe me from emails but keep texts", "sms", REVIEW),
    ("stop the emails", "sms", REVIEW), ("no more emails please", "sms", REVIEW),
    ("Unsubscribe me from the newsletter", "sms", REVIEW),
    ("no more emails, texts are fine", "sms", REVIEW),
    ("fuck off with these emails", "sms", REVIEW),
    ("stop texting me", "sms", OUT), ("Stop texting me but keep the emails", "sms", OUT),
    ("Stop texting and emailing me", "sms", OUT), ("STOP. I only want emails", "sms", OUT),
    ("stop texting me", "email", REVIEW), ("no more texts please", "email", REVIEW),
    ("don't text me", "email", REVIEW), ("lose my number", "email", REVIEW),
    ("stop emailing me", "email", OUT), ("no more emails please", "email", OUT),
    ("unsubscribe me from emails but keep texts", "email", OUT),
    ("Stop texting and emailing me", "email", OUT), ("UNSUBSCRIBE", "email", OUT),
    ("Please remove me", "email", OUT), ("take me off your list", "email", OUT),
    ("no emails please", "email", OUT), ("no texts please", "email", REVIEW),
    ("Unsubscribe me. And no texts either.", "email", OUT),
    ("don't text or email me again", "email", OUT),
]  # fmt: skip
# Which channel a request is about (``asks_channel``): the other one when it names
# only that, "both" when it names both or asks for everything, else None.
ASKS_CHANNEL = [
    ("stop the e-mails please", "sms", REVIEW, "email"),
    ("stop the newsletter", "sms", REVIEW, "email"),
    ("stop mailing me", "sms", REVIEW, "email"),
    ("stop e-mailing me", "sms", REVIEW, "email"),
    ("unsubscribe my email address", "sms", REVIEW, "email"),
    ("no more e-mails", "sms", REVIEW, "email"),
    ("stop the mails", "sms", REVIEW, "email"),
    ("Unsubscribe newsletter", "sms", REVIEW, "email"),
    ("don't e-mail me", "sms", REVIEW, "email"),
    ("Take my email off your list", "sms", REVIEW, "email"),
    ("remove my email", "sms", REVIEW, "email"),
    ("delete my email address", "sms", REVIEW, "email"),
    ("remove my email from your list", "sms", REVIEW, "email"),
    ("stop the e-mails please", "email", OUT, None),
    ("delete my email address", "email", OUT, None),
    ("stop mailing me", "email", OUT, None),
    ("take me off your mailing list", "sms", OUT, None),
    ("unsubscribe from the mailing list", "email", OUT, None),
    ("remove my number", "email", REVIEW, "sms"),
    ("remove my phone number", "email", REVIEW, "sms"),
    ("unsubscribe my number", "email", REVIEW, "sms"),
    ("take my phone number off your list", "email", REVIEW, "sms"),
    ("stop the text messages", "email", REVIEW, "sms"),
    ("STOP SMS", "email", REVIEW, "sms"), ("no more SMS", "email", REVIEW, "sms"),
    ("no more txts", "email", REVIEW, "sms"),
    ("stop texting", "email", REVIEW, "sms"),
    ("stop all texts", "email", REVIEW, "sms"),
    ("remove my number", "sms", OUT, None), ("stop all texts", "sms", OUT, None),
    ("stop texting me and emailing me", "sms", OUT, "both"),
    ("stop texting me and emailing me", "email", OUT, "both"),
    ("Stop texting and emailing me", "sms", OUT, "both"),
    ("no more texts or emails", "sms", OUT, "both"),
    ("no more texts or emails", "email", OUT, "both"),
    ("unsubscribe me from everything", "sms", OUT, "both"),
    ("unsubscribe me from everything", "email", OUT, "both"),
    ("stop all messages", "sms", OUT, "both"),
    ("stop all messages", "email", OUT, "both"),
    ("STOPALL", "sms", OUT, "both"), ("STOPALL", "email", OUT, "both"),
    ("stop all", "sms", OUT, "both"),
    ("I don't want emails or texts", "sms", OUT, "both"),
    ("remove my email and phone number", "email", OUT, "both"),
    ("unsubscribe me from everything but keep texts", "sms", OUT, None),
    ("Stop texting me but keep the emails", "sms", OUT, None),
    ("STOP", "sms", OUT, None), ("STOP", "email", OUT, None),
    ("Go away? never!", "sms", REVIEW, None),
    # A request naming both channels, or an opt-out with a request about the other
    # channel in another sentence, stops both; "no X please" names channel X.
    ("don't text or email me again", "sms", OUT, "both"),
    ("don't text or email me again", "email", OUT, "both"),
    ("no emails please", "sms", REVIEW, "email"),
    ("no emails please", "email", OUT, None),
    ("no texts please", "email", REVIEW, "sms"),
    ("no texts please", "sms", OUT, None),
    ("STOP. and no emails either", "sms", OUT, "both"),
    ("stop! also unsubscribe my email", "sms", OUT, "both"),
    ("stop everything", "sms", OUT, "both"),
    ("stop everything", "email", OUT, "both"),
    ("stop mail", "sms", REVIEW, "email"), ("stop the mail", "sms", REVIEW, "email"),
    ("stop the mail", "email", OUT, None),
    ("no more emails", "sms", REVIEW, "email"),
    ("don't email me", "sms", REVIEW, "email"),
    ("Unsubscribe me. And no texts either.", "email", OUT, "both"),
    ("Stop texting me. Same for the emails", "sms", OUT, "both"),
    ("remove me. same for my email", "sms", OUT, "both"),
    ("Stop, no emails either", "sms", OUT, "both"),
    ("no more emails. STOP", "sms", OUT, "both"),
    ("stop the emails. stop texting too", "sms", OUT, "both"),
    ("STOP. and no emails either", "email", OUT, None),
    ("stop! also unsubscribe my email", "email", OUT, None),
    ("STOP. I love the emails though", "sms", OUT, None),
    ("Stop texting me. Why no emails?", "sms", OUT, None),
    ("STOP. Same for the emails?", "sms", OUT, None),
    ("no more emails, texts are fine", "sms", REVIEW, "email"),
    ("Stop the emails, keep the texts", "sms", REVIEW, "email"),
]  # fmt: skip
# What each explanation must say: what was actually found, in the reply's words.
EXPLANATIONS = [
    ("STOP", "The whole reply is the opt-out keyword STOP."),
    ("STOP STOP STOP", "The whole reply is the opt-out keyword STOP, repeated."),
    ("STOP thanks", "The reply is the opt-out keyword STOP with a polite word: "
     "'stop thanks'."),
    ("Baja por favor", "The reply is the opt-out keyword BAJA with polite words: "
     "'baja por favor'."),
    ("I quit", "The reply says 'i quit', the opt-out keyword QUIT."),
    ("end these texts", "The reply asks to end the texts: 'end these texts'."),
    ("STOP SMS", "The reply asks to stop the texts: 'stop sms'."),
    ("I said STOP", "The reply is the opt-out keyword STOP with 'i said' before it."),
    ("stop it", "The reply is the opt-out keyword STOP followed by 'it'."),
    ("join please", "The reply is the opt-in keyword JOIN with a polite word: "
     "'join please'."),
    ("Who is this? STOP", "One sentence of the reply is the opt-out keyword STOP."),
    ("Who is this? I said stop", "One sentence of the reply is the opt-out keyword "
     "STOP: 'i said stop'."),
    ("Quit, who is this?", "The reply has the opt-out keyword QUIT as a clause of its "
     "own beside the complaint 'who is this'."),
    ("cancel the texts please", "The reply asks to cancel the texts: "
     "'cancel the texts please'."),
    ("Do not text", "The reply asks not to be sent messages: 'do not text'."),
    ("take me off your list", "The reply asks to be taken off the list: "
     "'take me off'."),
    ("no more texts", "The reply asks for no more messages: 'no more texts'."),
    ("How do I unsubscribe?", "The reply asks how to stop the messages, which is a "
     "request to stop them: 'how do i unsubscribe'."),
    ("You have the wrong number", "The reply says 'you have the wrong number': the "
     "texts reach someone who never agreed to them."),
    ("fuck off", "The reply tells the shop to go away: 'fuck off'; a reasonable "
     "reader takes it as a request to stop."),
    ("Remove me from the waitlist", "The reply says 'remove me from the waitlist', "
     "about 'the waitlist' rather than these messages; no opt-out was recorded. "
     "Read it and decide."),
    ("Too many texts", "The reply says 'too many texts', which may or may not ask "
     "to stop them; no opt-out was recorded. Read it and decide."),
]  # fmt: skip


@pytest.mark.parametrize(("text", "kind"), TABLE)
def test_phrase_table(text: str, kind: ReplyKind) -> None:
    result = classify_reply_detailed(text)

    assert result.kind is kind, result.explanation
    assert result.explanation


@pytest.mark.parametrize(("text", "channel", "kind"), BY_CHANNEL)
def test_a_request_naming_only_the_other_channel_is_for_the_owner(
    text: str, channel: str, kind: ReplyKind
) -> None:
    result = classify_reply_detailed(text, channel=channel)

    assert result.kind is kind, result.explanation


def test_the_other_channel_flag_names_the_request_and_the_way_out() -> None:
    by_text = classify_reply_detailed("unsubscribe me from emails but keep texts")
    by_mail = classify_reply_detailed("stop texting me", channel="email")

    assert by_text.matched == "unsubscribe me from emails"
    assert "came by text" in by_text.explanation
    assert "it stops the emails; the texts go on" in by_text.explanation
    assert by_text.asks_channel == "email"
    assert "came by email" in by_mail.explanation
    assert "it stops the texts; the emails go on" in by_mail.explanation
    assert by_mail.asks_channel == "sms"
    assert classify_reply_detailed("STOP").asks_channel is None


@pytest.mark.parametrize(("text", "channel", "kind", "asks"), ASKS_CHANNEL)
def test_asks_channel_names_the_channel_the_request_is_about(
    text: str, channel: str, kind: ReplyKind, asks: str | None
) -> None:
    result = classify_reply_detailed(text, channel=channel)

    assert (result.kind, result.asks_channel) == (kind, asks), result.explanation


def test_a_request_for_both_channels_says_so() -> None:
    both = classify_reply_detailed("no more texts or emails")
    everything = classify_reply_detailed("STOPALL", channel="email")

    assert both.explanation == (
        "The reply asks to stop both the texts and the emails: "
        "'no more texts or emails'."
    )
    assert everything.matched == "stopall"
    assert "asks to stop both the texts and the emails" in everything.explanation


def test_a_request_about_the_other_channel_in_another_sentence_names_both() -> None:
    result = classify_reply_detailed("STOP. and no emails either")

    assert (result.kind, result.matched, result.asks_channel) == (OUT, "stop", "both")
    assert result.explanation == (
        "The reply asks to stop both the texts and the emails: 'stop' and "
        "'and no emails either'."
    )


def test_a_keyword_or_dismissal_taken_back_says_what_took_it_back() -> None:
    asked = classify_reply_detailed("Go away? never!")
    joking = classify_reply_detailed("Fuck off! Just kidding, love the sale")

    assert asked.matched == "go away"
    assert asked.explanation == (
        "The reply asks 'go away?' as a question, so it may not ask to stop; no "
        "opt-out was recorded. Read it and decide."
    )
    assert joking.matched == "fuck off"
    assert "'fuck off' but then 'just kidding'" in joking.explanation
    assert "no opt-out was recorded" in joking.explanation


@pytest.mark.parametrize(("text", "explanation"), EXPLANATIONS)
def test_explanation_says_what_was_found(text: str, explanation: str) -> None:
    assert classify_reply_detailed(text).explanation == explanation


def test_table_is_large_and_covers_every_group() -> None:
    kinds = {kind for _text, kind in TABLE}

    assert len(TABLE) >= 60
    assert {OUT, REVIEW, OTHER} <= kinds


def test_spelled_out_keyword_is_named_in_the_evidence() -> None:
    result = classify_reply_detailed("S.T.O.P.")

    assert result.matched == "stop"
    assert result.explanation == "The whole reply is the opt-out keyword STOP."


def test_spaced_letters_that_spell_no_keyword_stay_as_they_are() -> None:
    assert classify_reply("A B C") is OTHER
    assert classify_reply("s t o p p e d") is OTHER


def test_shop_join_keywords_are_opt_ins_only_as_the_whole_reply() -> None:
    result = classify_reply_detailed("Deals!", join_keywords=["DEALS", "VIP10"])

    assert (result.kind, result.matched) == (IN, "deals")
    assert "JOIN keyword" in result.explanation
    assert classify_reply("vip10 please", join_keywords=["VIP10"]) is IN
    assert classify_reply("any deals today?", join_keywords=["DEALS"]) is OTHER
    assert classify_reply("DEALS") is OTHER


def test_a_join_keyword_never_hides_an_opt_out() -> None:
    assert classify_reply("STOP", join_keywords=["STOP"]) is OUT


def test_a_garbled_keyword_is_named_as_the_keyword() -> None:
    result = classify_reply_detailed("5T0P2")

    assert (result.kind, result.matched) == (OUT, "stop")
    assert result.explanation == "The whole reply is the opt-out keyword STOP."


def test_a_request_beside_the_opposite_names_both_for_the_owner() -> None:
    result = classify_reply_detailed("Stop. Actually don't stop sending")

    assert result.kind is REVIEW
    assert "'stop'" in result.explanation
    assert "'don't stop sending'" in result.explanation
    assert "no opt-out was recorded" in result.explanation


def test_says_the_opposite_finds_denials_but_not_complaints() -> None:
    assert says_the_opposite("I did not unsubscribe!") == "did not unsubscribe"
    assert says_the_opposite("Keep them coming") == "keep them coming"
    assert says_the_opposite("Why do you keep texting me?") is None
    assert says_the_opposite("I can't unsubscribe, stop texting me") is None
