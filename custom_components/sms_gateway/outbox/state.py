"""The state of an account's outbox, and the changes every other part makes to it.

``OutboxState`` holds what the outbox knows - its messages (stored
atomically, writes coalesced), the provider's health (unreachable since,
paused after a 429, credentials refused) - and the few transitions of a
batch of messages the other parts share: wait, drop, keep, hold for
reauthentication. It decides nothing about sending: one attempt and its
outcome are ``attempt.SendAttempts``, the queue's life (send requests,
retries, failover) is ``core.Outbox``, each layer a subclass of the one below
it, so that the layers share this state and no module imports a later one.
"""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant

from ..const import CONF_MAX_AGE, DEFAULT_MAX_AGE_HOURS, LOGGER
from ..coordinator import SmsGatewayCoordinator
from ..providers import AuthenticationError, ProviderClient, TransientError
from ..reports import DeliveryTracker
from ..runtime import SmsGatewayConfigEntry
from .message import (
    FAILOVER_GRACE,
    MAX_CONCURRENT_REQUESTS,
    Clock,
    MessageState,
    QueuedMessage,
    RecipientResult,
    backoff,
)
from .notices import Notices
from .results import pending_result
from .store import OutboxStore, stored_form


class OutboxState:
    """The messages of one provider account and what is known of the provider."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SmsGatewayConfigEntry,
        client: ProviderClient,
        tracker: DeliveryTracker,
        coordinator: SmsGatewayCoordinator | None,
    ) -> None:
        """Create the pipeline of an account; call async_load before use."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.tracker = tracker
        self.coordinator = coordinator
        self.store = OutboxStore(hass, entry.entry_id)
        self.notices = Notices(hass, entry)
        self.queue: dict[str, QueuedMessage] = {}
        # Rate limiting: a few requests at once, and after a 429 nothing until
        # the provider's Retry-After has passed - new messages queue meanwhile.
        self._limiter = asyncio.Semaphore(MAX_CONCURRENT_REQUESTS)
        self.paused_until = 0.0  # monotonic
        self.held_for_auth = False  # credentials refused: wait for reauthentication
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._processing = asyncio.Lock()
        self.unavailable_since: float | None = None  # monotonic
        self._probes = 0  # failed probes of a provider that is down
        self._dirty = False

    # -- storage ------------------------------------------------------------------

    def _stored(self) -> dict[str, Any]:
        self._dirty = False
        return stored_form(self.queue.values(), self.store.unreadable, Clock.mono(), Clock.wall())

    def _changed(self) -> None:
        """Record a state change: written soon, with the changes around it."""
        self._dirty = True
        self.store.schedule_save(self._stored)

    async def async_flush(self) -> None:
        """Write pending changes now instead of after the save delay."""
        if self._dirty:
            await self.store.async_save_now(self._stored())

    @property
    def max_age(self) -> float:
        """Return how long (seconds) a message may wait before it fails."""
        hours: float = float(self.entry.options.get(CONF_MAX_AGE, DEFAULT_MAX_AGE_HOURS))
        return hours * 3600

    def age_of(self, message: QueuedMessage, now_mono: float | None = None) -> float:
        """Return how long a message has waited (monotonic, plus downtime)."""
        now = Clock.mono() if now_mono is None else now_mono
        return message.age + max(0.0, now - message.age_mark)

    def summary(self) -> dict[str, Any]:
        """Return the state of the queue for diagnostics (no numbers, no texts)."""
        now = Clock.mono()
        states: dict[str, int] = {}
        for queued in self.queue.values():
            states[queued.state.value] = states.get(queued.state.value, 0) + 1
        return {
            "messages": len(self.queue),
            "states": states,
            "maybe_sent": sum(q.maybe_sent for q in self.queue.values()),
            "oldest_age_seconds": round(
                max((self.age_of(q, now) for q in self.queue.values()), default=0.0)
            ),
            "held_for_reauthentication": self.held_for_auth,
            "provider_unavailable": self.unavailable_since is not None,
            "unreadable_stored_entries": len(self.store.unreadable),
        }

    def down_too_long(self) -> bool:
        """Return whether the provider has been unreachable beyond the grace period."""
        return (
            self.unavailable_since is not None
            and Clock.mono() - self.unavailable_since >= FAILOVER_GRACE
        )

    # -- batches --------------------------------------------------------------------

    def _wait(self, batch: list[QueuedMessage], until: float, error: str | None) -> None:
        """Put messages back to ``queued`` until a monotonic time."""
        for queued in batch:
            queued.state = MessageState.QUEUED
            queued.next_attempt = until
            if error is not None:
                queued.last_error = error
        self._changed()
        self._schedule()

    def _drop(self, batch: list[QueuedMessage]) -> None:
        for queued in batch:
            self.queue.pop(queued.id, None)
        self._changed()
        self._schedule()

    def cancel_queued(self, message_id: str) -> bool:
        """Drop a message still waiting in the outbox: it is never sent; return whether it was.

        False for a message a request may be carrying right now: in flight, or
        due while a retry round runs (the round picked its messages before its
        first request).
        """
        queued = self.queue.get(message_id)
        if queued is None or queued.in_flight:
            return False
        if self._processing.locked() and queued.next_attempt <= Clock.mono():
            return False
        self._drop([queued])
        return True

    def _keep(self, batch: list[QueuedMessage], reason: str) -> None:
        """Put messages back in the outbox for a later retry (they expire at max age)."""
        if not batch:
            return
        LOGGER.warning("%s: %d message(s) stay queued: %s", self.entry.title, len(batch), reason)
        now = Clock.mono()
        for queued in batch:
            queued.state = MessageState.QUEUED
            queued.next_attempt = now + backoff(max(1, queued.attempts), None)
            self.queue[queued.id] = queued
        self._changed()
        self._schedule()

    def _hold_for_auth(self, batch: list[QueuedMessage], err: AuthenticationError) -> None:
        """Hold the queue until the account is reauthenticated; drop nothing."""
        self.held_for_auth = True
        LOGGER.warning(
            "%s refused the credentials; %d message(s) wait for reauthentication",
            self.entry.title,
            len(self.queue),
        )
        self._wait(batch, Clock.mono(), err.key)

    def _pending(self, queued: QueuedMessage, status: str, error: str | None) -> RecipientResult:
        return pending_result(queued, status, error, self.entry.entry_id)

    def _schedule(self) -> None:
        """Arm the timer for the next retry (``core.Outbox``)."""
        raise NotImplementedError

    # -- health ---------------------------------------------------------------------

    def _went_unavailable(self, err: TransientError) -> None:
        if self.unavailable_since is None:
            self.unavailable_since = Clock.mono()
            LOGGER.warning(
                "%s is unavailable (%s); messages are kept in the outbox and retried",
                self.entry.title,
                err.message,
            )

    def _came_back(self) -> None:
        if self.unavailable_since is not None:
            self.unavailable_since = None
            LOGGER.info("%s is available again", self.entry.title)
