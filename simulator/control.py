"""The simulator's control API under ``/_sim/`` (never part of a provider protocol).

Used by tests, the demo and people poking at the demo with curl:

=======  ==========================  ==============================================
method   path                        what it does
=======  ==========================  ==============================================
GET      /_sim/health                liveness
GET      /_sim/accounts              list accounts
POST     /_sim/accounts              create an account (JSON: provider + fields)
GET      /_sim/accounts/{id}         one account
PATCH    /_sim/accounts/{id}         change fields (balance, forward_url, ...)
GET      /_sim/messages              messages received (?provider=&account=&to=)
GET      /_sim/messages/{id}         one message
GET      /_sim/requests              protocol requests received (?provider=&path=&since=)
DELETE   /_sim/requests              forget them
GET      /_sim/pushes                requests the simulator made to client URLs
POST     /_sim/faults                inject a fault rule (see ``Fault``; ``skip``
                                    lets the first N matching requests through,
                                    ``match`` limits it to requests whose body or
                                    query contains a text)
GET      /_sim/faults                active rules
DELETE   /_sim/faults                remove every rule
POST     /_sim/inbound               a handset texts one of the account's numbers
POST     /_sim/settings              ``report_delay`` seconds
POST     /_sim/drain                 wait until every push under way finished
POST     /_sim/reset                 forget all but the accounts
=======  ==========================  ==============================================
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .core import INBOUND_HOOKS_KEY, PUSHER_KEY, STATE_KEY
from .state import PROVIDERS, Account, InboundMessage, SimulatorState, now_utc
from .text import segment_count

FAULT_KINDS = ("latency", "status", "drop", "timeout", "malformed_json", "html", "empty", "body")
FAULT_FIELDS = {
    "provider": str,
    "path": str,
    "count": int,
    "skip": int,
    "match": str,
    "duration": float,
    "status": int,
    "retry_after": str,
    "latency": float,
    "seconds": float,
    "body": str,
    "content_type": str,
}
ACCOUNT_FIELDS = {
    "id",
    "username",
    "password",
    "api_key",
    "api_password",
    "balance",
    "currency",
    "price_per_segment",
    "ip_blocked",
    "viber_senders",
    "paused_viber_senders",
    "forward_url",
    "keywords",
    "validity_period_unit",
    "numbers",
}


def _bad(reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=400)


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json() if await request.read() else {}
    except json.JSONDecodeError as err:
        raise web.HTTPBadRequest(text=f"invalid JSON: {err}") from err
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return data


def _state(request: web.Request) -> SimulatorState:
    return request.app[STATE_KEY]


async def health(request: web.Request) -> web.Response:
    """Answer liveness probes."""
    return web.json_response({"ok": True, "providers": list(PROVIDERS)})


async def list_accounts(request: web.Request) -> web.Response:
    """List accounts."""
    return web.json_response([a.public() for a in _state(request).accounts.values()])


async def create_account(request: web.Request) -> web.Response:
    """Create an account."""
    data = await _json_body(request)
    provider = data.pop("provider", None)
    if provider not in PROVIDERS:
        return _bad(f"provider must be one of {', '.join(PROVIDERS)}")
    unknown = set(data) - ACCOUNT_FIELDS
    if unknown:
        return _bad(f"unknown fields: {', '.join(sorted(unknown))}")
    account = _state(request).add_account(provider, **data)
    return web.json_response(account.public(), status=201)


def _account(request: web.Request) -> Account:
    account = _state(request).accounts.get(request.match_info["account_id"])
    if account is None:
        raise web.HTTPNotFound(text="no such account")
    return account


async def get_account(request: web.Request) -> web.Response:
    """Return one account."""
    return web.json_response(_account(request).public())


async def patch_account(request: web.Request) -> web.Response:
    """Change an account's fields."""
    account = _account(request)
    data = await _json_body(request)
    unknown = set(data) - (ACCOUNT_FIELDS - {"id"})
    if unknown:
        return _bad(f"unknown fields: {', '.join(sorted(unknown))}")
    for key, value in data.items():
        setattr(account, key, value)
    return web.json_response(account.public())


async def list_messages(request: web.Request) -> web.Response:
    """List messages, oldest first, filtered by provider, account or number."""
    query = request.query
    messages = [
        m.public()
        for m in sorted(_state(request).messages.values(), key=lambda m: m.sent_at)
        if query.get("provider", m.provider) == m.provider
        and query.get("account", m.account_id) == m.account_id
        and query.get("to", m.to) == m.to
    ]
    return web.json_response(messages)


async def get_message(request: web.Request) -> web.Response:
    """Return one message."""
    message = _state(request).messages.get(request.match_info["message_id"])
    if message is None:
        raise web.HTTPNotFound(text="no such message")
    return web.json_response(message.public())


async def list_requests(request: web.Request) -> web.Response:
    """List recorded protocol requests."""
    query = request.query
    since = int(query.get("since", "0"))
    entries = [
        r.public()
        for r in _state(request).requests
        if r.seq > since
        and query.get("provider", r.provider) == r.provider
        and query.get("path", "") in r.path
    ]
    return web.json_response(entries)


async def clear_requests(request: web.Request) -> web.Response:
    """Forget recorded requests."""
    _state(request).requests.clear()
    return web.json_response({"ok": True})


async def list_pushes(request: web.Request) -> web.Response:
    """List requests the simulator made to client URLs."""
    return web.json_response([p.public() for p in _state(request).pushes])


async def add_fault(request: web.Request) -> web.Response:
    """Inject a fault rule."""
    data = await _json_body(request)
    kind = data.pop("kind", None)
    if kind not in FAULT_KINDS:
        return _bad(f"kind must be one of {', '.join(FAULT_KINDS)}")
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in FAULT_FIELDS:
            return _bad(f"unknown field: {key}")
        try:
            values[key] = FAULT_FIELDS[key](value)
        except (TypeError, ValueError):
            return _bad(f"invalid {key}")
    if values.get("provider") not in (None, *PROVIDERS):
        return _bad("unknown provider")
    if values.get("skip", 0) < 0:
        return _bad("invalid skip")
    fault = _state(request).add_fault(kind=kind, **values)
    return web.json_response(fault.public(), status=201)


async def list_faults(request: web.Request) -> web.Response:
    """List fault rules."""
    return web.json_response([f.public() for f in _state(request).faults])


async def clear_faults(request: web.Request) -> web.Response:
    """Remove every fault rule."""
    _state(request).faults.clear()
    return web.json_response({"ok": True})


def split_keyword(text: str, keywords: list[str]) -> tuple[str | None, str]:
    """Split a registered keyword off the start of a text (case-insensitive)."""
    first, _, rest = text.strip().partition(" ")
    if first.upper() in (k.upper() for k in keywords):
        return first.upper(), rest.strip()
    return None, text


async def inbound(request: web.Request) -> web.Response:
    """Simulate a handset texting one of an account's numbers."""
    data = await _json_body(request)
    state = _state(request)
    provider = data.get("provider", "infobip")
    hooks = request.app[INBOUND_HOOKS_KEY]
    if provider not in hooks:
        return _bad(f"{provider} has no inbound API")
    account_id = data.get("account")
    candidates = [
        a for a in state.accounts.values() if a.provider == provider and account_id in (None, a.id)
    ]
    if not candidates:
        return _bad("no such account")
    account = candidates[0]
    sender, text = data.get("from"), data.get("text")
    if not isinstance(sender, str) or not isinstance(text, str):
        return _bad("from and text are required strings")
    to = data.get("to") or next(iter(account.numbers), "41793026727")
    keyword, clean_text = split_keyword(text, account.keywords)
    if "keyword" in data:
        keyword = data["keyword"]
    message = InboundMessage(
        id=str(data.get("message_id") or state.new_id()),
        provider=provider,
        account_id=account.id,
        sender=sender,
        to=str(to),
        text=text,
        keyword=keyword,
        clean_text=clean_text,
        received_at=now_utc(),
        sms_count=segment_count(text)[0],
    )
    mode = str(data.get("deliver", "auto"))
    if mode not in ("auto", "push", "pull", "both"):
        return _bad("deliver must be auto, push, pull or both")
    state.inbox_log.append(message)
    delivered = hooks[provider](request.app, account, message, mode)
    return web.json_response({**message.public(), "delivered_by": delivered}, status=201)


async def settings(request: web.Request) -> web.Response:
    """Change simulator settings."""
    data = await _json_body(request)
    state = _state(request)
    if "report_delay" in data:
        try:
            state.report_delay = float(data["report_delay"])
        except (TypeError, ValueError):
            return _bad("invalid report_delay")
    return web.json_response({"report_delay": state.report_delay})


async def drain(request: web.Request) -> web.Response:
    """Wait until every push under way has finished."""
    await request.app[PUSHER_KEY].drain()
    return web.json_response({"ok": True})


async def reset(request: web.Request) -> web.Response:
    """Forget messages, requests, pushes and faults; keep the accounts."""
    _state(request).reset()
    return web.json_response({"ok": True})


def setup(app: web.Application) -> None:
    """Add the control routes."""
    app.router.add_get("/_sim/health", health)
    app.router.add_get("/_sim/accounts", list_accounts)
    app.router.add_post("/_sim/accounts", create_account)
    app.router.add_get("/_sim/accounts/{account_id}", get_account)
    app.router.add_patch("/_sim/accounts/{account_id}", patch_account)
    app.router.add_get("/_sim/messages", list_messages)
    app.router.add_get("/_sim/messages/{message_id}", get_message)
    app.router.add_get("/_sim/requests", list_requests)
    app.router.add_delete("/_sim/requests", clear_requests)
    app.router.add_get("/_sim/pushes", list_pushes)
    app.router.add_post("/_sim/faults", add_fault)
    app.router.add_get("/_sim/faults", list_faults)
    app.router.add_delete("/_sim/faults", clear_faults)
    app.router.add_post("/_sim/inbound", inbound)
    app.router.add_post("/_sim/settings", settings)
    app.router.add_post("/_sim/drain", drain)
    app.router.add_post("/_sim/reset", reset)
