"""The one send pipeline behind every surface (action, notify entities, legacy notify).

It resolves targets (saved recipient names or numbers) to E.164, checks the
message against the provider's capabilities before any request, and sends it
in as few requests as the provider allows. Nothing is lost on the way:

* **Durable**: every message is written to the outbox (an HA ``Store``) with a
  stable id per recipient before the first attempt, and leaves it only when
  the provider accepted or permanently refused it. Messages waiting at
  shutdown are sent after the next start.
* **Retries**: connection failures, timeouts, 5xx and 429 are retried with
  exponential backoff and jitter, honouring ``Retry-After``, until the
  message's maximum age (default 24 h; then a repair issue and a
  ``sms_gateway_delivery_report`` event with status ``failed``).
* **Never twice**: Infobip-compatible APIs take our id per destination, so a
  resend after an ambiguous failure (the answer was lost) cannot send twice -
  the duplicate is refused and counts as accepted. sms365 and
  voip-communications have no such key: they are retried only when the
  request provably never reached them (connection refused, 429, 503); after
  an ambiguous failure the message is marked ``unknown`` and a repair issue
  tells the user, rather than risk a duplicate.
* **Failover**: an account may name a fallback account, used when this one is
  unreachable for longer than a grace period, out of balance, or lacks the
  requested channel. The fallback never fails over itself, so two accounts
  naming each other cannot loop.
* **Honest callers**: actions return once each message is accepted or queued
  (``queued`` in the response); permanent errors are raised at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
import random
from typing import Any
from uuid import uuid4

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import (
    CONF_DEFAULT_COUNTRY,
    CONF_FALLBACK_ACCOUNT,
    CONF_MAX_AGE,
    CONF_NUMBER,
    CONF_SENDER,
    DEFAULT_MAX_AGE_HOURS,
    DOMAIN,
    EVENT_DELIVERY_REPORT,
    LOGGER,
    SUBENTRY_RECIPIENT,
)
from .coordinator import SmsGatewayConfigEntry, SmsGatewayCoordinator
from .errors import SmsValidationError
from .providers import (
    AuthenticationError,
    Channel,
    DeliveryStatus,
    InsufficientBalanceError,
    InvalidRecipientError,
    InvalidRequestError,
    OutgoingMessage,
    ProviderClient,
    ProviderError,
    RejectedError,
    SendResult,
    TransientError,
    UnsupportedError,
    ViberContent,
)
from .providers.phone import REASON_NO_COUNTRY, normalize_number
from .providers.text import analyze
from .reports import DeliveryTracker

STORAGE_VERSION = 1
MAX_QUEUED = 1000  # messages waiting per account; more is refused, never dropped
BACKOFF_BASE = 5.0  # seconds before the first retry
BACKOFF_MAX = 900.0  # at most 15 minutes between retries
FAILOVER_GRACE = 60.0  # seconds an account may be unreachable before the fallback is used
MAX_CONCURRENT_REQUESTS = 4  # requests under way at once, per account

STATUS_QUEUED = "queued"
ERROR_DELIVERY_UNKNOWN = "delivery_unknown"
ERROR_DUPLICATE = "duplicate_message_id"


@dataclass(frozen=True, slots=True)
class SendRequest:
    """What a caller wants sent."""

    targets: tuple[str, ...]
    message: str
    title: str | None = None
    channel: Channel = Channel.SMS
    sender: str | None = None
    sms_fallback: bool = True
    send_at: datetime | None = None
    image_url: str | None = None
    button_text: str | None = None
    button_url: str | None = None
    validity: int | None = None


@dataclass(frozen=True, slots=True)
class RecipientResult:
    """The outcome for one recipient, as actions return it."""

    to: str
    status: str
    message_id: str | None
    segments: int
    encoding: str
    channel: str
    error: str | None
    config_entry_id: str

    @property
    def ok(self) -> bool:
        """Return whether the message was accepted or is queued for a retry."""
        return self.error is None

    def as_dict(self) -> dict[str, Any]:
        """Return the action response item."""
        return {
            "to": self.to,
            "message_id": self.message_id,
            "status": self.status,
            "segments": self.segments,
            "encoding": self.encoding,
            "channel": self.channel,
            "error": self.error,
            "config_entry_id": self.config_entry_id,
        }


@dataclass(slots=True)
class QueuedMessage:
    """One message to one recipient, as the outbox stores it."""

    id: str  # stable: sent as the Infobip messageId, kept across retries
    group: str  # the request it came from; retries of a group go in one request
    recipient: str
    text: str
    sender: str | None
    channel: str
    created: float  # Unix time
    viber: dict[str, Any] | None = None
    send_at: str | None = None
    notify_url: str | None = None
    callback_data: str | None = None
    attempts: int = 0
    next_attempt: float = 0.0
    in_flight: bool = False  # a request was under way when last saved
    last_error: str | None = None
    failover: bool = True  # False once handed over by another account: never moved again

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QueuedMessage:
        """Restore a stored message."""
        return cls(**data)


def backoff(attempts: int, retry_after: float | None) -> float:
    """Return the seconds before the next attempt: exponential, jittered, >= Retry-After."""
    delay: float = min(BACKOFF_MAX, BACKOFF_BASE * 2.0 ** max(0, attempts - 1))
    delay *= random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not cryptography
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


def _validation_error(key: str, **placeholders: Any) -> ServiceValidationError:
    return SmsValidationError(key, **placeholders)


def _provider_error(key: str, **placeholders: Any) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={k: str(v) for k, v in placeholders.items()},
    )


class _ChannelNotSupportedError(Exception):
    """The account cannot send the requested channel (a fallback might)."""

    def __init__(self, error: ServiceValidationError) -> None:
        super().__init__(str(error))
        self.error = error


def _now() -> float:
    return dt_util.utcnow().timestamp()


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
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}.outbox"
        )
        self.queue: dict[str, QueuedMessage] = {}
        # Rate limiting: a few requests at once, and after a 429 nothing until
        # the provider's Retry-After has passed - new messages queue meanwhile.
        self._limiter = asyncio.Semaphore(MAX_CONCURRENT_REQUESTS)
        self.paused_until = 0.0
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._processing = asyncio.Lock()
        self.unavailable_since: float | None = None

    # -- storage ------------------------------------------------------------------

    async def async_load(self) -> None:
        """Load the messages left from before the last stop and schedule them."""
        data = await self._store.async_load() or {}
        unknown: list[QueuedMessage] = []
        for item in data.get("messages", []):
            message = QueuedMessage.from_dict(item)
            if message.in_flight and not self.client.capabilities.idempotent_send:
                # Stopped while a request was under way: it may have been sent.
                unknown.append(message)
                continue
            message.in_flight = False
            message.next_attempt = 0.0
            self.queue[message.id] = message
        if unknown:
            self._report_unknown(unknown)
        if self.queue or unknown:
            await self._save()
        self._schedule()

    async def _save(self) -> None:
        await self._store.async_save({"messages": [asdict(m) for m in self.queue.values()]})

    @callback
    def async_shutdown(self) -> None:
        """Stop the retry timer (the queue is saved after every change)."""
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None

    @property
    def max_age(self) -> float:
        """Return how long (seconds) a message may wait before it fails."""
        hours: float = float(self.entry.options.get(CONF_MAX_AGE, DEFAULT_MAX_AGE_HOURS))
        return hours * 3600

    # -- targets ----------------------------------------------------------------

    def saved_recipients(self) -> dict[str, str]:
        """Return the saved recipients: name -> E.164 number."""
        return {
            subentry.title: subentry.data[CONF_NUMBER]
            for subentry in self.entry.subentries.values()
            if subentry.subentry_type == SUBENTRY_RECIPIENT
        }

    def resolve_targets(self, targets: tuple[str, ...]) -> tuple[str, ...]:
        """Turn saved recipient names and numbers into unique E.164 numbers."""
        by_name = {name.casefold(): number for name, number in self.saved_recipients().items()}
        region = self.entry.options.get(CONF_DEFAULT_COUNTRY) or self.hass.config.country
        numbers: list[str] = []
        for target in targets:
            text = str(target).strip()
            if not text:
                continue
            number = by_name.get(text.casefold())
            if number is None:
                try:
                    number = normalize_number(text, region)
                except InvalidRecipientError as err:
                    key = (
                        "number_needs_country"
                        if err.provider_code == REASON_NO_COUNTRY
                        else "invalid_number"
                    )
                    raise _validation_error(key, number=text) from err
            if number not in numbers:
                numbers.append(number)
        if not numbers:
            raise _validation_error("no_target")
        return tuple(numbers)

    # -- sending ----------------------------------------------------------------

    def can_send(self, channel: Channel) -> bool:
        """Return whether this account can send a channel natively."""
        caps = self.client.capabilities
        return (
            channel is Channel.SMS
            or (channel is Channel.FLASH and caps.flash)
            or (channel is Channel.VIBER and caps.viber)
        )

    def _default_sender(self, channel: Channel) -> str | None:
        if channel is Channel.VIBER and self.coordinator is not None and self.coordinator.data:
            # A Viber message needs a sender id approved by Viber: use the first one.
            for sender in self.coordinator.data.viber_senders.values():
                if not sender.paused:
                    return sender.sender
        return str(self.entry.options.get(CONF_SENDER) or "").strip() or None

    def build_message(self, request: SendRequest) -> OutgoingMessage:
        """Check a request against the provider and build the message to send."""
        caps = self.client.capabilities
        provider = self.entry.title
        channel = request.channel
        viber: ViberContent | None = None
        if channel is Channel.VIBER:
            if caps.viber:
                viber = ViberContent(
                    image_url=request.image_url,
                    button_text=request.button_text,
                    button_url=request.button_url,
                    validity=request.validity,
                    sms_fallback=request.sms_fallback,
                )
            elif request.sms_fallback:
                channel = Channel.SMS
            else:
                raise _ChannelNotSupportedError(
                    _validation_error("viber_not_supported", provider=provider)
                )
        if channel is Channel.FLASH and not caps.flash:
            raise _ChannelNotSupportedError(
                _validation_error("flash_not_supported", provider=provider)
            )
        if request.send_at is not None:
            if not caps.scheduling:
                raise _validation_error("scheduling_not_supported", provider=provider)
            if request.send_at <= dt_util.utcnow():
                raise _validation_error("send_at_in_past", send_at=request.send_at.isoformat())
        text = request.message.strip()
        if request.title and request.title.strip():
            # A title alone is the whole message, without a trailing line break.
            text = f"{request.title.strip()}\n{text}" if text else request.title.strip()
        if not text and not (channel is Channel.VIBER and request.image_url):
            raise _validation_error("empty_message")
        recipients = self.resolve_targets(request.targets)
        sender = (request.sender or "").strip() or self._default_sender(channel)
        message = OutgoingMessage(
            recipients=recipients,
            text=text,
            sender=sender,
            channel=channel,
            viber=viber,
            send_at=request.send_at,
            client_message_ids=tuple(uuid4().hex for _ in recipients),
            notify_url=self.tracker.notify_url,
            callback_data=self.entry.entry_id if self.tracker.notify_url else None,
        )
        try:
            self.client.validate(message)
        except UnsupportedError as err:
            raise _validation_error("not_supported", provider=provider, error=err.message) from err
        except InvalidRequestError as err:
            code = err.provider_code
            if code == "sender":
                raise _validation_error("invalid_sender", sender=sender, error=err.message) from err
            if code == "too_long":
                raise _validation_error("message_too_long", error=err.message) from err
            if code == "empty_text":
                raise _validation_error("empty_message") from err
            raise _validation_error("invalid_message", error=err.message) from err
        return message

    def _fallback(self) -> Outbox | None:
        """Return the fallback account's outbox, if one is set and loaded."""
        entry_id = self.entry.options.get(CONF_FALLBACK_ACCOUNT)
        if not entry_id or entry_id == self.entry.entry_id:
            return None
        entry: SmsGatewayConfigEntry | None = self.hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN or entry.state is not ConfigEntryState.LOADED:
            return None
        return entry.runtime_data.outbox

    def down_too_long(self) -> bool:
        """Return whether the provider has been unreachable beyond the grace period."""
        return (
            self.unavailable_since is not None and _now() - self.unavailable_since >= FAILOVER_GRACE
        )

    async def async_send(
        self, request: SendRequest, *, allow_failover: bool = True
    ) -> list[RecipientResult]:
        """Send a request: accepted or queued per recipient; raise permanent errors."""
        fallback = self._fallback() if allow_failover else None
        try:
            message = self.build_message(request)
        except _ChannelNotSupportedError as err:
            if fallback is not None and fallback.can_send(request.channel):
                LOGGER.debug("%s: %s goes through the fallback", self.entry.title, request.channel)
                return await fallback.async_send(request, allow_failover=False)
            raise err.error from None
        batch = await self._enqueue(message, failover=allow_failover)
        results, error = await self._attempt(batch, message)
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
        """Send through the fallback what this account cannot send now."""
        moving = [
            r
            for r in results
            if (r.status == STATUS_QUEUED and self.down_too_long())
            or r.error == InsufficientBalanceError.key
        ]
        if not moving:
            return results
        taken = [
            self.queue.pop(r.message_id)
            for r in moving
            if r.message_id is not None and r.message_id in self.queue
        ]
        await self._save()
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
            await self._keep(taken, f"the fallback account {fallback.entry.title} failed: {err}")
            return results
        by_recipient = {r.to: r for r in moved}
        return [by_recipient.get(r.to, r) if r in moving else r for r in results]

    async def _enqueue(
        self, message: OutgoingMessage, *, failover: bool = True
    ) -> list[QueuedMessage]:
        """Record a message for each recipient before anything is sent."""
        if len(self.queue) + len(message.recipients) > MAX_QUEUED:
            raise _provider_error(
                "outbox_full", account=self.entry.title, queued=len(self.queue), max=MAX_QUEUED
            )
        group = uuid4().hex
        now = _now()
        ids = message.client_message_ids or tuple(uuid4().hex for _ in message.recipients)
        batch = [
            QueuedMessage(
                id=message_id,
                group=group,
                recipient=recipient,
                text=message.text,
                sender=message.sender,
                channel=message.channel.value,
                created=now,
                viber=asdict(message.viber) if message.viber else None,
                send_at=message.send_at.isoformat() if message.send_at else None,
                notify_url=message.notify_url,
                callback_data=message.callback_data,
                in_flight=True,
                failover=failover,
            )
            for recipient, message_id in zip(message.recipients, ids, strict=True)
        ]
        for queued in batch:
            self.queue[queued.id] = queued
        await self._save()
        return batch

    def _outgoing(self, batch: list[QueuedMessage]) -> OutgoingMessage:
        """Rebuild the message of a stored batch (for a retry)."""
        first = batch[0]
        send_at = datetime.fromisoformat(first.send_at) if first.send_at else None
        if send_at is not None and send_at <= dt_util.utcnow():
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
        self, batch: list[QueuedMessage], message: OutgoingMessage | None = None
    ) -> tuple[list[RecipientResult], ProviderError | None]:
        """Send a batch once; return per-recipient results, or the request's permanent error."""
        if message is None:
            message = self._outgoing(batch)
            for queued in batch:
                queued.in_flight = True
            await self._save()
        if _now() < self.paused_until:
            # The provider asked us to slow down: wait, without a request.
            for queued in batch:
                queued.in_flight = False
                queued.next_attempt = self.paused_until
            await self._save()
            self._schedule()
            return [self._pending(q, STATUS_QUEUED, None) for q in batch], None
        for queued in batch:
            queued.attempts += 1
        try:
            async with self._limiter:
                sent = await self.client.send(message)
        except TransientError as err:
            self._went_unavailable(err)
            if err.provider_code == "429":
                self.paused_until = _now() + backoff(1, err.retry_after)
            if err.ambiguous and not self.client.capabilities.idempotent_send:
                self._drop(batch)
                await self._save()
                self._report_unknown(batch)
                return [
                    self._pending(q, DeliveryStatus.UNKNOWN, ERROR_DELIVERY_UNKNOWN) for q in batch
                ], None
            now = _now()
            for queued in batch:
                queued.in_flight = False
                queued.next_attempt = now + backoff(queued.attempts, err.retry_after)
                queued.last_error = err.key
            await self._save()
            self._schedule()
            return [self._pending(q, STATUS_QUEUED, None) for q in batch], None
        except ProviderError as err:
            self._drop(batch)
            await self._save()
            self._schedule()
            if isinstance(err, AuthenticationError):
                self.entry.async_start_reauth(self.hass)
            elif isinstance(err, InsufficientBalanceError):
                self._balance_issue(create=True)
            return [], err
        self._came_back()
        self._drop(batch)
        await self._save()
        self._schedule()
        if any(r.error == InsufficientBalanceError.key for r in sent):
            self._balance_issue(create=True)
        elif any(r.accepted for r in sent):
            self._balance_issue(create=False)
        self.tracker.track_sent([r for r in sent if r.accepted])
        if self.coordinator is not None:
            self.entry.async_create_background_task(
                self.hass, self.coordinator.async_request_refresh(), f"{DOMAIN} balance refresh"
            )
        LOGGER.debug(
            "%s: sent %s message to %d recipient(s), %d accepted",
            self.entry.title,
            message.channel,
            len(sent),
            sum(r.accepted for r in sent),
        )
        return [self._result(r, message.channel) for r in sent], None

    def _drop(self, batch: list[QueuedMessage]) -> None:
        for queued in batch:
            self.queue.pop(queued.id, None)

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
            return _provider_error("auth_failed", account=account)
        if isinstance(error, InsufficientBalanceError):
            return _provider_error("insufficient_balance", account=account)
        if isinstance(error, InvalidRecipientError):
            return _validation_error("invalid_number", number=error.recipient or "?")
        if isinstance(error, InvalidRequestError):
            return _validation_error("invalid_message", error=error.message)
        if isinstance(error, RejectedError):
            return _provider_error("rejected", account=account, error=error.message)
        return _provider_error("provider_error", account=account, error=error.message)

    # -- retries ------------------------------------------------------------------

    @callback
    def _schedule(self) -> None:
        """Arm the timer for the earliest message waiting for a retry."""
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        waiting = [q.next_attempt for q in self.queue.values() if not q.in_flight]
        if not waiting:
            return
        when = datetime.fromtimestamp(max(_now(), min(waiting)), UTC)
        self._unsub_timer = async_track_point_in_utc_time(self.hass, self._on_timer, when)

    @callback
    def _on_timer(self, _now_dt: datetime) -> None:
        self._unsub_timer = None
        self.entry.async_create_background_task(
            self.hass, self.async_process_due(), f"{DOMAIN} outbox retry"
        )

    async def async_process_due(self) -> None:
        """Retry what is due, fail what is too old."""
        async with self._processing:
            now = _now()
            expired = [
                q
                for q in self.queue.values()
                if not q.in_flight and now - q.created >= self.max_age
            ]
            if expired:
                self._drop(expired)
                await self._save()
                self._report_expired(expired)
            groups: dict[str, list[QueuedMessage]] = {}
            for queued in self.queue.values():
                if not queued.in_flight and queued.next_attempt <= now:
                    groups.setdefault(queued.group, []).append(queued)
            fallback = self._fallback()
            retry_at: float | None = None
            for batch in groups.values():
                if retry_at is not None:
                    # The provider just failed a retry: one probe is enough,
                    # the others wait for the same moment.
                    for queued in batch:
                        queued.next_attempt = max(queued.next_attempt, retry_at)
                    continue
                # This account first, so it is used again as soon as it is back.
                results, error = await self._attempt(batch)
                waiting = [q for q in batch if q.id in self.queue]
                if (
                    error is None
                    and waiting
                    and fallback is not None
                    and batch[0].failover  # not for messages handed over to us: no loops
                    and self.down_too_long()
                ):
                    await self._retry_via(fallback, waiting)
                    continue
                if error is None and waiting:
                    retry_at = min(q.next_attempt for q in waiting)
                self._fire_outcomes(batch, results, error)
            if retry_at is not None:
                await self._save()
            self._schedule()

    async def _retry_via(self, fallback: Outbox, batch: list[QueuedMessage]) -> None:
        """Hand waiting messages over to the fallback account."""
        self._drop(batch)
        await self._save()
        first = batch[0]
        viber = first.viber or {}
        request = SendRequest(
            targets=tuple(q.recipient for q in batch),
            message=first.text,
            channel=Channel(first.channel),
            image_url=viber.get("image_url"),
            button_text=viber.get("button_text"),
            button_url=viber.get("button_url"),
            validity=viber.get("validity"),
            sms_fallback=bool(viber.get("sms_fallback", True)),
        )
        try:
            results = await fallback.async_send(request, allow_failover=False)
        except HomeAssistantError as err:
            await self._keep(batch, f"the fallback account {fallback.entry.title} failed: {err}")
            return
        for result in results:
            self._fire_result(result)

    async def _keep(self, batch: list[QueuedMessage], reason: str) -> None:
        """Put messages back in the outbox for a later retry (they expire at max age)."""
        if not batch:
            return
        LOGGER.warning("%s: %d message(s) stay queued: %s", self.entry.title, len(batch), reason)
        now = _now()
        for queued in batch:
            queued.in_flight = False
            queued.next_attempt = now + backoff(max(1, queued.attempts), None)
            self.queue[queued.id] = queued
        await self._save()
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
                self._fire(queued.recipient, queued.id, DeliveryStatus.REJECTED.value, error.key)
            return
        for result in results:
            self._fire_result(result)

    def _fire_result(self, result: RecipientResult) -> None:
        if result.status == STATUS_QUEUED:
            return  # reported once it is sent (or given up)
        if result.status == DeliveryStatus.UNKNOWN.value:
            return  # already reported by _report_unknown
        self._fire(
            result.to,
            result.message_id,
            result.status,
            result.error,
            config_entry_id=result.config_entry_id,
        )

    def _fire(
        self,
        recipient: str,
        message_id: str | None,
        status: str,
        error: str | None,
        *,
        config_entry_id: str | None = None,
    ) -> None:
        self.hass.bus.async_fire(
            EVENT_DELIVERY_REPORT,
            {
                "config_entry_id": config_entry_id or self.entry.entry_id,
                "message_id": message_id,
                "to": recipient,
                "status": status,
                "error": error,
                "permanent": error is not None,
            },
        )

    # -- health and repairs ---------------------------------------------------------

    def _went_unavailable(self, err: TransientError) -> None:
        if self.unavailable_since is None:
            self.unavailable_since = _now()
            LOGGER.warning(
                "%s is unavailable (%s); messages are kept in the outbox and retried",
                self.entry.title,
                err.message,
            )

    def _came_back(self) -> None:
        if self.unavailable_since is not None:
            self.unavailable_since = None
            LOGGER.info("%s is available again", self.entry.title)

    def _balance_issue(self, *, create: bool) -> None:
        issue_id = f"insufficient_balance_{self.entry.entry_id}"
        if create:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="insufficient_balance",
                translation_placeholders={"account": self.entry.title},
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    def _report_unknown(self, batch: list[QueuedMessage]) -> None:
        """Report messages the provider may or may not have sent; never resend them."""
        LOGGER.warning(
            "%s: %d message(s) may or may not have been sent (the answer was lost);"
            " they are not resent, to avoid duplicates",
            self.entry.title,
            len(batch),
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"delivery_unknown_{self.entry.entry_id}",
            is_fixable=True,
            is_persistent=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key="delivery_unknown",
            translation_placeholders={
                "account": self.entry.title,
                "count": str(len(batch)),
                "recipients": ", ".join(sorted({q.recipient for q in batch})),
            },
        )
        for queued in batch:
            self._fire(
                queued.recipient, queued.id, DeliveryStatus.UNKNOWN.value, ERROR_DELIVERY_UNKNOWN
            )

    def _report_expired(self, batch: list[QueuedMessage]) -> None:
        """Fail messages that waited longer than the maximum age."""
        LOGGER.warning(
            "%s: %d message(s) could not be sent within %g hours and are dropped",
            self.entry.title,
            len(batch),
            self.max_age / 3600,
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"messages_expired_{self.entry.entry_id}",
            is_fixable=True,
            is_persistent=True,
            severity=ir.IssueSeverity.ERROR,
            translation_key="messages_expired",
            translation_placeholders={
                "account": self.entry.title,
                "count": str(len(batch)),
                "recipients": ", ".join(sorted({q.recipient for q in batch})),
                "hours": f"{self.max_age / 3600:g}",
            },
        )
        for queued in batch:
            self._fire(queued.recipient, queued.id, DeliveryStatus.FAILED.value, "expired")


# Per-recipient errors that have a message of their own when every recipient failed.
_SINGLE_CAUSE = {
    InsufficientBalanceError.key: "insufficient_balance",
    ERROR_DELIVERY_UNKNOWN: ERROR_DELIVERY_UNKNOWN,
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
            raise _provider_error(key, account=account, recipients=", ".join(r.to for r in failed))
        raise _provider_error("send_failed", failed=details)
    if not partial_ok:
        raise _provider_error(
            "partial_failure",
            sent=len(results) - len(failed),
            total=len(results),
            failed=details,
        )
