"""The account's webhook: delivery reports (and inbound SMS) pushed by the provider.

One webhook per config entry, under the ``webhook_id`` stored in the entry:

* Infobip-compatible: the ``notifyUrl`` of each message POSTs delivery reports
  as JSON ``{"results": [...]}``; forwarded inbound SMS use the same envelope.
* sms365: the ``callback`` URL of each message is called with GET and
  ``msgid``, ``status``, ``cost``, ``to``, ``mcc``, ``mnc`` appended.
* voip-communications: replies are POSTed to the number's Callback URL.

Only sms365 documents a GET (its delivery-report callback), so only an sms365
webhook accepts GET; the others answer it with 405. Which methods a provider
uses, and how its pushes read, is asked of its client class (``push_methods``,
``parse_push``), never decided by its name. A GET never produces an
inbound SMS: a leaked URL or a chat app's link preview must not be able to
fire a (trusted) ``sms_gateway_message_received`` event.

The webhook is registered at the start of the account's setup, before the
provider is first asked anything, so that what it pushes while the setup waits
for it (or while it cannot be reached) is not lost; it is unregistered when the
account unloads or its setup fails.

Answers: 200 accepted, 400 for a body that cannot be parsed (nothing is
applied), 404 when no account is set up for the webhook, 405 for methods the
provider does not use, 413 for bodies over 64 KiB.
"""

from __future__ import annotations

from http import HTTPStatus
import json
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import hdrs, web
from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError

from .const import CONF_PROVIDER, DOMAIN, LOGGER
from .coordinator import SmsGatewayConfigEntry
from .providers import CLIENTS, DeliveryReport, InboundMessage, ProviderClient

MAX_BODY_BYTES = 64 * 1024


def allowed_methods(provider: str) -> tuple[str, ...]:
    """Return the HTTP methods the webhook of a provider's account accepts.

    The client class's ``push_methods`` (GET only for sms365, whose
    delivery-report callback is a GET); POST for a provider not known.
    """
    return CLIENTS.get(provider, ProviderClient).push_methods


def async_register_webhook(hass: HomeAssistant, entry: SmsGatewayConfigEntry) -> None:
    """Register the entry's webhook, for the methods its provider uses."""
    webhook.async_register(
        hass,
        DOMAIN,
        f"SMS Gateway {entry.title}",
        entry.data[CONF_WEBHOOK_ID],
        _async_handle_webhook,
        allowed_methods=allowed_methods(entry.data[CONF_PROVIDER]),
    )


def async_unregister_webhook(hass: HomeAssistant, entry: SmsGatewayConfigEntry) -> None:
    """Unregister the entry's webhook."""
    webhook.async_unregister(hass, entry.data[CONF_WEBHOOK_ID])


# An account handles pushes from the moment its webhook is registered - early in
# its setup, before the provider is first asked anything - until it unloads.
HANDLING_STATES = (
    ConfigEntryState.SETUP_IN_PROGRESS,
    ConfigEntryState.LOADED,
    ConfigEntryState.UNLOAD_IN_PROGRESS,
)


def _entry_for(hass: HomeAssistant, webhook_id: str) -> SmsGatewayConfigEntry | None:
    """Return the account of a webhook, also while it is still setting up."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if (
            entry.data.get(CONF_WEBHOOK_ID) == webhook_id
            and entry.state in HANDLING_STATES
            and hasattr(entry, "runtime_data")
        ):
            return entry
    return None


async def _read_body(request: web.Request) -> bytes | None:
    """Read at most MAX_BODY_BYTES; None when the body is larger."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return None
    # read(n) returns what has arrived so far, not n bytes: read until the end.
    body = bytearray()
    while chunk := await request.content.read(MAX_BODY_BYTES + 1 - len(body)):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


async def _form_or_json(request: web.Request, body: bytes) -> dict[str, Any]:
    """Return the fields of a form, JSON or query-string request."""
    fields: dict[str, Any] = dict(request.query)
    text = body.decode("utf-8")
    if not text.strip():
        return fields
    if text.lstrip().startswith("{"):
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        fields.update(data)
        return fields
    fields.update(parse_qsl(text, keep_blank_values=True))
    return fields


def parse_push(
    provider: str, query: dict[str, str], body: bytes, fields: dict[str, Any]
) -> tuple[list[DeliveryReport], list[InboundMessage]]:
    """Parse what a provider pushed; raise ValueError/ProviderError if it cannot be parsed.

    The provider's client class parses it (``ProviderClient.parse_push``); a
    provider not known raises KeyError.
    """
    return CLIENTS[provider].parse_push(query, body, fields)


async def _async_handle_webhook(
    hass: HomeAssistant, webhook_id: str, request: web.Request
) -> web.Response:
    entry = _entry_for(hass, webhook_id)
    if entry is None:
        return web.Response(status=HTTPStatus.NOT_FOUND)
    body = await _read_body(request)
    if body is None:
        return web.Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    provider = entry.data[CONF_PROVIDER]
    try:
        fields = await _form_or_json(request, body)
        reports, inbound = parse_push(provider, dict(request.query), body, fields)
    except Exception as err:  # noqa: BLE001 - anyone can post anything here
        LOGGER.debug("%s: webhook body not understood: %r", entry.title, err)
        return web.Response(status=HTTPStatus.BAD_REQUEST)
    if inbound and request.method != hdrs.METH_POST:
        # Never an inbound SMS from a GET (a link preview, a leaked URL).
        LOGGER.debug("%s: webhook %s refused: no inbound SMS", entry.title, request.method)
        return web.Response(status=HTTPStatus.METHOD_NOT_ALLOWED)
    entry.runtime_data.tracker.handle_reports(reports)
    if inbound:
        try:
            await entry.runtime_data.inbound.async_dispatch(inbound, pushed=True)
        except HomeAssistantError:
            # Not recorded (storage failed): the provider is asked to retry.
            return web.Response(status=HTTPStatus.SERVICE_UNAVAILABLE)
    return web.Response(status=HTTPStatus.OK)
