"""The record of received SMS already dispatched: exactly once, across restarts.

Messages are recognised by the provider's message id: a provider retry, or
the same message arriving by push and by pull, is dispatched once. The ids
seen are stored (the most recent MAX_SEEN_IDS) before a message is
dispatched, so a restart cannot dispatch it again.

* **Cancellation**: the ids are written, then marked seen, then handed back
  for dispatch, in a task the caller cannot cancel (Home Assistant cancels a
  webhook handler whose client disconnects). Ids being written are claimed:
  a provider retry meanwhile is not dispatched twice.
* **Group commit**: writes start at least WRITE_INTERVAL apart; the messages
  that arrive meanwhile, or while a write is under way, share the next one
  (at most 10 writes a second at any rate). A message after a quiet spell is
  written at once. A failed write fails every caller waiting for it: nothing
  is dispatched, and the provider is asked to retry.
* **Repeatable messages** (no provider id nor time, ``InboundMessage.repeatable``)
  are duplicates only within REPEAT_WINDOW, counted on the monotonic clock
  while running and stored as Unix times (a time in the future, after the
  clock stepped back, counts as now).
* The same store keeps the time of the last pushed message (see
  ``InboundDispatcher.pull_paused``).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
import math
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.storage import Store

from .const import DOMAIN, LOGGER
from .outbox.message import Clock
from .providers import InboundMessage

STORAGE_VERSION = 1
MAX_SEEN_IDS = 2000
# A repeatable message (no provider id, no time) seen again within this
# window is a provider retry; later, the same text is a new message.
REPEAT_WINDOW = 300.0
# Writes of the seen ids start at least this far apart (seconds): under load
# the messages that arrive meanwhile share the next write (at most 10 writes
# a second at any rate, each message waits at most this long).
WRITE_INTERVAL = 0.1


class SeenMessages:
    """The ids of an account's received SMS, written before they are dispatched."""

    def __init__(self, hass: HomeAssistant, entry_id: str, title: str) -> None:
        """Create the record; call async_load before use."""
        self.hass = hass
        self._title = title
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.inbound"
        )
        self._seen: OrderedDict[str, None] = OrderedDict()
        # Repeatable ids -> monotonic time last seen (within REPEAT_WINDOW).
        self._recent: dict[str, float] = {}
        self.last_push: float | None = None  # Unix time of the last pushed message
        # Ids being recorded now (not yet seen): a repeat of one is not dispatched twice.
        self._claimed: dict[str, InboundMessage] = {}
        # Group commit: writes wanted / done; the writer task; waiters.
        self._wanted = 0
        self._saved = 0
        self._failures = 0
        self._writer: asyncio.Task[None] | None = None
        self._last_write = -math.inf  # loop time the last write started
        self._written = asyncio.Condition()

    async def async_load(self) -> None:
        """Load the ids of messages already dispatched."""
        data = await self._store.async_load() or {}
        for message_id in data.get("seen", [])[-MAX_SEEN_IDS:]:
            self._seen[message_id] = None
        wall, mono = Clock.wall(), Clock.mono()
        if isinstance(last_push := data.get("last_push"), (int, float)):
            self.last_push = min(float(last_push), wall)
        recent: dict[str, Any] = data.get("recent") or {}
        for message_id, when in recent.items():
            if isinstance(when, (int, float)) and wall - when < REPEAT_WINDOW:
                self._recent[str(message_id)] = mono - max(0.0, wall - when)

    async def async_record(
        self,
        messages: list[InboundMessage],
        dispatch: Callable[[list[InboundMessage]], None],
    ) -> int:
        """Record the new messages, then call dispatch with them; return how many.

        Returns at once (0) when every message was seen or is being recorded.
        Raises HomeAssistantError when the write failed (nothing dispatched).
        """
        fresh: dict[str, InboundMessage] = {}
        for message in messages:
            if message.message_id not in self._claimed and not self._is_seen(message):
                fresh.setdefault(message.message_id, message)
        if not fresh:
            return 0
        self._claimed.update(fresh)
        task = self.hass.async_create_task(
            self._persist_then(list(fresh.values()), dispatch), f"{DOMAIN} inbound SMS"
        )
        return await asyncio.shield(task)

    async def _persist_then(
        self,
        fresh: list[InboundMessage],
        dispatch: Callable[[list[InboundMessage]], None],
    ) -> int:
        try:
            await self._commit()
        finally:
            for message in fresh:
                self._claimed.pop(message.message_id, None)
        for message in fresh:
            self._remember(message)
        dispatch(fresh)
        return len(fresh)

    def _is_seen(self, message: InboundMessage) -> bool:
        if not message.repeatable:
            return message.message_id in self._seen
        seen_at = self._recent.get(message.message_id)
        return seen_at is not None and Clock.mono() - seen_at < REPEAT_WINDOW

    async def _commit(self) -> None:
        """Return once a write that includes every id claimed so far is done."""
        self._wanted += 1
        wanted = self._wanted
        failures = self._failures
        async with self._written:
            if self._writer is None or self._writer.done():
                self._writer = self.hass.async_create_task(
                    self._write_loop(), f"{DOMAIN} inbound store"
                )
            await self._written.wait_for(
                lambda: self._saved >= wanted or self._failures != failures
            )
            if self._saved < wanted:
                raise HomeAssistantError("the received SMS could not be recorded")

    async def _write_loop(self) -> None:
        """Write the seen ids (and those claimed) until every wanted write is done."""
        while self._saved < self._wanted:
            if (wait := self._last_write + WRITE_INTERVAL - self.hass.loop.time()) > 0:
                await asyncio.sleep(wait)
            target = self._wanted
            self._last_write = self.hass.loop.time()
            try:
                await self._store.async_save(self._data_to_save())
            except Exception:  # noqa: BLE001 - reported to every waiting caller
                LOGGER.exception("%s: recording received SMS failed", self._title)
                async with self._written:
                    # The waiting callers fail; the next write starts anew.
                    self._wanted = self._saved
                    self._failures += 1
                    self._written.notify_all()
                return
            async with self._written:
                self._saved = target
                self._written.notify_all()

    def _data_to_save(self) -> dict[str, Any]:
        """Return the seen ids, with the claimed ones: they are seen once this is written."""
        claimed = self._claimed.values()
        ids = [*self._seen, *(m.message_id for m in claimed if not m.repeatable)]
        data: dict[str, Any] = {"seen": list(dict.fromkeys(ids))[-MAX_SEEN_IDS:]}
        wall, mono = Clock.wall(), Clock.mono()
        self._recent = {
            key: when for key, when in self._recent.items() if mono - when < REPEAT_WINDOW
        }
        recent = {key: wall - (mono - when) for key, when in self._recent.items()}
        recent.update((m.message_id, wall) for m in claimed if m.repeatable)
        if recent:
            data["recent"] = recent
        if self.last_push is not None:
            data["last_push"] = self.last_push
        return data

    def _remember(self, message: InboundMessage) -> None:
        if message.repeatable:
            self._recent.pop(message.message_id, None)  # keep the dict in time order
            self._recent[message.message_id] = Clock.mono()
            while len(self._recent) > MAX_SEEN_IDS:
                del self._recent[next(iter(self._recent))]
            return
        self._seen[message.message_id] = None
        while len(self._seen) > MAX_SEEN_IDS:
            self._seen.popitem(last=False)
