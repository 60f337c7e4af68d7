"""What the outbox keeps: requests, per-recipient results and queued messages.

Every queued message is a small state machine::

    queued --attempt--> in_flight --accepted/refused--> (leaves: accepted | failed)
      ^                     |--provider down, provably unsent--> queued (own backoff)
      |                     |--answer lost, provider has idempotency keys--> queued (maybe_sent)
      |                     '--answer lost otherwise, or any bug--> (leaves: unknown)
      '--credentials refused: held until reauthentication (no attempts meanwhile)

Only ``queued`` and ``in_flight`` are stored; the outcome of a message that
leaves is told by a ``sms_gateway_delivery_report`` event (and repairs).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
import math
import random
import time
from typing import Any

from homeassistant.util import dt as dt_util

from ..providers import Channel

MAX_QUEUED = 1000  # messages waiting per account; more is refused, never dropped
MAX_TARGETS = MAX_QUEUED  # recipients in one request: checked before any per-target work
BACKOFF_BASE = 5.0  # seconds before the first retry
BACKOFF_MAX = 900.0  # at most 15 minutes between retries
MAX_RETRY_AFTER = 3600.0  # a provider's Retry-After is honoured up to an hour
FAILOVER_GRACE = 60.0  # seconds an account may be unreachable before the fallback is used
MAX_CONCURRENT_REQUESTS = 4  # requests under way at once, per account

STATUS_QUEUED = "queued"
ERROR_DELIVERY_UNKNOWN = "delivery_unknown"
ERROR_DUPLICATE = "duplicate_message_id"
ERROR_INTERNAL = "internal_error"


class MessageState(StrEnum):
    """Where a stored message is in its life."""

    QUEUED = "queued"  # waiting for next_attempt (or for reauthentication)
    IN_FLIGHT = "in_flight"  # a request carrying it is under way


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
    created: float  # Unix time (for people and diagnostics; age is counted apart)
    viber: dict[str, Any] | None = None
    send_at: str | None = None
    notify_url: str | None = None
    callback_data: str | None = None
    attempts: int = 0
    next_attempt: float = 0.0  # monotonic seconds (see Clock); 0 = due now
    state: MessageState = MessageState.QUEUED
    last_error: str | None = None
    maybe_sent: bool = False  # an answer was lost: never handed to another account
    failover: bool = True  # False once handed over by another account: never moved again
    age: float = 0.0  # seconds waited, as of the last save
    # Not stored: when the age was last brought up to date (monotonic).
    age_mark: float = field(default=0.0, compare=False)

    @property
    def in_flight(self) -> bool:
        """Return whether a request carrying the message is under way."""
        return self.state is MessageState.IN_FLIGHT

    def as_stored(self, now_mono: float) -> dict[str, Any]:
        """Return the stored form, with the age brought up to date."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "age_mark"}
        data["state"] = self.state.value
        data["age"] = self.age + max(0.0, now_mono - self.age_mark)
        data["next_attempt"] = 0.0  # monotonic time means nothing after a restart
        return data

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> QueuedMessage:
        """Restore a stored message; fields a newer version added are ignored.

        Raises ``KeyError``/``TypeError``/``ValueError`` for data it cannot read.
        """
        known = {f.name for f in fields(cls)} - {"age_mark"}
        values = {k: v for k, v in data.items() if k in known}  # not a dict: AttributeError
        message = cls(**values)
        message.state = MessageState(message.state)
        if not isinstance(message.id, str) or not isinstance(message.recipient, str):
            raise TypeError("id and recipient must be strings")
        return message


class Clock:
    """Wall time for people, monotonic time for waiting.

    Ages and retry times use the monotonic clock, so an NTP step (common right
    after boot) can neither expire a message early nor stall its retries.
    """

    @staticmethod
    def wall() -> float:
        """Return Unix time."""
        return dt_util.utcnow().timestamp()

    @staticmethod
    def mono() -> float:
        """Return monotonic seconds."""
        return time.monotonic()


def clamp_retry_after(value: float | None) -> float | None:
    """Return a provider's Retry-After, within 0 and MAX_RETRY_AFTER seconds."""
    if value is None or math.isnan(value):
        return None
    return min(MAX_RETRY_AFTER, max(0.0, float(value)))


def backoff(attempts: int, retry_after: float | None) -> float:
    """Return the seconds before the next attempt: exponential, jittered, >= Retry-After."""
    delay: float = min(BACKOFF_MAX, BACKOFF_BASE * 2.0 ** max(0, min(attempts, 64) - 1))
    delay *= random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not cryptography
    retry_after = clamp_retry_after(retry_after)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay
