"""In-memory state of the provider simulator.

Everything a test or the demo needs to see or steer lives here: accounts, the
messages each provider accepted, pending delivery reports and inbound messages
(each readable once, as the real APIs do), the log of every protocol request
received, the log of pushes the simulator made (delivery reports, inbound
forwards) and the fault rules.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
import itertools
import time
from typing import Any, Literal
import uuid

from .text import segment_count

Provider = Literal["infobip", "sms365", "voip"]
PROVIDERS: tuple[Provider, ...] = ("infobip", "sms365", "voip")

# Final outcome of a message, decided deterministically from the number.
Outcome = Literal["delivered", "undeliverable", "expired", "rejected"]


def outcome_for(number: str) -> Outcome:
    """Decide a message's final outcome from its destination number.

    Deterministic so that tests can rely on it: a number ending in ``0`` is
    undeliverable, one ending in ``9`` expires, every other number is delivered.
    """
    digits = "".join(ch for ch in number if ch.isdigit())
    if digits.endswith("0"):
        return "undeliverable"
    if digits.endswith("9"):
        return "expired"
    return "delivered"


def now_utc() -> datetime:
    """Return the current time, timezone aware."""
    return datetime.now(UTC)


@dataclass
class Account:
    """A provider account with its credentials and balance."""

    id: str
    provider: Provider
    username: str = ""
    password: str = ""
    api_key: str = ""
    api_password: str = ""
    balance: float = 100.0
    currency: str = "EUR"
    price_per_segment: float = 0.01
    # sms365: IP whitelist active and this caller not on it -> credentials error.
    ip_blocked: bool = False
    # sms365 Viber sender ids approved for this account and their balances.
    viber_senders: dict[str, float] = field(default_factory=dict)
    paused_viber_senders: list[str] = field(default_factory=list)
    # Infobip: where received messages are forwarded (push); None = pull only.
    forward_url: str | None = None
    # Infobip: keywords registered on the account's numbers.
    keywords: list[str] = field(default_factory=lambda: ["KEY", "HEY"])
    # Infobip: the unit of ``validityPeriod``, which depends on the host's copy
    # of the document: "milliseconds" (107.20.199.106, example 86400000) or
    # "minutes" (api.shortlink.pro, example 720).
    validity_period_unit: str = "milliseconds"
    # voip-communications: the account's SMS enabled numbers and the Callback
    # URL configured for each (replies are POSTed there).
    numbers: dict[str, str | None] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        """Return the account as JSON-able data (control API)."""
        return asdict(self)


@dataclass
class Message:
    """One message to one destination, as the provider sees it."""

    id: str
    provider: Provider
    account_id: str
    to: str
    text: str
    sender: str | None = None
    bulk_id: str | None = None
    channel: str = "sms"  # sms | flash | binary | viber
    encoding: str = "GSM7"  # GSM7 | UCS2 | BINARY
    segments: int = 1
    price: float = 0.0
    currency: str = "EUR"
    status: str = (
        "pending"  # scheduled | pending | delivered | undeliverable | expired | rejected | canceled
    )
    outcome: Outcome = "delivered"
    sent_at: datetime = field(default_factory=now_utc)
    done_at: datetime | None = None
    send_at: datetime | None = None
    notify_url: str | None = None
    notify_content_type: str = "application/json"
    callback_data: str | None = None
    validity_period_ms: int | None = None
    garbled: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        """Return the message as JSON-able data (control API)."""
        data = asdict(self)
        for key in ("sent_at", "done_at", "send_at"):
            value = data[key]
            data[key] = value.isoformat() if value is not None else None
        return data


@dataclass
class InboundMessage:
    """A message sent by a handset to one of the account's numbers."""

    id: str
    provider: Provider
    account_id: str
    sender: str
    to: str
    text: str
    keyword: str | None
    clean_text: str
    received_at: datetime
    sms_count: int = 1

    def public(self) -> dict[str, Any]:
        """Return the message as JSON-able data (control API)."""
        data = asdict(self)
        data["received_at"] = self.received_at.isoformat()
        return data


@dataclass
class Fault:
    """A fault rule: applies to matching protocol requests.

    ``kind`` is one of ``latency``, ``status``, ``drop``, ``timeout``,
    ``malformed_json``, ``html``, ``empty``, ``body``. It applies to the next
    ``count`` matching requests, or to every matching request until
    ``until`` (monotonic time), or both (whichever ends first). ``skip`` lets
    the first ``skip`` matching requests through untouched (the rule counts
    them in ``skipped``; another rule may still apply to them), so that e.g.
    only the second chunk of a split send fails: ``skip=1, count=1``.
    """

    id: int
    kind: str
    provider: Provider | None = None
    path: str | None = None
    count: int | None = None
    until: float | None = None
    status: int | None = None
    retry_after: str | None = None
    latency: float = 0.0
    seconds: float = 30.0
    body: str | None = None
    content_type: str | None = None
    skip: int = 0
    skipped: int = 0
    match: str | None = None  # only requests whose body (or query) contains this text
    hits: int = 0

    def active(self, now: float) -> bool:
        """Return whether the rule still applies."""
        if self.count is not None and self.hits >= self.count:
            return False
        return not (self.until is not None and now >= self.until)

    def matches(self, provider: Provider | None, path: str, content: str = "") -> bool:
        """Return whether the rule applies to a request (``content``: its body and query)."""
        if self.provider is not None and self.provider != provider:
            return False
        if self.match is not None and self.match not in content:
            return False
        return not (self.path is not None and self.path not in path)

    def public(self) -> dict[str, Any]:
        """Return the rule as JSON-able data (control API)."""
        data = asdict(self)
        if self.until is not None:
            data["remaining_seconds"] = max(0.0, self.until - time.monotonic())
        data.pop("until")
        return data


@dataclass
class RecordedRequest:
    """A protocol request as it reached the simulator."""

    seq: int
    provider: Provider | None
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: str
    json: Any = None
    form: dict[str, list[str]] | None = None
    account_id: str | None = None
    status: int | None = None
    fault: str | None = None
    time: float = field(default_factory=time.time)

    def public(self) -> dict[str, Any]:
        """Return the request as JSON-able data (control API)."""
        return asdict(self)


@dataclass
class Push:
    """A request the simulator made to a client URL (report or inbound)."""

    kind: str  # delivery_report | inbound | number_context
    provider: Provider
    url: str
    method: str
    body: str
    content_type: str | None
    status: int | None = None
    error: str | None = None
    time: float = field(default_factory=time.time)

    def public(self) -> dict[str, Any]:
        """Return the push as JSON-able data (control API)."""
        return asdict(self)


class SimulatorState:
    """All state of one simulator instance."""

    def __init__(self) -> None:
        """Start empty: no accounts, no messages."""
        self.accounts: dict[str, Account] = {}
        self.messages: dict[str, Message] = {}
        self.pending_reports: dict[Provider, list[str]] = {p: [] for p in PROVIDERS}
        # sms365 status/get returns message ids whose status changed since last call.
        self.changed_status: list[str] = []
        self.inbox: list[InboundMessage] = []
        self.inbox_log: list[InboundMessage] = []
        self.requests: list[RecordedRequest] = []
        self.pushes: list[Push] = []
        self.faults: list[Fault] = []
        # Seconds between accepting a message and its final delivery report.
        self.report_delay: float = 0.0
        self.number_context_requests: dict[str, dict[str, Any]] = {}
        self.twofa: dict[str, dict[str, Any]] = {}
        # Pending lifecycle timers (message id -> handle), see core.accept.
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self._seq = itertools.count(1)
        self._fault_ids = itertools.count(1)

    # -- accounts -------------------------------------------------------------

    def add_account(self, provider: Provider, **values: Any) -> Account:
        """Create an account; unknown keys raise TypeError."""
        account_id = str(values.pop("id", "") or f"{provider}-{uuid.uuid4().hex[:8]}")
        if provider == "sms365":
            values.setdefault("currency", "SMS")
            values.setdefault("price_per_segment", 1.0)
            values.setdefault("balance", 100.0)
        if provider == "voip":
            values.setdefault("currency", "USD")
        account = Account(id=account_id, provider=provider, **values)
        self.accounts[account_id] = account
        return account

    def find_infobip_account(self, username: str, password: str) -> Account | None:
        """Return the Infobip account with these credentials."""
        for account in self.accounts.values():
            if (
                account.provider == "infobip"
                and account.username == username
                and account.password == password
            ):
                return account
        return None

    def find_sms365_account(self, api_key: str) -> Account | None:
        """Return the sms365 account with this API key."""
        for account in self.accounts.values():
            if account.provider == "sms365" and api_key and account.api_key == api_key:
                return account
        return None

    def find_sms365_login(self, username: str, password: str) -> Account | None:
        """Return the sms365 account with this username and password."""
        for account in self.accounts.values():
            if (
                account.provider == "sms365"
                and username
                and account.username == username
                and account.password == password
            ):
                return account
        return None

    def find_voip_account(self, api_key: str, api_password: str) -> Account | None:
        """Return the voip-communications account with these credentials."""
        for account in self.accounts.values():
            if (
                account.provider == "voip"
                and account.api_key == api_key
                and account.api_password == api_password
            ):
                return account
        return None

    # -- messages -------------------------------------------------------------

    def new_id(self) -> str:
        """Return a fresh provider message id."""
        return str(uuid.uuid4())

    def create_message(
        self,
        account: Account,
        *,
        to: str,
        text: str,
        message_id: str | None = None,
        unicode: bool | None = None,
        **values: Any,
    ) -> Message:
        """Record an accepted message and charge the account for it.

        ``unicode`` forces the encoding (sms365's ``ucs``); ``None`` detects it
        from the text. The caller checks the balance first.
        """
        segments, encoding = segment_count(text, unicode=unicode)
        price = round(segments * account.price_per_segment, 5)
        message = Message(
            id=message_id or self.new_id(),
            provider=account.provider,
            account_id=account.id,
            to=to,
            text=text,
            segments=segments,
            encoding=encoding,
            price=price,
            currency=account.currency,
            outcome=outcome_for(to),
            **values,
        )
        account.balance = round(account.balance - price, 5)
        self.messages[message.id] = message
        return message

    def messages_for(self, account: Account) -> list[Message]:
        """Return the account's messages, newest first."""
        return sorted(
            (m for m in self.messages.values() if m.account_id == account.id),
            key=lambda m: m.sent_at,
            reverse=True,
        )

    # -- request log ----------------------------------------------------------

    def record(self, **values: Any) -> RecordedRequest:
        """Append a request to the log."""
        entry = RecordedRequest(seq=next(self._seq), **values)
        self.requests.append(entry)
        return entry

    # -- faults ---------------------------------------------------------------

    def add_fault(self, *, duration: float | None = None, **values: Any) -> Fault:
        """Add a fault rule; ``duration`` (seconds) sets a time window."""
        until = time.monotonic() + duration if duration is not None else None
        if values.get("count") is None and until is None:
            values["count"] = 1
        fault = Fault(id=next(self._fault_ids), until=until, **values)
        self.faults.append(fault)
        return fault

    def take_fault(self, provider: Provider | None, path: str, content: str = "") -> Fault | None:
        """Return (and count) the first active rule matching a request.

        A matching rule still letting requests through (``skip``) counts the
        request as skipped and leaves it to the rules after it.
        """
        now = time.monotonic()
        self.faults = [f for f in self.faults if f.active(now)]
        for fault in self.faults:
            if fault.matches(provider, path, content):
                if fault.skipped < fault.skip:
                    fault.skipped += 1
                    continue
                fault.hits += 1
                return fault
        return None

    def cancel_timers(self) -> None:
        """Stop every pending lifecycle timer (on reset and shutdown)."""
        for handle in self.timers.values():
            handle.cancel()
        self.timers.clear()

    def reset(self) -> None:
        """Forget everything but the accounts."""
        accounts = self.accounts
        self.cancel_timers()
        self.__init__()  # type: ignore[misc]
        self.accounts = accounts
