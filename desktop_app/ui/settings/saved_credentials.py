"""Read what is saved in the keyring, off the GUI thread, without handing out secrets.

The Settings pages show the saved values that are not secret and only whether a secret
is saved; the secrets themselves stay in the worker that needs them.
"""

from dataclasses import dataclass
from typing import Any

from desktop_app.errors import CredentialsError, ValidationError
from desktop_app.ui.tasks import TaskContext


@dataclass(frozen=True)
class SavedCredentials:
    """The keyring's state and the saved settings that are not secret.

    Attributes:
        status: the ``credentials.KeyringStatus``.
        twilio: the saved ``TwilioConfig`` or None.
        smtp: the saved ``SmtpConfig`` or None.
        imap: the saved ``ImapConfig`` or None.
        problems: messages from entries that could not be read (locked, damaged).
    """

    status: Any
    twilio: Any = None
    smtp: Any = None
    imap: Any = None
    problems: tuple[str, ...] = ()


def load_saved_credentials(_context: TaskContext | None = None) -> SavedCredentials:
    """Probe the keyring and read the saved settings; runs on a worker thread."""
    from desktop_app import credentials

    status = credentials.keyring_status()
    found: dict[str, Any] = {}
    problems: list[str] = []
    loaders = {
        "twilio": credentials.load_twilio,
        "smtp": credentials.load_smtp,
        "imap": credentials.load_imap,
    }
    for name, load in loaders.items():
        try:
            loaded = load()
        except CredentialsError as error:
            problems.append(error.message)
            loaded = None
        found[name] = loaded[0] if loaded is not None else None
    return SavedCredentials(status, problems=tuple(problems), **found)


def saved_secret(provider: str) -> str:
    """Return the secret saved for ``provider``, or an empty text; worker thread only."""
    from desktop_app import credentials

    loaders = {
        "twilio": credentials.load_twilio,
        "smtp": credentials.load_smtp,
        "imap": credentials.load_imap,
    }
    loaded = loaders[provider]()
    return loaded[1] if loaded is not None else ""


def secret_or_saved(typed: str, provider: str, missing: str) -> str:
    """Return the typed secret, else the saved one; raise ``missing`` when neither."""
    secret = typed or saved_secret(provider)
    if not secret:
        raise ValidationError(missing)
    return secret
