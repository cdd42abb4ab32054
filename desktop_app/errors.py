"""The errors Duet raises on purpose, each with a message a shop owner can read.

    AppError
    └── KnownError              expected; shown calmly, never as a crash
        ├── ValidationError     bad input: a file, a row, a field, a setting
        ├── StorageError        the database cannot be opened or written
        ├── CredentialsError    the keyring is missing, locked or refuses a secret
        └── ProviderError       the SMS or email provider said no
            ├── ProviderAuthError
            ├── RecipientRejected
            └── ProviderUnavailable

Anything else that escapes is a bug and gets the crash dialog.
"""


class AppError(Exception):
    """Base of every error Duet raises on purpose.

    Args:
        message: what the shop owner reads; never holds a secret.
        detail: extra text for the log only; never holds a secret either.
    """

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class KnownError(AppError):
    """An expected failure that the user can understand and act on."""


class ValidationError(KnownError):
    """Input that Duet refuses: a file, a row, a field or a setting."""


class StorageError(KnownError):
    """The database could not be opened, read or written."""


class CredentialsError(KnownError):
    """No usable keyring, or the keyring refused to store a secret."""


class ProviderError(KnownError):
    """An SMS or email provider refused or failed a request.

    Args:
        message: the text for the shop owner.
        code: the provider's own error code (Twilio code, SMTP reply code).
        retryable: True when the same request may succeed later.
        retry_after: seconds the provider asked us to wait before retrying.
        maybe_sent: True when the request may have reached the provider even
            though no answer came back (a timeout mid-request), so the message
            must be checked with the provider before any resend.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | str | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        maybe_sent: bool = False,
        detail: str | None = None,
    ) -> None:
        super().__init__(message, detail=detail)
        self.code = code
        self.retryable = retryable
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent


class ProviderAuthError(ProviderError):
    """The provider refused the credentials."""


class RecipientRejected(ProviderError):
    """The provider refused this one recipient; the batch goes on."""


class ProviderUnavailable(ProviderError):
    """The provider could not be reached or is failing; try again later."""
