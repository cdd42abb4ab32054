"""Pacing a sender: a token bucket counted in SMS segments, and retry backoff.

A carrier lets each sender pass a number of segments per second (a US long code about
one). :class:`TokenBucket` lets a message go when enough tokens have built up; a message
longer than the bucket holds is let through once the bucket is full and leaves it in
debt, so the long-run rate never exceeds ``rate`` whatever the message sizes. The clock
and the sleep are injected, so tests run the arithmetic without waiting.
"""

import logging
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], None]

_EPSILON = 1e-9  # tokens; float rounding must never ask for a wait of 1e-17 s


class TokenBucket:
    """Segments-per-second pacing for one sender.

    Args:
        rate: tokens (segments) added per second; must be positive.
        burst: the most tokens the bucket holds; defaults to ``max(1, rate)``, so a
            sender starts at once but never bursts beyond one second's worth.
        clock: a monotonic clock in seconds.
    """

    def __init__(
        self, rate: float, *, burst: float | None = None, clock: Clock = time.monotonic
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, not {rate!r}")
        self.rate = float(rate)
        self.capacity = float(burst) if burst is not None else max(1.0, self.rate)
        self._clock = clock
        self._tokens = self.capacity
        self._stamp = clock()

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._stamp)
        self._stamp = now
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)

    def wait_time(self, cost: float) -> float:
        """Return the seconds to wait before a message of ``cost`` segments may go.

        Args:
            cost: the message's segments.

        Returns:
            0 when it may go now.
        """
        self._refill()
        shortfall = min(float(cost), self.capacity) - self._tokens
        if shortfall <= _EPSILON:
            return 0.0
        return shortfall / self.rate

    def take(self, cost: float) -> None:
        """Spend ``cost`` tokens now (the bucket may go into debt)."""
        self._refill()
        self._tokens -= float(cost)

    def hold(self, seconds: float) -> None:
        """Empty the bucket so nothing goes for ``seconds`` (after a 429, say)."""
        self._refill()
        self._tokens = min(self._tokens, -seconds * self.rate)

    def acquire(self, cost: float, sleep: Sleep = time.sleep) -> float:
        """Wait until ``cost`` segments may go, then spend them.

        Args:
            cost: the message's segments.
            sleep: how to wait.

        Returns:
            The seconds waited.
        """
        delay = self.wait_time(cost)
        if delay > 0:
            sleep(delay)  # exactly long enough; a second look could only round
        self.take(cost)
        return delay


def backoff_delay(
    attempt: int,
    *,
    retry_after: float | None = None,
    base: float = 1.0,
    cap: float = 60.0,
) -> float:
    """Return how long to wait before retry number ``attempt`` (1 for the first).

    The provider's own ``Retry-After`` wins when given; otherwise the delay doubles
    from ``base`` up to ``cap``.

    Args:
        attempt: which retry this is, counting from 1.
        retry_after: the seconds the provider asked for, if any.
        base: the first delay.
        cap: the longest delay.

    Returns:
        Seconds to wait.
    """
    if retry_after is not None and retry_after >= 0:
        return min(float(retry_after), cap)
    return min(base * 2 ** max(0, attempt - 1), cap)
