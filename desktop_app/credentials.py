"""The only place Duet reads or writes provider secrets: the operating system's keyring.

Everything lives under the keyring service ``Duet``:

- ``twilio`` / ``smtp`` / ``imap``: the settings that are not secret (SID, sender, host, port, user,
  From...) as one JSON text, plus how many parts the secret has;
- ``twilio.secret.1``, ``twilio.secret.2``... / ``smtp.secret.1``...: the secret, cut into
  parts of at most :data:`PART_CHARS` characters. Windows Credential Manager holds 2,560
  bytes per entry, stored as UTF-16, so about 1,280 characters; parts keep long secrets
  whole on every platform instead of truncating them.

When no secure keyring is usable, saving raises ``CredentialsError`` saying how to fix
it; Duet never falls back to a plain-text file by itself.
"""

import contextlib
import json
import logging
import re
from dataclasses import asdict, dataclass
from typing import Any

import keyring
import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import keyring.errors

from desktop_app.errors import CredentialsError, ValidationError

logger = logging.getLogger(__name__)

SERVICE = "Duet"
PART_CHARS = 1000
MAX_PARTS = 50
PROVIDERS = ("twilio", "smtp", "imap")

# Backends that keep secrets encrypted by the operating system. Anything else (such as
# keyrings.alt's plain-text file) is refused for saving.
SECURE_BACKENDS: frozenset[str] = frozenset(
    {
        "keyring.backends.SecretService.Keyring",
        "keyring.backends.libsecret.Keyring",
        "keyring.backends.kwallet.DBusKeyring",
        "keyring.backends.macOS.Keyring",
        "keyring.backends.Windows.WinVaultKeyring",
    }
)

_PROBE_USER = "duet.probe"
_HOW_TO_FIX = (
    "On Linux, install and unlock a Secret Service such as GNOME Keyring or KWallet "
    "(for example: sudo apt install gnome-keyring), log in to the desktop again, and "
    "retry. Duet never saves passwords in a plain file."
)
_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
_API_KEY = re.compile(r"^SK[0-9a-fA-F]{32}$")
_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass(frozen=True)
class KeyringStatus:
    """Whether secrets can be saved, and why not.

    Attributes:
        ok: True when a secure backend answered a test write.
        backend: the backend class name(s), comma-separated.
        reason: a plain sentence for the owner (``ok`` when fine).
    """

    ok: bool
    backend: str
    reason: str


@dataclass(frozen=True)
class TwilioConfig:
    """Twilio settings that are not secret.

    Attributes:
        account_sid: the Account SID (``AC`` + 32 hex digits).
        sender: an E.164 phone number or a Messaging Service SID (``MG...``).
        rate: segments per second this sender may send.
        api_key: an API key SID (``SK...``) when logging in with an API key.
    """

    account_sid: str
    sender: str
    rate: float = 1.0
    api_key: str | None = None


@dataclass(frozen=True)
class SmtpConfig:
    """SMTP settings that are not secret.

    Attributes:
        host: the server name.
        port: the server port.
        security: ``ssl``, ``starttls`` or ``none``.
        user: the login name (empty: no login).
        from_address: the From address.
        from_name: the From display name.
    """

    host: str
    port: int
    security: str
    user: str
    from_address: str
    from_name: str = ""


@dataclass(frozen=True)
class ImapConfig:
    """The shop's mailbox (IMAP), read for unsubscribe mails and bounces.

    Attributes:
        host: the IMAP server name.
        port: the server port (993 for ``ssl``, 143 otherwise).
        security: ``ssl``, ``starttls`` or ``none``.
        user: the login name.
    """

    host: str
    port: int
    security: str
    user: str


def keyring_status() -> KeyringStatus:
    """Tell whether a secure keyring is usable; never raises.

    A test secret is written and deleted, so a locked keyring is found out here. On a
    desktop this may show an unlock prompt, so call it off the GUI thread.

    Returns:
        The status.
    """
    try:
        backend = keyring.get_keyring()
    except Exception as error:  # a bad PYTHON_KEYRING_BACKEND, a broken plugin...
        return KeyringStatus(
            False, "?", f"The keyring could not be loaded ({type(error).__name__})."
        )

    members = (
        list(backend.backends)
        if isinstance(backend, keyring.backends.chainer.ChainerBackend)
        else [backend]
    )
    names = ",".join(f"{type(b).__module__}.{type(b).__name__}" for b in members)
    insecure = (keyring.backends.fail.Keyring, keyring.backends.null.Keyring)
    if not members or all(isinstance(b, insecure) for b in members):
        return KeyringStatus(
            False, names, f"No secure keyring was found. {_HOW_TO_FIX}"
        )
    if not any(n in SECURE_BACKENDS for n in names.split(",")):
        return KeyringStatus(
            False,
            names,
            f"Only an insecure keyring ({names}) is available. {_HOW_TO_FIX}",
        )

    try:
        keyring.set_password(SERVICE, _PROBE_USER, "probe")
        keyring.delete_password(SERVICE, _PROBE_USER)
    except Exception as error:  # KeyringError, or D-Bus errors keyring does not wrap
        return KeyringStatus(
            False,
            names,
            "The keyring is there but refused a test entry; it may be locked. Unlock "
            f"it (log in to the desktop again) and retry ({type(error).__name__}).",
        )
    return KeyringStatus(True, names, "ok")


def save_twilio(config: TwilioConfig, secret: str) -> None:
    """Save the Twilio settings and the Auth Token (or API key secret).

    Args:
        config: the settings that are not secret.
        secret: the Auth Token, or the API key's secret when ``config.api_key`` is set.

    Raises:
        ValidationError: a field is not in the expected form.
        CredentialsError: no secure keyring is usable, or it refused the secret.
    """
    _check_twilio(config)
    _save("twilio", asdict(config), secret)


def load_twilio() -> tuple[TwilioConfig, str] | None:
    """Return the saved Twilio settings and secret, or ``None`` when not set.

    Returns:
        ``(config, secret)``, or ``None`` when nothing is saved or no keyring exists.

    Raises:
        CredentialsError: the keyring is locked or the saved entry is damaged.
    """
    loaded = _load("twilio")
    if loaded is None:
        return None
    fields, secret = loaded
    try:
        config = TwilioConfig(
            account_sid=str(fields["account_sid"]),
            sender=str(fields["sender"]),
            rate=float(fields.get("rate", 1.0)),
            api_key=fields.get("api_key") or None,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise _damaged("twilio") from error
    return config, secret


def save_smtp(config: SmtpConfig, password: str) -> None:
    """Save the SMTP settings and password.

    Args:
        config: the settings that are not secret.
        password: the login password (or app password).

    Raises:
        ValidationError: a field is not in the expected form.
        CredentialsError: no secure keyring is usable, or it refused the password.
    """
    _check_smtp(config)
    _save("smtp", asdict(config), password)


def load_smtp() -> tuple[SmtpConfig, str] | None:
    """Return the saved SMTP settings and password, or ``None`` when not set.

    Returns:
        ``(config, password)``, or ``None`` when nothing is saved or no keyring exists.

    Raises:
        CredentialsError: the keyring is locked or the saved entry is damaged.
    """
    loaded = _load("smtp")
    if loaded is None:
        return None
    fields, password = loaded
    try:
        config = SmtpConfig(
            host=str(fields["host"]),
            port=int(fields["port"]),
            security=str(fields["security"]),
            user=str(fields["user"]),
            from_address=str(fields["from_address"]),
            from_name=str(fields.get("from_name", "")),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise _damaged("smtp") from error
    return config, password


def save_imap(config: ImapConfig, password: str) -> None:
    """Save the mailbox settings and password.

    Args:
        config: the settings that are not secret.
        password: the mailbox password (or app password).

    Raises:
        ValidationError: a field is not in the expected form.
        CredentialsError: no secure keyring is usable, or it refused the password.
    """
    _check_imap(config)
    _save("imap", asdict(config), password)


def load_imap() -> tuple[ImapConfig, str] | None:
    """Return the saved mailbox settings and password, or ``None`` when not set.

    Returns:
        ``(config, password)``, or ``None`` when nothing is saved or no keyring exists.

    Raises:
        CredentialsError: the keyring is locked or the saved entry is damaged.
    """
    loaded = _load("imap")
    if loaded is None:
        return None
    fields, password = loaded
    try:
        config = ImapConfig(
            host=str(fields["host"]),
            port=int(fields["port"]),
            security=str(fields["security"]),
            user=str(fields["user"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise _damaged("imap") from error
    return config, password


def clear(provider: str) -> None:
    """Forget the settings and secret of ``provider`` (``twilio``, ``smtp``, ``imap``).

    Args:
        provider: ``twilio``, ``smtp`` or ``imap``.

    Raises:
        ValueError: ``provider`` is not one of the three.
        CredentialsError: the keyring refused.
    """
    if provider not in PROVIDERS:
        raise ValueError(f"unknown provider {provider!r}")
    try:
        parts = _stored_parts(provider)
        _delete(provider)
        for number in range(1, parts + 1):
            _delete(f"{provider}.secret.{number}")
    except keyring.errors.NoKeyringError:
        return
    except CredentialsError:
        raise
    except Exception as error:
        raise _refused(error) from error
    logger.info("credentials cleared: %s", provider)


def _save(provider: str, fields: dict[str, Any], secret: str) -> None:
    if not secret:
        raise ValidationError(f"The {provider} secret is empty; nothing was saved.")
    parts = [secret[i : i + PART_CHARS] for i in range(0, len(secret), PART_CHARS)]
    if len(parts) > MAX_PARTS:
        raise ValidationError(
            f"The {provider} secret is {len(secret):,} characters long; Duet stores at "
            f"most {PART_CHARS * MAX_PARTS:,}."
        )

    status = keyring_status()
    if not status.ok:
        raise CredentialsError(status.reason, detail=status.backend)

    try:
        old_parts = _stored_parts(provider)
        for number, part in enumerate(parts, start=1):
            keyring.set_password(SERVICE, f"{provider}.secret.{number}", part)
        fields = {**fields, "secret_parts": len(parts)}
        keyring.set_password(SERVICE, provider, json.dumps(fields, ensure_ascii=False))
        for number in range(len(parts) + 1, old_parts + 1):
            _delete(f"{provider}.secret.{number}")
    except CredentialsError:
        raise
    except Exception as error:
        raise _refused(error) from error
    logger.info("credentials saved: %s (%d part(s))", provider, len(parts))


def _load(provider: str) -> tuple[dict[str, Any], str] | None:
    try:
        text = keyring.get_password(SERVICE, provider)
        if text is None:
            return None
        fields = json.loads(text)
        if not isinstance(fields, dict):
            raise _damaged(provider)
        count = int(fields.pop("secret_parts", 1))
        parts = [
            keyring.get_password(SERVICE, f"{provider}.secret.{n}")
            for n in range(1, count + 1)
        ]
    except keyring.errors.NoKeyringError:
        return None
    except CredentialsError:
        raise
    except (ValueError, TypeError) as error:
        raise _damaged(provider) from error
    except Exception as error:
        raise _refused(error) from error

    if count < 1 or any(part is None for part in parts):
        raise _damaged(provider)
    return fields, "".join(part or "" for part in parts)


def _stored_parts(provider: str) -> int:
    text = keyring.get_password(SERVICE, provider)
    if text is None:
        return 0
    try:
        return max(0, int(json.loads(text).get("secret_parts", 1)))
    except (ValueError, TypeError, AttributeError):
        return MAX_PARTS


def _delete(user: str) -> None:
    with contextlib.suppress(keyring.errors.PasswordDeleteError):
        keyring.delete_password(SERVICE, user)


def _refused(error: BaseException) -> CredentialsError:
    return CredentialsError(
        "The keyring refused the request; it may be locked. Unlock it (log in to the "
        "desktop again) and retry.",
        detail=type(error).__name__,
    )


def _damaged(provider: str) -> CredentialsError:
    return CredentialsError(
        f"The saved {provider} settings in the keyring are damaged; enter them again "
        "in Settings."
    )


def _check_twilio(config: TwilioConfig) -> None:
    if not _ACCOUNT_SID.match(config.account_sid):
        raise ValidationError(
            "Twilio Account SID: expected AC followed by 32 letters and digits."
        )
    if not (_E164.match(config.sender) or _SERVICE_SID.match(config.sender)):
        raise ValidationError(
            "Twilio sender: expected a number such as +15550100000 or a Messaging "
            "Service SID (MG followed by 32 letters and digits)."
        )
    if config.api_key is not None and not _API_KEY.match(config.api_key):
        raise ValidationError(
            "Twilio API key: expected SK followed by 32 letters and digits."
        )
    if not 0 < config.rate <= 1000:
        raise ValidationError("Twilio rate: expected segments per second, 0 to 1000.")


def _check_smtp(config: SmtpConfig) -> None:
    if not config.host.strip() or any(ch.isspace() for ch in config.host.strip()):
        raise ValidationError(
            "Email host: expected a server name such as smtp.example.com."
        )
    if not 0 < config.port < 65536:
        raise ValidationError("Email port: expected a number from 1 to 65535.")
    if config.security not in ("ssl", "starttls", "none"):
        raise ValidationError("Email security: expected ssl, starttls or none.")
    if config.from_address.count("@") != 1:
        raise ValidationError(
            "Email From address: expected an address such as shop@example.com."
        )


def _check_imap(config: ImapConfig) -> None:
    if not config.host.strip() or any(ch.isspace() for ch in config.host.strip()):
        raise ValidationError(
            "Mailbox host: expected a server name such as imap.example.com."
        )
    if not 0 < config.port < 65536:
        raise ValidationError("Mailbox port: expected a number from 1 to 65535.")
    if config.security not in ("ssl", "starttls", "none"):
        raise ValidationError("Mailbox security: expected ssl, starttls or none.")
    if not config.user.strip():
        raise ValidationError(
            "Mailbox user: expected the login name, often the full email address."
        )


# --- the token of the local event endpoint (issue 8) ---------------------------

EVENT_TOKEN_USER = "events.token"


def new_event_token() -> str:
    """Return a fresh random token for the local event endpoint (43 characters)."""
    import secrets

    return secrets.token_urlsafe(32)


def save_event_token(token: str) -> None:
    """Save the event endpoint's token in the keyring, replacing any earlier one.

    Raises:
        ValidationError: the token is shorter than 20 characters.
        CredentialsError: no secure keyring is usable, or it refused the token.
    """
    if len(token) < 20:
        raise ValidationError("Event token: at least 20 characters.")
    status = keyring_status()
    if not status.ok:
        raise CredentialsError(status.reason, detail=status.backend)
    try:
        keyring.set_password(SERVICE, EVENT_TOKEN_USER, token)
    except Exception as error:
        raise _refused(error) from error
    logger.info("credentials saved: event token")


def load_event_token() -> str | None:
    """Return the event endpoint's token, or None when none is saved.

    Raises:
        CredentialsError: the keyring is locked.
    """
    try:
        return keyring.get_password(SERVICE, EVENT_TOKEN_USER)
    except keyring.errors.NoKeyringError:
        return None
    except Exception as error:
        raise _refused(error) from error
