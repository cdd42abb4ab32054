"""SMS through Twilio's REST API, with every library error turned into a plain message.

One :class:`TwilioSms` holds one ``twilio`` ``Client`` and so one keep-alive HTTPS
connection; use one instance per sending thread. Every request has a timeout.

The API base address can be overridden (``base_url=`` or the ``DUET_TWILIO_API_URL``
environment variable) for tests and for owners behind a proxy. The override rewrites
only the scheme and host of each URL inside a ``TwilioHttpClient`` subclass, so the
real client code (request building, auth, parsing, errors) still runs.

Every ``ProviderError`` raised here carries two extra attributes the sending queue reads:
``retry_after`` (seconds to wait before retrying, or ``None``) and ``maybe_sent`` (True
when Twilio may have created the message although the answer never arrived, so the
queue must reconcile before sending again).
"""

import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3.exceptions
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from desktop_app.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderUnavailable,
    RecipientRejected,
)
from desktop_app.providers.base import SendReceipt

logger = logging.getLogger(__name__)

API_URL_ENV = "DUET_TWILIO_API_URL"
DEFAULT_RETRY_AFTER = 1.0
MAX_RETRY_AFTER = 300.0

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_RECIPIENT_ERRORS = {
    21211: "Twilio says this is not a valid phone number.",
    21610: (
        "The customer has opted out (replied STOP); Twilio will not deliver texts to "
        "this number until they reply START."
    ),
    21614: "Twilio says this number is not a mobile number, so it cannot receive texts.",
    21612: "Twilio cannot reach this number from your sender.",
    21408: (
        "Your Twilio account may not text this country; enable it in the Twilio "
        "console under Messaging > Geo permissions."
    ),
}
_SENDER_ERRORS = {21212, 21606, 21659, 21660, 21703, 21705}


@dataclass(frozen=True)
class ProviderMessage:
    """One message as Twilio records it (sent or received).

    Attributes:
        sid: Twilio's message SID.
        to: the recipient number.
        from_: the sender number (may be empty for a Messaging Service send).
        body: the text.
        status: Twilio's status (queued, sent, delivered, failed, received...).
        direction: ``inbound`` or ``outbound-api``.
        created: when Twilio created the record.
        segments: the number of segments Twilio counted, when known.
        price: the price (negative for a charge), when known.
        error_code: Twilio's delivery error code, when the message failed.
    """

    sid: str
    to: str
    from_: str
    body: str
    status: str
    direction: str
    created: datetime | None
    segments: int | None = None
    price: float | None = None
    error_code: int | None = None


class _DuetHttpClient(TwilioHttpClient):
    """``TwilioHttpClient`` that may redirect to another base and keeps ``Retry-After``."""

    def __init__(self, *, base_url: str | None, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self._base = urlsplit(base_url) if base_url else None
        self.retry_after: float | None = None

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        """Send one request, to the override base address when one is set."""
        if self._base is not None:
            parts = urlsplit(url)
            url = urlunsplit(
                (self._base.scheme, self._base.netloc, parts.path, parts.query, "")
            )

        self.retry_after = None
        response = super().request(
            method, url, params, data, headers, auth, timeout, allow_redirects
        )
        if response.status_code == 429:
            self.retry_after = _retry_after_seconds(response.headers)
        return response

    def close(self) -> None:
        """Close the pooled connection."""
        if self.session is not None:
            self.session.close()


class TwilioSms:
    """Sends SMS with Twilio; see the module docstring.

    Args:
        account_sid: the Account SID (``AC...``).
        auth_token: the Auth Token, or the API key's secret when ``api_key`` is given.
        sender: a phone number in E.164 form or a Messaging Service SID (``MG...``).
        api_key: an API key SID (``SK...``) to log in with instead of the Auth Token.
        timeout: seconds to wait for each connect and each answer.
        base_url: another API base address, such as ``http://127.0.0.1:8080``; when
            ``None``, ``DUET_TWILIO_API_URL`` is used if set.
        rate: segments per second this sender may send (1 for a US long code);
            the send loop paces itself by it.
    """

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: str,
        *,
        api_key: str | None = None,
        timeout: float = 10.0,
        base_url: str | None = None,
        rate: float | None = None,
    ) -> None:
        self.rate = rate
        base_url = base_url or os.environ.get(API_URL_ENV) or None
        if base_url is not None and urlsplit(base_url).scheme not in ("http", "https"):
            raise ProviderError(
                f"The Twilio API address {base_url!r} must start with http:// or https://."
            )

        self._account_sid = account_sid
        self._sender = sender
        self._timeout = timeout
        self._http = _DuetHttpClient(base_url=base_url, timeout=timeout)
        if api_key:
            self._client = Client(
                api_key, auth_token, account_sid, http_client=self._http
            )
        else:
            self._client = Client(account_sid, auth_token, http_client=self._http)

    def send_sms(self, to: str, body: str) -> SendReceipt:
        """Ask Twilio to send ``body`` to ``to``.

        Args:
            to: the recipient in E.164 form.
            body: the text.

        Returns:
            The receipt with the message SID, Twilio's first status and segments.

        Raises:
            ProviderError: 429 (``retryable``, ``retry_after``) and other refusals.
            RecipientRejected: opted out (21610), invalid (21211), landline (21614)...
            ProviderAuthError: the credentials were refused.
            ProviderUnavailable: Twilio failed or did not answer; ``maybe_sent`` says
                whether the message may exist anyway.
        """
        fields: dict[str, Any] = {"to": to, "body": body}
        if self._sender.startswith("MG"):
            fields["messaging_service_sid"] = self._sender
        else:
            fields["from_"] = self._sender

        try:
            message = self._client.messages.create(**fields)
        except Exception as error:
            raise self._translate(error, creating=True) from error

        logger.debug("twilio accepted %s to …%s", message.sid, to[-2:])
        return SendReceipt(
            provider=self.name,
            provider_id=message.sid or "",
            status=message.status or "queued",
            segments=_int_or_none(message.num_segments),
            price=_float_or_none(message.price),
        )

    def fetch_status(self, sid: str) -> str:
        """Return Twilio's current status of one message (queued, sent, delivered...).

        Args:
            sid: the message SID a send returned.

        Returns:
            The status word.

        Raises:
            ProviderError: or a subclass, as for :meth:`send_sms`.
        """
        return self.fetch(sid).status

    def fetch(self, sid: str) -> ProviderMessage:
        """Return Twilio's record of one message.

        Args:
            sid: the message SID a send returned.

        Returns:
            The record.

        Raises:
            ProviderError: or a subclass, as for :meth:`send_sms`.
        """
        try:
            return _from_instance(self._client.messages(sid).fetch())
        except Exception as error:
            raise self._translate(error, creating=False) from error

    def list_sent_to(
        self, to: str, since: datetime, *, limit: int = 200
    ) -> list[ProviderMessage]:
        """Return the messages Twilio holds for ``to`` created at or after ``since``.

        Used after a crash to learn whether a message left in ``sending`` exists.
        Queued messages have no send date yet, so this lists newest first and stops
        at the first one created before ``since`` instead of filtering on send date.

        Args:
            to: the recipient number in E.164 form.
            since: the earliest creation time (a naive value is taken as UTC).
            limit: the most records to read.

        Returns:
            The matching outbound messages, newest first.

        Raises:
            ProviderError: or a subclass, as for :meth:`send_sms`.
        """
        found = self._list_since(since, limit, to=to)
        return [m for m in found if m.direction != "inbound"]

    def list_received(
        self, since: datetime, *, limit: int = 200
    ) -> list[ProviderMessage]:
        """Return the replies customers sent to this sender since ``since``.

        Args:
            since: the earliest creation time (a naive value is taken as UTC).
            limit: the most records to read.

        Returns:
            The inbound messages, newest first.

        Raises:
            ProviderError: or a subclass, as for :meth:`send_sms`.
        """
        to = None if self._sender.startswith("MG") else self._sender
        found = self._list_since(since, limit, to=to)
        return [m for m in found if m.direction == "inbound"]

    def check_connection(self) -> str:
        """Log in and read the account, to prove the credentials work.

        Returns:
            A plain sentence naming the account.

        Raises:
            ProviderAuthError: the credentials were refused.
            ProviderError: the account is not active, or another refusal.
            ProviderUnavailable: Twilio could not be reached.
        """
        try:
            account = self._client.api.v2010.accounts(self._account_sid).fetch()
        except Exception as error:
            raise self._translate(error, creating=False) from error

        name = account.friendly_name or self._account_sid
        if account.status and account.status != "active":
            raise _with_extras(
                ProviderAuthError(
                    f"Twilio answered, but the account “{name}” is {account.status}."
                )
            )
        return f"Connected to Twilio: the account “{name}” is active."

    def close(self) -> None:
        """Close the keep-alive connection; safe to call twice."""
        self._http.close()

    def _list_since(
        self, since: datetime, limit: int, *, to: str | None
    ) -> list[ProviderMessage]:
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        filters: dict[str, Any] = {"page_size": min(limit, 50)}
        if to is not None:
            filters["to"] = to

        found: list[ProviderMessage] = []
        try:
            for instance in self._client.messages.stream(**filters):
                record = _from_instance(instance)
                if record.created is not None and record.created < since:
                    break
                found.append(record)
                if len(found) >= limit:
                    break
        except Exception as error:
            raise self._translate(error, creating=False) from error
        return found

    def _translate(self, error: Exception, *, creating: bool) -> ProviderError:
        if isinstance(error, TwilioException):
            translated = _from_twilio(error, creating=creating)
            if translated.code == 20429:
                translated.retry_after = (  # type: ignore[attr-defined]
                    self._http.retry_after or DEFAULT_RETRY_AFTER
                )
        elif isinstance(error, requests.RequestException):
            translated = _from_network(error, creating=creating, timeout=self._timeout)
        elif isinstance(error, ValueError):
            translated = _with_extras(
                ProviderUnavailable(
                    "Twilio's answer could not be read; check History before sending "
                    "this message again.",
                    retryable=True,
                    detail=f"{type(error).__name__}",
                ),
                maybe_sent=creating,
            )
        else:
            raise error
        logger.debug("twilio error: %s (%s)", translated.code, translated.detail)
        return translated


def _with_extras(
    error: ProviderError, *, retry_after: float | None = None, maybe_sent: bool = False
) -> ProviderError:
    error.retry_after = retry_after
    error.maybe_sent = maybe_sent
    return error


def _status_and_code(error: TwilioException) -> tuple[int | None, int | None]:
    status = getattr(error, "status", None)
    code = getattr(error, "code", None)
    if status is None and len(error.args) > 1:
        status = getattr(error.args[1], "status_code", None)
    return _int_or_none(status), _int_or_none(code)


def _twilio_text(error: TwilioException) -> str:
    text = ""
    for name in ("msg", "detail", "title"):
        value = getattr(error, name, None)
        if isinstance(value, str) and value:
            text = value
            break
    text = _ANSI.sub("", text)
    text = re.sub(r"^Unable to \w+ record:\s*", "", text).strip()
    return text[:200]


def _from_twilio(error: TwilioException, *, creating: bool) -> ProviderError:
    status, code = _status_and_code(error)
    text = _twilio_text(error)
    detail = f"HTTP {status}, code {code}: {text}"
    if code == 20429 or status == 429:
        return _with_extras(
            ProviderError(
                "Twilio is limiting how fast this sender may send; Duet will wait "
                "and try again.",
                code=20429,
                retryable=True,
                detail=detail,
            ),
            retry_after=DEFAULT_RETRY_AFTER,
        )

    if code == 20003 or status == 401:
        return _with_extras(
            ProviderAuthError(
                "Twilio refused the Account SID and Auth Token (or API key and secret); "
                "check them in Settings.",
                code=20003,
                detail=detail,
            )
        )

    if code in _RECIPIENT_ERRORS:
        return _with_extras(
            RecipientRejected(_RECIPIENT_ERRORS[code], code=code, detail=detail)
        )

    if code in _SENDER_ERRORS:
        return _with_extras(
            ProviderError(
                "Twilio will not send from this sender; check the sender number or "
                f"Messaging Service in Settings (Twilio error {code}).",
                code=code,
                detail=detail,
            )
        )

    if code == 20404 or status == 404:
        return _with_extras(
            ProviderError("Twilio has no record of that.", code=20404, detail=detail)
        )

    if status is not None and status >= 500:
        return _with_extras(
            ProviderUnavailable(
                f"Twilio is having trouble (HTTP {status}); Duet will try again later.",
                code=code or status,
                retryable=True,
                detail=detail,
            ),
            maybe_sent=creating and status == 504,
        )

    words = f": {text}" if text else "."
    return _with_extras(
        ProviderError(
            f"Twilio refused the request (error {code or status}){words}",
            code=code or status,
            detail=detail,
        )
    )


def _never_connected(error: requests.RequestException) -> bool:
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(
        reason,
        urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError,
    )


def _from_network(
    error: requests.RequestException, *, creating: bool, timeout: float
) -> ProviderError:
    detail = type(error).__name__
    if isinstance(error, requests.exceptions.SSLError):
        return _with_extras(
            ProviderUnavailable(
                "Twilio's security certificate could not be verified; check the "
                "computer's date and any proxy between it and the internet.",
                retryable=False,
                detail=detail,
            )
        )

    if _never_connected(error):
        return _with_extras(
            ProviderUnavailable(
                "Duet could not reach Twilio; check the internet connection.",
                retryable=True,
                detail=detail,
            )
        )

    if isinstance(error, requests.exceptions.Timeout):
        message = f"Twilio did not answer within {timeout:g} seconds."
    else:
        message = "The connection to Twilio broke before it answered."
    if creating:
        message += " The text may have been sent anyway; Duet checks before resending."
    return _with_extras(
        ProviderUnavailable(message, retryable=True, detail=detail),
        maybe_sent=creating,
    )


def _retry_after_seconds(headers: Any) -> float:
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return DEFAULT_RETRY_AFTER
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return DEFAULT_RETRY_AFTER
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _from_instance(instance: Any) -> ProviderMessage:
    created = instance.date_created
    return ProviderMessage(
        sid=instance.sid or "",
        to=instance.to or "",
        from_=instance.from_ or "",
        body=instance.body or "",
        status=instance.status or "",
        direction=instance.direction or "",
        created=created if isinstance(created, datetime) else None,
        segments=_int_or_none(instance.num_segments),
        price=_float_or_none(instance.price),
        error_code=_int_or_none(instance.error_code),
    )


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _float_or_none(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
