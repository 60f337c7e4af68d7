"""Typed models shared by every provider client."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Channel(StrEnum):
    """How a message is sent."""

    SMS = "sms"
    FLASH = "flash"
    VIBER = "viber"


class DeliveryStatus(StrEnum):
    """One delivery status across providers."""

    ACCEPTED = "accepted"  # the provider took the message
    SCHEDULED = "scheduled"  # waiting for its send time
    PENDING = "pending"  # sent on, no final report yet
    DELIVERED = "delivered"
    UNDELIVERABLE = "undeliverable"  # the network could not deliver it
    EXPIRED = "expired"  # validity period passed
    REJECTED = "rejected"  # refused by the provider (never sent)
    FAILED = "failed"  # failed, no detail
    UNKNOWN = "unknown"  # we cannot tell (e.g. answer lost)

    @property
    def is_final(self) -> bool:
        """Return whether no further report will change this status."""
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset(
    {
        DeliveryStatus.DELIVERED,
        DeliveryStatus.UNDELIVERABLE,
        DeliveryStatus.EXPIRED,
        DeliveryStatus.REJECTED,
        DeliveryStatus.FAILED,
    }
)


class Encoding(StrEnum):
    """SMS text encoding."""

    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True, slots=True)
class StatusDetail:
    """A normalised status with the provider's own wording kept alongside."""

    status: DeliveryStatus
    provider_status: str | None = None  # e.g. DELIVERED_TO_HANDSET, "d", "SCHEDULED"
    description: str | None = None
    error_name: str | None = None  # e.g. EC_ABSENT_SUBSCRIBER
    error_description: str | None = None
    permanent: bool = False


@dataclass(frozen=True, slots=True)
class ViberContent:
    """The Viber-specific parts of a message."""

    image_url: str | None = None
    button_text: str | None = None
    button_url: str | None = None
    validity: int | None = None  # seconds
    sms_fallback: bool = True
    fallback_text: str | None = None  # defaults to the message text
    fallback_sender: str | None = None  # defaults to the SMS sender


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One text to one or more recipients.

    ``recipients`` are E.164 numbers (``+3069...``); clients convert them to
    the format their API wants. ``client_message_ids`` (one per recipient)
    make a send idempotent where the API supports it.
    """

    recipients: tuple[str, ...]
    text: str
    sender: str | None = None
    channel: Channel = Channel.SMS
    viber: ViberContent | None = None
    send_at: datetime | None = None
    client_message_ids: tuple[str, ...] | None = None
    bulk_id: str | None = None
    notify_url: str | None = None
    callback_data: str | None = None
    transliteration: str | None = None
    language_code: str | None = None

    def __post_init__(self) -> None:
        """Check the invariants."""
        if not self.recipients:
            raise ValueError("a message needs at least one recipient")
        if self.client_message_ids is not None and len(self.client_message_ids) != len(
            self.recipients
        ):
            raise ValueError("one client message id per recipient")


@dataclass(frozen=True, slots=True)
class SendResult:
    """What happened to a message for one recipient."""

    recipient: str  # E.164
    status: StatusDetail
    message_id: str | None = None
    segments: int = 1
    encoding: Encoding = Encoding.GSM7
    price: float | None = None
    currency: str | None = None
    channel: Channel = Channel.SMS
    # Set when this recipient failed while others may have succeeded.
    error: str | None = None  # an errors.ProviderError key, e.g. "invalid_recipient"
    # The provider will push this message's delivery report to the message's
    # notify_url. False: no push will come (no notify_url, or the endpoint has
    # no callback, as sms365's bulk and Viber sends): its report must be pulled.
    report_pushed: bool = False

    @property
    def accepted(self) -> bool:
        """Return whether the provider took the message for this recipient."""
        return self.error is None and self.status.status not in (
            DeliveryStatus.REJECTED,
            DeliveryStatus.FAILED,
            DeliveryStatus.UNDELIVERABLE,
        )


@dataclass(frozen=True, slots=True)
class Balance:
    """An account balance: money with a currency, or message credits."""

    amount: float
    currency: str | None = None  # ISO 4217 code; None when counted in credits
    unit: str = "currency"  # "currency" | "credits"


@dataclass(frozen=True, slots=True)
class ViberSenderBalance:
    """The balance of one approved Viber sender id (sms365)."""

    sender: str
    balance: float
    paused: bool = False
    two_way: bool = False
    text: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """A delivery report for one message."""

    message_id: str
    status: StatusDetail
    recipient: str | None = None  # E.164 when the provider tells
    sent_at: datetime | None = None
    done_at: datetime | None = None
    segments: int | None = None
    price: float | None = None
    currency: str | None = None
    bulk_id: str | None = None
    callback_data: str | None = None
    mcc: str | None = None
    mnc: str | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """An SMS a handset sent to one of the account's numbers."""

    message_id: str
    sender: str  # as received; the integration normalises it
    text: str
    recipient: str | None = None
    keyword: str | None = None
    clean_text: str | None = None
    received_at: datetime | None = None
    segments: int | None = None
    # The provider gave neither an id nor a time: the id is derived from the
    # sender, number and text, and the same text may honestly come again
    # ("HOME" on Monday and on Tuesday). Such an id marks a repeat as a
    # duplicate only within a short window (the integration's).
    repeatable: bool = False


@dataclass(frozen=True, slots=True)
class NumberInfo:
    """What a number lookup (HLR / Number Context / mobile check) tells."""

    number: str
    valid: bool
    status: StatusDetail | None = None
    country: str | None = None
    country_prefix: str | None = None
    network: str | None = None
    mcc: str | None = None
    mnc: str | None = None
    ported: bool | None = None
    roaming: bool | None = None
    cost: float | None = None


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a provider can do; the integration reads these, not provider names."""

    text: bool = True
    flash: bool = False
    viber: bool = False
    viber_sms_fallback: bool = False
    batch: bool = False
    max_batch_size: int = 1
    scheduling: bool = False
    cancel: bool = False
    balance: bool = False
    balance_unit: str = "currency"  # "currency" | "credits"
    viber_balance: bool = False
    delivery_reports_push: bool = False
    delivery_reports_pull: bool = False
    inbound_push: bool = False
    inbound_pull: bool = False
    number_lookup: bool = False
    # True: the client picks GSM-7 or UCS-2 itself (e.g. sms365's ``ucs``);
    # False: the API detects the encoding from the text.
    unicode_explicit: bool = False
    idempotent_send: bool = False  # a resend with the same ids cannot double-send
    sender_rules: str = "alphanumeric"  # "alphanumeric" | "latin11" | "own_number"

    @property
    def inbound(self) -> bool:
        """Return whether the account can receive SMS (pushed or pulled)."""
        return self.inbound_push or self.inbound_pull


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """Identifies the account a set of credentials belongs to."""

    account_id: str  # stable, never a secret
    title: str
