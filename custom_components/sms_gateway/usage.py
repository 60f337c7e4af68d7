"""What an account sends and spends: usage counters and spending limits.

**Spending limits** (options ``limit_hour`` and ``limit_day``, in SMS
segments, the thing providers bill; 0 = no limit). Every send is counted
when the outbox takes it, before anything goes out, so a message that waits
for retries counts once. A send that would pass a limit is refused whole
with a translated error naming the limit; the first refusal in a window
fires ``sms_gateway_limit_reached`` and shows a repair issue, which clears
one window (an hour, a day) later. The limits count a sliding window of
minute buckets (at most a day of them), kept in storage so that a restart
does not reset them.

**Usage** (the usage sensors): messages and segments the provider accepted
today and this month, and what they cost this month where the provider
reports a price (Infobip in delivery reports, sms365 and voip-communications
in the send's answer). Each message's price is counted once, by id. Days and
months are Home Assistant's local ones; the counters start again at local
midnight and on the first of the month, and survive restarts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
import math
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later, async_track_time_change
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import (
    CONF_LIMIT_DAY,
    CONF_LIMIT_HOUR,
    DEFAULT_LIMIT_DAY,
    DEFAULT_LIMIT_HOUR,
    DOMAIN,
    EVENT_LIMIT_REACHED,
    LOGGER,
)
from .errors import provider_error
from .issues import async_show_issue
from .providers import Channel, SendResult
from .providers.text import analyze

STORAGE_VERSION = 1
SAVE_DELAY = 1.0  # seconds: writes are coalesced
MAX_PRICED_IDS = 5000  # ids whose price was counted (a report may repeat it)
WINDOWS = {"hour": 3600.0, "day": 86400.0}


def limit_issue_id(entry_id: str, window: str) -> str:
    """Return the repair issue id of a reached limit."""
    return f"spending_limit_{window}_{entry_id}"


def segments_of(text: str, channel: Channel, recipients: int) -> int:
    """Return what a message to ``recipients`` numbers is billed: segments (Viber: messages)."""
    per_message = 1 if channel is Channel.VIBER else analyze(text).segments
    return per_message * recipients


@dataclass(slots=True)
class Period:
    """A day's or a month's counters."""

    key: str = ""  # 2026-12-03, or 2026-12
    messages: int = 0
    segments: int = 0
    cost: float = 0.0
    priced: bool = False  # a price was counted

    def as_stored(self) -> dict[str, Any]:
        """Return the stored form."""
        return {
            "key": self.key,
            "messages": self.messages,
            "segments": self.segments,
            "cost": self.cost,
            "priced": self.priced,
        }

    @classmethod
    def from_stored(cls, data: Any) -> Period:
        """Read the stored form (anything unreadable starts afresh)."""
        if not isinstance(data, dict):
            return cls()
        try:
            return cls(
                key=str(data.get("key", "")),
                messages=int(data.get("messages", 0)),
                segments=int(data.get("segments", 0)),
                cost=float(data.get("cost", 0.0)),
                priced=bool(data.get("priced", False)),
            )
        except (TypeError, ValueError):
            return cls()


def _day_key(now: datetime) -> str:
    return now.date().isoformat()


def _month_key(now: datetime) -> str:
    return f"{now.year:04d}-{now.month:02d}"


class AccountUsage:
    """An account's usage counters and spending limits."""

    def __init__(self, hass: HomeAssistant, entry_id: str, title: str, options: Any) -> None:
        """Create the counters; call async_load before use."""
        self.hass = hass
        self.entry_id = entry_id
        self.title = title
        self.limits = {
            "hour": int(options.get(CONF_LIMIT_HOUR, DEFAULT_LIMIT_HOUR)),
            "day": int(options.get(CONF_LIMIT_DAY, DEFAULT_LIMIT_DAY)),
        }
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.usage"
        )
        self.today = Period()
        self.month = Period()
        self.currency: str | None = None
        # Unix minute -> segments taken by the outbox in that minute (a day of them).
        self._minutes: dict[int, int] = {}
        # Window -> Unix time its notice (issue, event) ends.
        self._notices: dict[str, float] = {}
        self._priced: dict[str, None] = {}
        self._listeners: list[Callable[[], None]] = []
        self._unsubs: list[CALLBACK_TYPE] = []
        self._dirty = False

    # -- storage ----------------------------------------------------------------------

    async def async_load(self) -> None:
        """Read the counters, start the midnight timer and the notices' timers."""
        data = await self._store.async_load() or {}
        self.today = Period.from_stored(data.get("today"))
        self.month = Period.from_stored(data.get("month"))
        currency = data.get("currency")
        self.currency = currency if isinstance(currency, str) else None
        minutes = data.get("minutes")
        if isinstance(minutes, dict):
            for minute, segments in minutes.items():
                if str(minute).isdigit() and isinstance(segments, int):
                    self._minutes[int(minute)] = segments
        priced = data.get("priced")
        if isinstance(priced, list):
            self._priced = dict.fromkeys(str(i) for i in priced[-MAX_PRICED_IDS:])
        notices = data.get("notices")
        if isinstance(notices, dict):
            for window, until in notices.items():
                if window in WINDOWS and isinstance(until, (int, float)):
                    self._arm_notice(window, float(until))
        self._roll_over()
        self._unsubs.append(
            async_track_time_change(self.hass, self._at_midnight, hour=0, minute=0, second=0)
        )

    def _data(self) -> dict[str, Any]:
        self._prune(dt_util.utcnow().timestamp())
        return {
            "today": self.today.as_stored(),
            "month": self.month.as_stored(),
            "currency": self.currency,
            "minutes": {str(k): v for k, v in self._minutes.items()},
            "priced": list(self._priced),
            "notices": dict(self._notices),
        }

    def _changed(self) -> None:
        self._dirty = True
        self._store.async_delay_save(self._data, SAVE_DELAY)
        for listener in list(self._listeners):
            listener()

    async def async_shutdown(self) -> None:
        """Stop the timers and write what is not written yet."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        if self._dirty:
            await self._store.async_save(self._data())

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` whenever the counters change; return the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # -- the counters -----------------------------------------------------------------

    def _roll_over(self) -> bool:
        """Start a new day or month when the local date moved on; return whether it did."""
        now = dt_util.now()
        rolled = False
        if self.today.key != (day := _day_key(now)):
            self.today = Period(key=day)
            rolled = True
        if self.month.key != (month := _month_key(now)):
            self.month = Period(key=month)
            rolled = True
        return rolled

    @callback
    def _at_midnight(self, _now: datetime) -> None:
        if self._roll_over():
            self._changed()

    def period_start(self, period: str) -> datetime:
        """Return the local start of today (``day``) or of this month (``month``)."""
        start = dt_util.start_of_local_day()
        return start if period == "day" else start.replace(day=1)

    def record_sent(self, sent: Iterable[SendResult], channel: Channel) -> None:
        """Count the messages the provider accepted, and their prices when told."""
        self._roll_over()
        changed = False
        for result in sent:
            if not result.accepted:
                continue
            segments = 1 if channel is Channel.VIBER else max(result.segments, 1)
            for period in (self.today, self.month):
                period.messages += 1
                period.segments += segments
            changed = True
            if result.price is not None and result.message_id:
                self._add_cost(result.message_id, result.price, result.currency)
        if changed:
            self._changed()

    def record_price(self, message_id: str, price: float | None, currency: str | None) -> None:
        """Count a price a delivery report told (once per message)."""
        if price is None or message_id in self._priced:
            return
        self._roll_over()
        self._add_cost(message_id, price, currency)
        self._changed()

    def _add_cost(self, message_id: str, price: float, currency: str | None) -> None:
        if message_id in self._priced or not math.isfinite(price) or price < 0:
            return
        self._priced[message_id] = None
        while len(self._priced) > MAX_PRICED_IDS:
            del self._priced[next(iter(self._priced))]
        self.month.cost += price
        self.month.priced = True
        if currency:
            self.currency = currency

    # -- the limits -------------------------------------------------------------------

    def _prune(self, now: float) -> None:
        oldest = int((now - WINDOWS["day"]) // 60)
        for minute in [m for m in self._minutes if m <= oldest]:
            del self._minutes[minute]

    def summary(self) -> dict[str, Any]:
        """Return the counters and the limits (diagnostics: counts only)."""
        return {
            "today": self.today.as_stored(),
            "month": self.month.as_stored(),
            "currency": self.currency,
            "limits": dict(self.limits),
            "used": {window: self.used(window) for window in WINDOWS},
            "notices": sorted(self._notices),
        }

    def used(self, window: str, now: float | None = None) -> int:
        """Return the segments taken within the last hour or day."""
        now = dt_util.utcnow().timestamp() if now is None else now
        first = int((now - WINDOWS[window]) // 60)
        return sum(segments for minute, segments in self._minutes.items() if minute > first)

    def take(self, segments: int) -> None:
        """Count a send the outbox takes, or raise HomeAssistantError if it would pass a limit."""
        now = dt_util.utcnow().timestamp()
        self._prune(now)
        for window, limit in self.limits.items():
            if limit <= 0:
                continue
            used = self.used(window, now)
            if used + segments > limit:
                self._reached(window, limit, used, segments, now)
                raise provider_error(f"spending_limit_{window}", account=self.title, limit=limit)
        minute = int(now // 60)
        self._minutes[minute] = self._minutes.get(minute, 0) + segments
        self._changed()

    def _reached(self, window: str, limit: int, used: int, segments: int, now: float) -> None:
        """Tell once a window: the event, the repair issue (cleared a window later)."""
        if window in self._notices:
            return
        LOGGER.warning(
            "%s: the spending limit of %d SMS segments per %s is reached; sends are refused",
            self.title,
            limit,
            window,
        )
        self.hass.bus.async_fire(
            EVENT_LIMIT_REACHED,
            {
                "config_entry_id": self.entry_id,
                "window": window,
                "limit": limit,
                "used": used,
                "refused": segments,
            },
        )
        async_show_issue(
            self.hass,
            limit_issue_id(self.entry_id, window),
            show=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=f"spending_limit_{window}",
            placeholders={"account": self.title, "limit": str(limit)},
        )
        self._arm_notice(window, now + WINDOWS[window])
        self._changed()

    def _arm_notice(self, window: str, until: float) -> None:
        self._notices[window] = until
        delay = until - dt_util.utcnow().timestamp()

        @callback
        def clear(_now: datetime | None = None) -> None:
            self._notices.pop(window, None)
            ir.async_delete_issue(self.hass, DOMAIN, limit_issue_id(self.entry_id, window))
            self._changed()

        if delay <= 0:
            clear()
            return
        self._unsubs.append(async_call_later(self.hass, delay, clear))
