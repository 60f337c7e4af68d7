"""Shared pieces of the simulator: app keys, outgoing pushes, message lifecycle."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
import logging

from aiohttp import ClientSession, ClientTimeout, web

from .state import Account, InboundMessage, Message, Provider, Push, SimulatorState, now_utc

_LOGGER = logging.getLogger(__name__)

STATE_KEY: web.AppKey[SimulatorState] = web.AppKey("state", SimulatorState)
PUSHER_KEY: web.AppKey[Pusher] = web.AppKey("pusher")


def provider_for_path(path: str) -> Provider | None:
    """Return which protocol a path belongs to."""
    if path.startswith("/restapi/"):
        return "infobip"
    if path.startswith("/api/"):
        return "sms365"
    if path.startswith("/api-v2/"):
        return "voip"
    return None


class Pusher:
    """Makes the simulator's own outgoing requests (reports, inbound forwards)."""

    def __init__(self, state: SimulatorState) -> None:
        """Create the pusher; the HTTP session is opened on app startup."""
        self._state = state
        self._session: ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Open the HTTP session."""
        self._session = ClientSession(timeout=ClientTimeout(total=10))

    async def close(self) -> None:
        """Wait for pushes under way, then close the session."""
        await self.drain()
        if self._session is not None:
            await self._session.close()

    async def drain(self) -> None:
        """Wait until every push started so far (or by those) has finished.

        Only unfinished tasks are awaited: a finished task leaves ``_tasks`` in a
        done callback that runs later, and awaiting already-finished tasks does
        not yield to the loop, so waiting for ``_tasks`` to empty would spin.
        """
        while pending := [task for task in self._tasks if not task.done()]:
            await asyncio.wait(pending)

    def push(
        self,
        *,
        kind: str,
        provider: Provider,
        url: str,
        method: str = "POST",
        body: str = "",
        content_type: str | None = None,
        delay: float = 0.0,
    ) -> Push:
        """Send a request to a client URL in the background and log it."""
        entry = Push(
            kind=kind,
            provider=provider,
            url=url,
            method=method,
            body=body,
            content_type=content_type,
        )
        self._state.pushes.append(entry)
        task = asyncio.get_running_loop().create_task(self._send(entry, delay))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return entry

    async def _send(self, entry: Push, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        if self._session is None:  # pragma: no cover - only before startup
            entry.error = "simulator not started"
            return
        headers = {"Content-Type": entry.content_type} if entry.content_type else {}
        try:
            async with self._session.request(
                entry.method,
                entry.url,
                data=entry.body.encode() if entry.body else None,
                headers=headers,
            ) as response:
                entry.status = response.status
                await response.read()
        except Exception as err:  # noqa: BLE001 - a push failing is logged data
            entry.error = f"{type(err).__name__}: {err}"
            _LOGGER.debug("Push to %s failed: %s", entry.url, entry.error)


# A provider's delivery-report hook: push the final report of a message to the
# client's URL and return True, or return False to queue it for pulling.
ReportHook = Callable[[web.Application, Message], bool]
REPORT_HOOKS_KEY: web.AppKey[dict[Provider, ReportHook]] = web.AppKey("report_hooks")


def accept(app: web.Application, messages: list[Message]) -> None:
    """Start the lifecycle of freshly accepted messages.

    A message is final (delivered, undeliverable, expired) ``report_delay``
    seconds after it is sent, or after its scheduled time. With no delay the
    report is ready before the next request is served.
    """
    state = app[STATE_KEY]
    loop = asyncio.get_running_loop()
    for message in messages:
        delay = state.report_delay
        if message.send_at is not None and message.send_at > now_utc():
            message.status = "scheduled"
            delay += (message.send_at - now_utc()).total_seconds()
        if delay <= 0:
            finalize(app, message.id)
        else:
            state.timers[message.id] = loop.call_later(delay, finalize, app, message.id)


def cancel_scheduled(app: web.Application, message_id: str) -> None:
    """Cancel a message that is not final yet: it will never be delivered."""
    state = app[STATE_KEY]
    handle = state.timers.pop(message_id, None)
    if handle is not None:
        handle.cancel()
    state.messages[message_id].status = "canceled"


def finalize(app: web.Application, message_id: str) -> None:
    """Give a message its final status and deliver or queue its report."""
    state = app[STATE_KEY]
    state.timers.pop(message_id, None)
    message = state.messages.get(message_id)
    if message is None or message.status in ("canceled", "rejected"):
        return
    if message.status not in ("scheduled", "pending"):
        return
    message.status = message.outcome
    message.done_at = now_utc()
    if message.status == "delivered" and message.validity_period_ms is not None:
        # Delivered within its validity period by construction.
        message.done_at = min(
            message.done_at,
            message.sent_at + timedelta(milliseconds=message.validity_period_ms),
        )
    state.changed_status.append(message.id)
    hook = app[REPORT_HOOKS_KEY].get(message.provider)
    if hook is None or not hook(app, message):
        state.pending_reports[message.provider].append(message.id)


# A provider's inbound hook: deliver a received message by ``mode`` ("push",
# "pull", "both" or "auto": push when a URL is configured, else pull) and
# return how it was delivered.
InboundHook = Callable[[web.Application, Account, InboundMessage, str], list[str]]
INBOUND_HOOKS_KEY: web.AppKey[dict[Provider, InboundHook]] = web.AppKey("inbound_hooks")
