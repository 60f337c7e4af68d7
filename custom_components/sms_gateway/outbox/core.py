"""The queue of one account and the sending of its messages (see the package docstring)."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_track_point_in_utc_time

from ..const import CONF_MAX_AGE, DEFAULT_MAX_AGE_HOURS, DOMAIN, LOGGER
from ..coordinator import SmsGatewayCoordinator
from ..providers import (
    AuthenticationError,
    Channel,
    DeliveryStatus,
    InsufficientBalanceError,
    InvalidRecipientError,
    InvalidRequestError,
    OutgoingMessage,
    PartialSendError,
    ProviderClient,
    ProviderError,
    RejectedError,
    SendResult,
    TransientError,
    ViberContent,
)
from ..providers.text import analyze
from ..reports import DeliveryTracker
from ..runtime import SmsGatewayConfigEntry
from . import failover
from .build import (
    ChannelNotSupportedError,
    build_message,
    provider_error,
    resolve_targets,
    saved_recipients,
    validation_error,
)
from .message import (
    ERROR_DELIVERY_UNKNOWN,
    ERROR_DUPLICATE,
    ERROR_INTERNAL,
    FAILOVER_GRACE,
    MAX_CONCURRENT_REQUESTS,
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
from .notices import Notices
from .store import OutboxStore, stored_form


class Outbox:
    """Sends messages for one provider account, durably."""

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

    async def async_shutdown(self) -> None:
        """Stop the retry timer and write what changed (before a reload reads it)."""
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        await self.async_flush()

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

    # -- targets and messages -----------------------------------------------------

    def saved_recipients(self) -> dict[str, str]:
        """Return the saved recipients: name -> E.164 number."""
        return saved_recipients(self.entry)

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

    def down_too_long(self) -> bool:
        """Return whether the provider has been unreachable beyond the grace period."""
        return (
            self.unavailable_since is not None
            and Clock.mono() - self.unavailable_since >= FAILOVER_GRACE
        )

    # -- sending ----------------------------------------------------------------

    async def async_send(
        self, request: SendRequest, *, allow_failover: bool = True
    ) -> list[RecipientResult]:
        """Send a request: accepted or queued per recipient; raise permanent errors."""
        fallback = failover.fallback_of(self.hass, self.entry) if allow_failover else None
        try:
            message = self.build_message(request)
        except ChannelNotSupportedError as err:
            if fallback is not None and fallback.can_send(request.channel):
                LOGGER.debug("%s: %s goes through the fallback", self.entry.title, request.channel)
                return await fallback.async_send(request, allow_failover=False)
            raise err.error from None
        batch = self._enqueue(message, failover=allow_failover)
        results, error = await self._attempt(batch, message, fresh=True)
        if error is not None:
            if fallback is not None and isinstance(error, InsufficientBalanceError):
                return await fallback.async_send(request, allow_failover=False)
            raise self._as_ha_error(error) from error
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

    def _outgoing(self, batch: list[QueuedMessage]) -> OutgoingMessage:
        """Rebuild the message of stored messages of one group (for a retry)."""
        first = batch[0]
        send_at = datetime.fromisoformat(first.send_at) if first.send_at else None
        if send_at is not None and send_at.timestamp() <= Clock.wall():
            send_at = None  # its time has come while it waited
        return OutgoingMessage(
            recipients=tuple(q.recipient for q in batch),
            text=first.text,
            sender=first.sender,
            channel=Channel(first.channel),
            viber=ViberContent(**first.viber) if first.viber else None,
            send_at=send_at,
            client_message_ids=tuple(q.id for q in batch),
            notify_url=first.notify_url,
            callback_data=first.callback_data,
        )

    def _wait(self, batch: list[QueuedMessage], until: float, error: str | None) -> None:
        """Put messages back to ``queued`` until a monotonic time."""
        for queued in batch:
            queued.state = MessageState.QUEUED
            queued.next_attempt = until
            if error is not None:
                queued.last_error = error
        self._changed()
        self._schedule()

    async def _attempt(
        self,
        batch: list[QueuedMessage],
        message: OutgoingMessage | None = None,
        *,
        fresh: bool = False,
    ) -> tuple[list[RecipientResult], ProviderError | None]:
        """Send a batch once; return per-recipient results, or the request's permanent error.

        ``fresh``: the caller waits for this first attempt (an action), so a
        refusal of the whole request is raised to it instead of reported later.
        """
        if message is None:
            message = self._outgoing(batch)
        for queued in batch:
            queued.state = MessageState.IN_FLIGHT
        self._changed()
        if self.held_for_auth or Clock.mono() < self.paused_until:
            # Waiting for reauthentication, or the provider asked us to slow down.
            self._wait(batch, max(self.paused_until, Clock.mono()), None)
            return [self._pending(q, STATUS_QUEUED, None) for q in batch], None
        for queued in batch:
            queued.attempts += 1
        try:
            async with self._limiter:
                sent = await self.client.send(message)
        except PartialSendError as err:
            if isinstance(err.error, AuthenticationError):
                self.entry.async_start_reauth(self.hass)
            return self._partial(batch, message.channel, err), None
        except TransientError as err:
            return self._transient(batch, err), None
        except AuthenticationError as err:
            self.entry.async_start_reauth(self.hass)
            if fresh:
                self._drop(batch)
                return [], err
            # Nothing is dropped: the queue waits for the new credentials.
            self._hold_for_auth(batch, err)
            return [self._pending(q, STATUS_QUEUED, None) for q in batch], None
        except ProviderError as err:
            self._drop(batch)
            if isinstance(err, InsufficientBalanceError):
                self.notices.balance_issue(create=True)
            return [], err
        except Exception:  # noqa: BLE001 - contained: a bug must not stall the queue
            # A bug (ours or the provider's answer): contained to these messages.
            LOGGER.exception("%s: sending failed unexpectedly", self.entry.title)
            self._drop(batch)
            self.notices.report_unknown(batch, "an unexpected error")
            return [self._pending(q, DeliveryStatus.UNKNOWN, ERROR_INTERNAL) for q in batch], None
        return self._settle(batch, sent, message.channel), None

    def _settle(
        self, batch: list[QueuedMessage], sent: list[SendResult], channel: Channel
    ) -> list[RecipientResult]:
        """Record the provider's answer for messages it took (accepted or refused each)."""
        self._came_back()
        self._drop(batch)
        if any(r.error == InsufficientBalanceError.key for r in sent):
            self.notices.balance_issue(create=True)
        elif any(r.accepted for r in sent):
            self.notices.balance_issue(create=False)
        self.tracker.track_sent([r for r in sent if r.accepted])
        if self.coordinator is not None:
            self.entry.async_create_background_task(
                self.hass, self.coordinator.async_request_refresh(), f"{DOMAIN} balance refresh"
            )
        LOGGER.debug(
            "%s: sent %s message to %d recipient(s), %d accepted",
            self.entry.title,
            channel,
            len(sent),
            sum(r.accepted for r in sent),
        )
        return [self._result(r, channel) for r in sent]

    def _partial(
        self, batch: list[QueuedMessage], channel: Channel, err: PartialSendError
    ) -> list[RecipientResult]:
        """Settle each part of a send split into several requests that failed part-way.

        The answered requests' recipients are settled and never sent again; the
        failed request's recipients are treated as a failed request; the later
        ones were never requested, so they are provably unsent and wait.
        """
        answered, rest = batch[: len(err.results)], batch[len(err.results) :]
        results = self._settle(answered, err.results, channel)
        failed, later = rest[: len(err.failed_recipients)], rest[len(err.failed_recipients) :]
        cause = err.error
        if isinstance(cause, TransientError):
            results += self._transient(failed, cause)
        elif isinstance(cause, AuthenticationError):
            self._hold_for_auth(failed, cause)
            results += [self._pending(q, STATUS_QUEUED, None) for q in failed]
        else:
            self._drop(failed)
            if isinstance(cause, InsufficientBalanceError):
                self.notices.balance_issue(create=True)
            results += [self._pending(q, DeliveryStatus.REJECTED.value, cause.key) for q in failed]
        now = Clock.mono()
        for queued in later:
            queued.state = MessageState.QUEUED
            queued.next_attempt = now + backoff(queued.attempts, clamp_retry_after(err.retry_after))
        self._changed()
        self._schedule()
        return results + [self._pending(q, STATUS_QUEUED, None) for q in later]

    def _hold_for_auth(self, batch: list[QueuedMessage], err: AuthenticationError) -> None:
        """Hold the queue until the account is reauthenticated; drop nothing."""
        self.held_for_auth = True
        LOGGER.warning(
            "%s refused the credentials; %d message(s) wait for reauthentication",
            self.entry.title,
            len(self.queue),
        )
        self._wait(batch, Clock.mono(), err.key)

    def _transient(self, batch: list[QueuedMessage], err: TransientError) -> list[RecipientResult]:
        """Wait after a temporary failure, or report unknown what may have been sent."""
        self._went_unavailable(err)
        retry_after = clamp_retry_after(err.retry_after)
        if err.provider_code == "429":
            self.paused_until = Clock.mono() + backoff(1, retry_after)
        if err.ambiguous and not self.client.capabilities.idempotent_send:
            self._drop(batch)
            self.notices.report_unknown(batch, "the answer was lost")
            return [self._pending(q, DeliveryStatus.UNKNOWN, ERROR_DELIVERY_UNKNOWN) for q in batch]
        now = Clock.mono()
        for queued in batch:
            queued.state = MessageState.QUEUED
            queued.maybe_sent = queued.maybe_sent or err.ambiguous
            queued.next_attempt = now + backoff(queued.attempts, retry_after)
            queued.last_error = err.key
        self._changed()
        self._schedule()
        return [self._pending(q, STATUS_QUEUED, None) for q in batch]

    def _drop(self, batch: list[QueuedMessage]) -> None:
        for queued in batch:
            self.queue.pop(queued.id, None)
        self._changed()
        self._schedule()

    def _result(self, result: SendResult, channel: Channel) -> RecipientResult:
        status = result.status.status.value
        error = None if result.accepted else (result.error or status)
        if result.error == ERROR_DUPLICATE:
            # Our id was already accepted (a resend after a lost answer).
            status, error = DeliveryStatus.ACCEPTED.value, None
        return RecipientResult(
            to=result.recipient,
            status=status,
            message_id=result.message_id,
            segments=result.segments,
            encoding=result.encoding.value,
            channel=channel.value,
            error=error,
            config_entry_id=self.entry.entry_id,
        )

    def _pending(self, queued: QueuedMessage, status: str, error: str | None) -> RecipientResult:
        info = analyze(queued.text)
        return RecipientResult(
            to=queued.recipient,
            status=status,
            message_id=queued.id,
            segments=info.segments,
            encoding=info.encoding.value,
            channel=queued.channel,
            error=error,
            config_entry_id=self.entry.entry_id,
        )

    def _as_ha_error(self, error: ProviderError) -> HomeAssistantError:
        account = self.entry.title
        if isinstance(error, AuthenticationError):
            return provider_error("auth_failed", account=account)
        if isinstance(error, InsufficientBalanceError):
            return provider_error("insufficient_balance", account=account)
        if isinstance(error, InvalidRecipientError):
            return validation_error("invalid_number", number=error.recipient or "?")
        if isinstance(error, InvalidRequestError):
            return validation_error("invalid_message", error=error.message)
        if isinstance(error, RejectedError):
            return provider_error("rejected", account=account, error=error.message)
        return provider_error("provider_error", account=account, error=error.message)

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
        fallback = failover.fallback_of(self.hass, self.entry)
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
        fallback = failover.fallback_of(self.hass, self.entry)
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


# Per-recipient errors that have a message of their own when every recipient failed.
_SINGLE_CAUSE = {
    InsufficientBalanceError.key: "insufficient_balance",
    ERROR_DELIVERY_UNKNOWN: ERROR_DELIVERY_UNKNOWN,
    ERROR_INTERNAL: ERROR_DELIVERY_UNKNOWN,
}


def raise_for_failures(
    results: list[RecipientResult], *, partial_ok: bool, account: str = ""
) -> None:
    """Raise when recipients failed.

    Every recipient failed: always raise. Some failed: raise unless the caller
    asked for the per-recipient response (``partial_ok``), which says which.
    Queued messages are not failures: they are sent as soon as possible.
    """
    failed = [r for r in results if not r.ok]
    if not failed:
        return
    details = ", ".join(f"{r.to} ({r.error})" for r in failed)
    if len(failed) == len(results):
        causes = {r.error for r in failed}
        if len(causes) == 1 and (key := _SINGLE_CAUSE.get(str(causes.pop()))):
            raise provider_error(key, account=account, recipients=", ".join(r.to for r in failed))
        raise provider_error("send_failed", failed=details)
    if not partial_ok:
        raise provider_error(
            "partial_failure",
            sent=len(results) - len(failed),
            total=len(results),
            failed=details,
        )
