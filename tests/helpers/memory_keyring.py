"""An in-memory keyring backend and fixtures that install it (TESTING.md section 3).

``MemoryKeyring`` has a priority below zero so keyring's auto-detection never picks it;
the ``memory_keyring`` fixture chooses it explicitly, marks it as secure for
``credentials.keyring_status`` and restores the previous backend afterwards.
``fail_keyring`` installs keyring's own "no backend" ``fail.Keyring`` the same way.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors
import pytest

from desktop_app import credentials


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Keeps secrets in a dict; for tests only."""

    priority = -1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        """Return the stored value or ``None``."""
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a value."""
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        """Delete a value, as real backends do: an error when it is missing."""
        try:
            del self.store[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError(username) from None


class LockedKeyring(MemoryKeyring):
    """A backend that is there but refuses every call, like a locked Secret Service."""

    def get_password(self, service: str, username: str) -> str | None:
        """Refuse."""
        raise keyring.errors.KeyringLocked("locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        """Refuse."""
        raise keyring.errors.KeyringLocked("locked")


def _dotted(backend: keyring.backend.KeyringBackend) -> str:
    return f"{type(backend).__module__}.{type(backend).__name__}"


@contextmanager
def installed(
    backend: keyring.backend.KeyringBackend,
    monkeypatch: pytest.MonkeyPatch,
    *,
    secure: bool,
) -> Iterator[None]:
    """Use ``backend`` inside the block (trusted as secure when ``secure``)."""
    previous = keyring.get_keyring()
    if secure:
        monkeypatch.setattr(
            credentials,
            "SECURE_BACKENDS",
            credentials.SECURE_BACKENDS | {_dotted(backend)},
        )
    keyring.set_keyring(backend)
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(name="memory_keyring")
def memory_keyring_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    """An empty in-memory keyring, trusted as secure for the test."""
    backend = MemoryKeyring()
    with installed(backend, monkeypatch, secure=True):
        yield backend


@pytest.fixture(name="fail_keyring")
def fail_keyring_fixture(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[keyring.backend.KeyringBackend]:
    """keyring's own "no backend available" keyring."""
    backend = keyring.backends.fail.Keyring()
    with installed(backend, monkeypatch, secure=False):
        yield backend


@pytest.fixture(name="untrusted_keyring")
def untrusted_keyring_fixture(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[MemoryKeyring]:
    """A working keyring that ``credentials`` does not know as secure (like plaintext)."""
    backend = MemoryKeyring()
    with installed(backend, monkeypatch, secure=False):
        yield backend


@pytest.fixture(name="locked_keyring")
def locked_keyring_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[LockedKeyring]:
    """A trusted backend that refuses every call, like a locked keyring."""
    backend = LockedKeyring()
    with installed(backend, monkeypatch, secure=True):
        yield backend
