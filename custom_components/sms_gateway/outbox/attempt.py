"""One attempt to send a batch of messages, and what its outcome does to them.

The provider answers (``_settle``: each recipient accepted or refused, and
never sent again), fails part-way through a send split into several requests
(``_partial``: each part settled on its own), is down or asks us to slow down
(``_transient``: the batch waits, or is reported unknown when it may have been
sent and cannot be resent safely), refuses the credentials (the queue is held
for reauthentication), or refuses the request as a whole (returned to the
caller, which raises it or reports it). A bug is contained to the batch.
"""

from __future__ import annotations

from datetime import datetime

from ..const import DOMAIN, LOGGER
from ..providers import (
    AuthenticationError,
    Channel,
    DeliveryStatus,
    InsufficientBalanceError,
    OutgoingMessage,
    PartialSendError,
    ProviderError,
    RateLimitedError,
    SendResult,
    TransientError,
    ViberContent,
)
from .message import (
    ERROR_DELIVERY_UNKNOWN,
    ERROR_INTERNAL,
    STATUS_QUEUED,
    Clock,
    MessageState,
    QueuedMessage,
    RecipientResult,
    backoff,
    clamp_retry_after,
)
from .results import sent_result
from .state import OutboxState


class SendAttempts(OutboxState):
    """Sends a batch once and records the outcome in the queue."""

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
        self.entry.runtime_data.usage.record_sent(sent, channel)
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
        results = [sent_result(r, channel, self.entry.entry_id) for r in sent]
        self.notices.sent(results)
        return results

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

    def _transient(self, batch: list[QueuedMessage], err: TransientError) -> list[RecipientResult]:
        """Wait after a temporary failure, or report unknown what may have been sent."""
        self._went_unavailable(err)
        retry_after = clamp_retry_after(err.retry_after)
        if isinstance(err, RateLimitedError):
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
