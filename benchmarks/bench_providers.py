"""Speed of the real providers against local servers, each next to its baseline.

SMS: ``TwilioSms.send_sms`` in a loop versus a bare ``twilio`` ``Client`` loop, both
against the same Twilio emulator in this process (goal: at least 0.7x the bare loop).
Email: ``SmtpEmail`` sending a batch over one connection versus yagmail's default
``send()`` (a new connection and login per message), both against the same aiosmtpd
server (goal: at least 1.2x yagmail). Each measurement is the median of a few rounds,
alternating the two sides so that machine noise hits both. The servers run in a child
process, so they do not share the client's GIL (TESTING.md section 1: sharing it halves
the rate and hides client-side costs).

Run: ``.venv/bin/python benchmarks/bench_providers.py [--sms N] [--email N]``.
"""

import argparse
import logging
import multiprocessing
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from desktop_app.providers.base import OutgoingEmail
from desktop_app.providers.smtp_email import SmtpEmail
from desktop_app.providers.twilio_sms import TwilioSms
from tests.helpers.smtp_server import PASSWORD, USER, Capture, start_server
from tests.helpers.twilio_emulator import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDER,
    TwilioEmulator,
)

ROUNDS = 3
CUSTOMER = "+15550100123"
BODY = "Hi Sam, your receipt for order 1042 is in your inbox. Reply STOP to opt out."


class _BareLocalHttpClient(TwilioHttpClient):
    """TESTING.md recipe A: rewrite only scheme and host, nothing else."""

    def __init__(self, base_url: str) -> None:
        super().__init__(timeout=10)
        self._base = urlsplit(base_url)

    def request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def]
        """Send to the emulator."""
        parts = urlsplit(url)
        local = urlunsplit(
            (self._base.scheme, self._base.netloc, parts.path, parts.query, "")
        )
        return super().request(method, local, *args, **kwargs)


def _serve(kind: str, conn: Connection) -> None:
    """Child process: run one server until the parent says stop, then report."""
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    if kind == "smtp":
        server = start_server(Capture(parse=False))
        conn.send(f"{server.host}:{server.port}")
        conn.recv()
        conn.send(server.capture.count)
        server.stop()
    else:
        emulator = TwilioEmulator().start()
        conn.send(emulator.base_url)
        conn.recv()
        conn.send(len(emulator.created()))
        emulator.stop()


@contextmanager
def _server_process(kind: str, received: list[int]) -> Iterator[str]:
    """Run a server in a child process; yield its address; append its count."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=_serve, args=(kind, theirs), daemon=True)
    child.start()
    try:
        if not ours.poll(30):
            raise RuntimeError(f"the {kind} server did not start")
        yield str(ours.recv())
        ours.send("stop")
        if ours.poll(30):
            received.append(int(ours.recv()))
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.kill()


def _rate(count: int, work: Callable[[], None]) -> float:
    started = time.perf_counter()
    work()
    return count / (time.perf_counter() - started)


def bench_sms(count: int) -> tuple[float, float]:
    """Return (TwilioSms msg/s, bare client msg/s), medians of ``ROUNDS``."""
    ours: list[float] = []
    bare: list[float] = []
    received: list[int] = []
    with _server_process("twilio", received) as base_url:
        for _ in range(ROUNDS):
            provider = TwilioSms(ACCOUNT_SID, AUTH_TOKEN, SENDER, base_url=base_url)
            provider.send_sms(CUSTOMER, BODY)  # connect outside the timing

            def send_ours(provider: TwilioSms = provider) -> None:
                for _ in range(count):
                    provider.send_sms(CUSTOMER, BODY)

            ours.append(_rate(count, send_ours))
            provider.close()

            http = _BareLocalHttpClient(base_url)
            client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http)
            client.messages.create(to=CUSTOMER, from_=SENDER, body=BODY)

            def send_bare(client: Client = client) -> None:
                for _ in range(count):
                    client.messages.create(to=CUSTOMER, from_=SENDER, body=BODY)

            bare.append(_rate(count, send_bare))
            if http.session is not None:
                http.session.close()
    print(f"(the emulator created {received[0] if received else '?'} messages)")
    return statistics.median(ours), statistics.median(bare)


def bench_email(count: int) -> tuple[float, float]:
    """Return (SmtpEmail batch msg/s, yagmail default msg/s), medians of ``ROUNDS``."""
    import yagmail

    mails = [
        OutgoingEmail(
            to=f"customer{n}@example.com",
            to_name=f"Customer {n}",
            subject="Your receipt",
            text="Hi,\nyour receipt is attached below.\nThanks!",
            html="<p>Hi,</p><p>your receipt is attached below.</p><p>Thanks!</p>",
            headers={"List-Unsubscribe": "<mailto:unsubscribe@example.com>"},
        )
        for n in range(count)
    ]
    ours: list[float] = []
    theirs: list[float] = []
    received: list[int] = []
    with _server_process("smtp", received) as address:
        host, _, port = address.partition(":")
        for _ in range(ROUNDS):
            provider = SmtpEmail(
                host, int(port), "none", USER, PASSWORD, "shop@example.com"
            )

            def send_ours(provider: SmtpEmail = provider) -> None:
                for mail in mails:
                    provider.send_email(mail)
                provider.close()

            ours.append(_rate(count, send_ours))

            yag = yagmail.SMTP(
                USER,
                PASSWORD,
                host=host,
                port=int(port),
                smtp_ssl=False,
                smtp_starttls=False,
            )

            def send_yagmail(yag: yagmail.SMTP = yag) -> None:
                for mail in mails:
                    yag.send(mail.to, mail.subject, mail.html, headers=mail.headers)
                yag.close()

            theirs.append(_rate(count, send_yagmail))
    print(f"(the server received {received[0] if received else '?'} emails)")
    return statistics.median(ours), statistics.median(theirs)


def main() -> None:
    """Run both benchmarks and print rates and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sms", type=int, default=500, help="SMS per round")
    parser.add_argument("--email", type=int, default=200, help="emails per round")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # yagmail leaks one socket per send, by design
    logging.getLogger("mail.log").setLevel(logging.ERROR)

    ours, bare = bench_sms(args.sms)
    print(f"SMS   TwilioSms.send_sms : {ours:8.0f} msg/s")
    print(f"SMS   bare twilio Client : {bare:8.0f} msg/s")
    print(f"SMS   ratio              : {ours / bare:8.2f}x  (goal >= 0.70x)")

    ours, theirs = bench_email(args.email)
    print(f"Email SmtpEmail batch    : {ours:8.0f} msg/s")
    print(f"Email yagmail default    : {theirs:8.0f} msg/s")
    print(f"Email ratio              : {ours / theirs:8.2f}x  (goal >= 1.20x)")


if __name__ == "__main__":
    main()
