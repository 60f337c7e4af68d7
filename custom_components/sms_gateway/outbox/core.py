"""The queue of one account: send requests, retries and failover (see the package docstring).

``Outbox`` is the top layer over ``attempt.SendAttempts`` (one attempt and its
outcome) and ``state.OutboxState`` (the messages and the provider's health):
it records each request's messages before anything is sent, retries what
waits when it is due (oldest first, each message on its own backoff), probes
a provider that was down before risking a message on it, and hands what is
provably unsent to the fallback account.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import UTC, datetime
from uuid import uuid4

from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_track_point_in_utc_time

from ..const import DOMAIN, LOGGER
from ..errors import provider_error, send_error
from ..providers import (
    AuthenticationError,
    Channel,
    DeliveryStatus,
    InsufficientBalanceError,
    OutgoingMessage,
    ProviderError,
    TransientError,
)
from ..usage import segments_of
from . import failover
from .attempt import SendAttempts
from .build import ChannelNotSupportedError, build_message, resolve_targets
from .message import (
    MAX_QUEUED,
    STATUS_QUEUED,
    Clock,
    MessageState,
    QueuedMessage,
    RecipientResult,
    SendRequest,
    backoff,
    clamp_retry_after,
)


class Outbox(SendAttempts):
    """Sends messages for one provider account, durably."""

    # -- lifecycle ----------------------------------------------------------------

    async def async_load(self) -> None:
        """Load the messages left from before the last stop and schedule them."""
        messages, saved_at = await self.store.async_load()
        now_mono = Clock.mono()
        downtime = max(0.0, Clock.wall() - saved_at) if saved_at is not None else 0.0
        unknown: list[QueuedMessage] = []
        for message in messages:
            message.age += downtime
            message.age_mark = now_mono
            if message.in_flight and not self.client.capabilities.idempotent_send:
                # Stopped while a request was under way: it may have been sent.
                unknown.append(message)
                continue
            if message.in_flight:
                message.maybe_sent = True
            message.state = MessageState.QUEUED
            message.next_attempt = 0.0
            self.queue[message.id] = message
        if unknown:
            self.notices.report_unknown(unknown, "Home Assistant stopped while it was being sent")
        if self.store.unreadable:
            self.notices.report_unreadable(len(self.store.unreadable))
        if unknown or messages:
            self._changed()
        self._schedule()

    async def async_shutdown(self) -> None:
        """Stop the retry timer and write what changed (before a reload reads it)."""
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        await self.async_flush()

    # -- targets and messages -----------------------------------------------------

    def resolve_targets(self, targets: tuple[str, ...]) -> tuple[str, ...]:
        """Turn saved recipient names and numbers into unique E.164 numbers."""
        return resolve_targets(self.hass, self.entry, targets)

    def build_message(self, request: SendRequest) -> OutgoingMessage:
        """Check a request against the provider and build the message to send."""
        return build_message(
            self.hass, self.entry, self.client, self.coordinator, self.tracker.notify_url, request
        )

    def can_send(self, channel: Channel) -> bool:
        """Return whether this account can send a channel natively."""
        caps = self.client.capabilities
        return (
            channel is Channel.SMS
            or (channel is Channel.FLASH and caps.flash)
            or (channel is Channel.VIBER and caps.viber)
        )

    def _fallback(self) -> Outbox | None:
        """Return the fallback account's outbox, if one is set and loaded."""
        other = failover.fallback_entry(self.hass, self.entry)
        return other.runtime_data.outbox if other is not None else None

    # -- sending ----------------------------------------------------------------

    async def async_send(
        self, request: SendRequest, *, allow_failover: bool = True
    ) -> list[RecipientResult]:
        """Send a request: accepted or queued per recipient; raise permanent errors."""
        fallback = self._fallback() if allow_failover else None
        try:
            message = self.build_message(request)
        except ChannelNotSupportedError as err:
            if fallback is not None and fallback.can_send(request.channel):
                LOGGER.debug("%s: %s goes through the fallback", self.entry.title, request.channel)
                return await fallback.async_send(request, allow_failover=False)
            raise err.error from None
        # Counted once, before anything goes out (a refused send raises here).
        self.entry.runtime_data.usage.take(
            segments_of(message.text, message.channel, len(message.recipients))
        )
        batch = self._enqueue(message, failover=allow_failover)
        results, error = await self._attempt(batch, message, fresh=True)
        if error is not None:
            if fallback is not None and isinstance(error, InsufficientBalanceError):
                return await fallback.async_send(request, allow_failover=False)
            raise send_error(error, self.entry.title) from error
        if fallback is not None:
            results = await self._hand_over(results, request, fallback)
        return results

    async def _hand_over(
        self, results: list[RecipientResult], request: SendRequest, fallback: Outbox
    ) -> list[RecipientResult]:
        """Send through the fallback what this account cannot send now (provably unsent only)."""
        moving = [
            r
            for r in results
            if (
                r.status == STATUS_QUEUED
                and self.down_too_long()
                and r.message_id in self.queue
                and not self.queue[r.message_id].maybe_sent
            )
            or r.error == InsufficientBalanceError.key
        ]
        if not moving:
            return results
        taken = [
            self.queue.pop(r.message_id)
            for r in moving
            if r.message_id is not None and r.message_id in self.queue
        ]
        self._changed()
        self._schedule()
        LOGGER.info(
            "%s: sending %d message(s) through the fallback account %s",
            self.entry.title,
            len(moving),
            fallback.entry.title,
        )
        try:
            moved = await fallback.async_send(
                replace(request, targets=tuple(r.to for r in moving), sender=None),
                allow_failover=False,
            )
        except HomeAssistantError as err:
            # The fallback cannot take them: what was queued here stays queued.
            self._keep(taken, f"the fallback account {fallback.entry.title} failed: {err}")
            return results
        by_recipient = {r.to: r for r in moved}
        return [by_recipient.get(r.to, r) if r in moving else r for r in results]

    def _enqueue(self, message: OutgoingMessage, *, failover: bool = True) -> list[QueuedMessage]:
        """Record a message for each recipient before anything is sent."""
        if len(self.queue) + len(message.recipients) > MAX_QUEUED:
            raise provider_error(
                "outbox_full", account=self.entry.title, queued=len(self.queue), max=MAX_QUEUED
            )
        group = uuid4().hex
        wall, mono = Clock.wall(), Clock.mono()
        ids = message.client_message_ids or tuple(uuid4().hex for _ in message.recipients)
        batch = [
            QueuedMessage(
                id=message_id,
                group=group,
                recipient=recipient,
                text=message.text,
                sender=message.sender,
                channel=message.channel.value,
                created=wall,
                viber=asdict(message.viber) if message.viber else None,
                send_at=message.send_at.isoformat() if message.send_at else None,
                notify_url=message.notify_url,
                callback_data=message.callback_data,
                state=MessageState.IN_FLIGHT,
                failover=failover,
                age_mark=mono,
            )
            for recipient, message_id in zip(message.recipients, ids, strict=True)
        ]
        for queued in batch:
            self.queue[queued.id] = queued
        self._changed()
        return batch

    # -- retries ------------------------------------------------------------------

    @callback
    def _schedule(self) -> None:
        """Arm the timer for the earliest message waiting for a retry."""
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        now = Clock.mono()
        if self.held_for_auth:
            # Nothing is tried until the account is reloaded with new credentials;
            # the timer only lets messages expire at their maximum age.
            waiting = [now + self.max_age - self.age_of(q, now) for q in self.queue.values()]
        else:
            waiting = [q.next_attempt for q in self.queue.values() if not q.in_flight]
        if not waiting:
            return
        delay = max(0.0, min(waiting) - now)
        when = datetime.fromtimestamp(Clock.wall() + delay, UTC)
        self._unsub_timer = async_track_point_in_utc_time(self.hass, self._on_timer, when)

    @callback
    def _on_timer(self, _now_dt: datetime) -> None:
        self._unsub_timer = None
        self.entry.async_create_background_task(
            self.hass, self.async_process_due(), f"{DOMAIN} outbox retry"
        )

    async def async_process_due(self) -> None:
        """Retry what is due, fail what is too old; the timer is always re-armed."""
        async with self._processing:
            try:
                await self._process_due()
            finally:
                self._schedule()

    async def _process_due(self) -> None:
        now = Clock.mono()
        expired = [
            q
            for q in self.queue.values()
            if not q.in_flight and self.age_of(q, now) >= self.max_age
        ]
        if expired:
            self._drop(expired)
            self.notices.report_expired(expired, self.max_age)
        groups: dict[str, list[QueuedMessage]] = {}
        # Oldest due first; each message's own backoff decides when it is due,
        # so one that keeps failing falls behind the others instead of blocking them.
        due = sorted(
            (q for q in self.queue.values() if not q.in_flight and q.next_attempt <= now),
            key=lambda q: (q.next_attempt, q.created),
        )
        for queued in due:
            groups.setdefault(queued.group, []).append(queued)
        persist = not self.client.capabilities.idempotent_send
        if persist and due and not self.held_for_auth:
            if self.unavailable_since is not None and not await self._probe(due):
                await self._fail_over_waiting(list(groups.values()))
                return
            # Without idempotency keys, "in flight" is on disk before the round's
            # requests: a power cut during them makes those messages unknown after
            # the restart (reported) instead of sending them again. One write per
            # round, not per message.
            for queued in due:
                queued.state = MessageState.IN_FLIGHT
            self._changed()
            await self.async_flush()
        fallback = self._fallback()
        unreachable_until: float | None = None
        for batch in groups.values():
            if self.held_for_auth or unreachable_until is not None:
                # Held for reauthentication, or the provider cannot be reached at
                # all (nothing was sent): one probe per round is enough, the others
                # wait for the same moment.
                for queued in batch:
                    queued.state = MessageState.QUEUED
                    if unreachable_until is not None:
                        queued.next_attempt = max(queued.next_attempt, unreachable_until)
                self._changed()
                continue
            # This account first, so it is used again as soon as it is back.
            results, error = await self._attempt(batch)
            waiting = [q for q in batch if q.id in self.queue]
            if error is None and waiting and fallback is not None and self.down_too_long():
                movable = failover.movable(waiting)
                if movable:
                    await self._retry_via(fallback, movable)
                    continue
            if error is None and waiting and self._provider_unreachable(waiting):
                unreachable_until = min(q.next_attempt for q in waiting)
            self._fire_outcomes(batch, results, error)

    async def _probe(self, due: list[QueuedMessage]) -> bool:
        """Ask a provider that was down whether it is back, with a request that sends nothing.

        For providers without idempotency keys: no message is put at risk of a
        duplicate (a power cut, a lost answer) while the provider may still be
        down. Returns whether the round's messages may be sent now.
        """
        try:
            await self.client.validate_credentials()
        except AuthenticationError as err:
            self.entry.async_start_reauth(self.hass)
            self._hold_for_auth(due, err)
            return False
        except ProviderError as err:
            self._probes += 1
            retry_after = (
                clamp_retry_after(err.retry_after) if isinstance(err, TransientError) else None
            )
            self._wait(due, Clock.mono() + backoff(self._probes, retry_after), err.key)
            return False
        self._probes = 0
        self._came_back()
        return True

    async def _fail_over_waiting(self, batches: list[list[QueuedMessage]]) -> None:
        """Hand what waits for a provider that is still down to the fallback account."""
        fallback = self._fallback()
        if fallback is None or self.held_for_auth or not self.down_too_long():
            return
        for batch in batches:
            movable = failover.movable([q for q in batch if q.id in self.queue])
            if movable:
                await self._retry_via(fallback, movable)

    def _provider_unreachable(self, waiting: list[QueuedMessage]) -> bool:
        """Tell a provider that is down for everyone from one that refused this message."""
        return all(q.last_error == TransientError.key and not q.maybe_sent for q in waiting) and (
            self.unavailable_since is not None
        )

    async def _retry_via(self, fallback: Outbox, batch: list[QueuedMessage]) -> None:
        """Hand provably unsent waiting messages over to the fallback account."""
        self._drop(batch)
        try:
            results = await fallback.async_send(failover.request_of(batch), allow_failover=False)
        except HomeAssistantError as err:
            self._keep(batch, f"the fallback account {fallback.entry.title} failed: {err}")
            return
        for result in results:
            self._fire_result(result)

    def _fire_outcomes(
        self,
        batch: list[QueuedMessage],
        results: list[RecipientResult],
        error: ProviderError | None,
    ) -> None:
        """Tell automations what became of messages sent in the background."""
        if error is not None:
            LOGGER.warning(
                "%s: %d queued message(s) refused: %s", self.entry.title, len(batch), error.message
            )
            for queued in batch:
                self.notices.fire(
                    queued.recipient, queued.id, DeliveryStatus.REJECTED.value, error.key
                )
            return
        for result in results:
            self._fire_result(result)

    def _fire_result(self, result: RecipientResult) -> None:
        if result.status == STATUS_QUEUED:
            return  # reported once it is sent (or given up)
        if result.status == DeliveryStatus.UNKNOWN.value:
            return  # already reported with the repair issue
        self.notices.fire(
            result.to,
            result.message_id,
            result.status,
            result.error,
            config_entry_id=result.config_entry_id,
        )
