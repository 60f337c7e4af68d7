"""The simulator's aiohttp application: protocols, request log, faults, pushes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
import json
import logging
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web

from . import control, infobip, sms365, voip
from .core import (
    INBOUND_HOOKS_KEY,
    PUSHER_KEY,
    REPORT_HOOKS_KEY,
    STATE_KEY,
    Pusher,
    provider_for_path,
)
from .state import Fault, SimulatorState

_LOGGER = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

RECORDED_HEADERS = ("Authorization", "Content-Type", "Accept", "User-Agent")


@web.middleware
async def protocol_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Record every protocol request and apply fault rules to it."""
    path = request.path
    if path.startswith("/_sim/"):
        return await handler(request)
    state = request.app[STATE_KEY]
    provider = provider_for_path(path)
    raw = await request.read()
    body = raw.decode("utf-8", errors="replace")
    parsed_json: Any = None
    form: dict[str, list[str]] | None = None
    content_type = request.headers.get("Content-Type", "")
    if "json" in content_type and body:
        with contextlib.suppress(ValueError):
            parsed_json = json.loads(body)
    elif "x-www-form-urlencoded" in content_type:
        form = parse_qs(body, keep_blank_values=True)
    entry = state.record(
        provider=provider,
        method=request.method,
        path=path,
        query={k: request.query.getall(k) for k in request.query},
        headers={h: request.headers[h] for h in RECORDED_HEADERS if h in request.headers},
        body=body,
        json=parsed_json,
        form=form,
    )
    request["recorded"] = entry
    fault = state.take_fault(provider, path, f"{request.query_string}\n{body}")
    if fault is not None:
        entry.fault = fault.kind
        response = await _apply_fault(request, handler, fault)
    else:
        response = await handler(request)
    entry.status = response.status
    return response


async def _apply_fault(request: web.Request, handler: Handler, fault: Fault) -> web.StreamResponse:
    kind = fault.kind
    if kind == "latency":
        await asyncio.sleep(fault.latency)
        return await handler(request)
    if kind == "timeout":
        # The provider processes the request, but its answer comes too late:
        # the ambiguous failure where a retry may double-send.
        response = await handler(request)
        await asyncio.sleep(fault.seconds)
        return response
    if kind == "drop":
        transport = request.transport
        if transport is not None:
            transport.abort()
        raise asyncio.CancelledError
    if kind == "status":
        status = fault.status or 500
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        return web.json_response(
            {
                "requestError": {
                    "serviceException": {"messageId": str(status), "text": "Injected fault"}
                }
            },
            status=status,
            headers=headers,
        )
    if kind == "malformed_json":
        return web.Response(
            status=fault.status or 200,
            text='{"messages": [{"to": "41793026727", "status": ',
            content_type="application/json",
        )
    if kind == "html":
        return web.Response(
            status=fault.status or 502,
            text="<html><head><title>502 Bad Gateway</title></head>"
            "<body><h1>Bad Gateway</h1></body></html>",
            content_type="text/html",
        )
    if kind == "empty":
        return web.Response(status=fault.status or 200, body=b"")
    # kind == "body": an arbitrary body (XML when JSON was asked, wrong shape...)
    response = web.Response(status=fault.status or 200, text=fault.body or "")
    response.content_type = fault.content_type or "application/json"
    return response


def create_app(state: SimulatorState | None = None) -> web.Application:
    """Create the simulator application around a state (a new one by default)."""
    app = web.Application(middlewares=[protocol_middleware], client_max_size=1024**2)
    app[STATE_KEY] = state if state is not None else SimulatorState()
    pusher = Pusher(app[STATE_KEY])
    app[PUSHER_KEY] = pusher
    app[REPORT_HOOKS_KEY] = {}
    app[INBOUND_HOOKS_KEY] = {}

    async def _lifetime(_app: web.Application) -> AsyncIterator[None]:
        await pusher.start()
        yield
        app[STATE_KEY].cancel_timers()
        await pusher.close()

    app.cleanup_ctx.append(_lifetime)
    infobip.setup(app)
    sms365.setup(app)
    voip.setup(app)
    control.setup(app)
    return app
