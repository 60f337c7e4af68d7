"""voip-communications.net SMS API (``voip-communications-sms-api.md``).

``POST /api-v2/index.php/sms/send`` with Basic auth ``API_KEY:API_PASSWORD``
and form fields ``from``, ``to`` (comma separated), ``msg``, ``delivery_date``.
The answer is ``{"send_log": [...]}``, one entry per destination; 401 for bad
credentials.

The document shows neither an error body nor the format of replies POSTed to
a number's Callback URL. The simulator's choices, which the integration must
not depend on beyond what is documented:

* 401 body: ``{"code": 401, "code_desc": "Invalid api credentials"}``.
* Refusals of the whole request are plain text (``text/plain``), not JSON:
  the document shows no error body, so a client must look at the status
  before it reads JSON. A request missing ``to`` or ``msg`` (after
  authentication succeeded): HTTP 400 ``Missing required parameter: to``; a
  ``delivery_date`` that is no date: 400 ``Invalid parameter:
  delivery_date``. A client can thus check credentials without sending: an
  empty POST answers 401 for bad credentials and 400 for good ones.
* ``delivery_date``: the document's ``YYYY-MM-DD HH:MM`` names no time zone;
  the site's own metadata shows US Central, so a date without an offset is
  read as ``America/Chicago`` local time (the PHP example's ``2010-01-01
  13:15`` is 19:15 UTC). "Any valid date format": ISO 8601 with an offset
  (``2099-10-01T09:30:00+00:00``, ``Z``) is read in its own offset; also
  ``YYYY-MM-DD HH:MM[:SS]`` and ``YYYY-MM-DD``. The ``send_log`` shows it as
  ``YYYY-MM-DD HH:MM:SS`` in US Central time, as it would show the input.
* Per destination errors stay in ``send_log`` with HTTP 200: ``code`` 400
  (invalid number), 402 (insufficient balance), 403 (``from`` is not one of
  the account's SMS enabled numbers); ``status`` ``ERROR``, empty ``smsid``.
* Replies are POSTed form-encoded: ``from``, ``to``, ``msg``, ``smsid``,
  ``date`` (``YYYY-MM-DD HH:MM:SS``, UTC).
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
import phonenumbers

from .core import INBOUND_HOOKS_KEY, PUSHER_KEY, STATE_KEY, accept
from .state import Account, InboundMessage, Message
from .text import segment_count

SEND_PATH = "/api-v2/index.php/sms/send"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
DELIVERY_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S")
# The zone of a delivery_date without offset: the provider's site is in US Central.
PROVIDER_ZONE = ZoneInfo("America/Chicago")


def _unauthorized() -> web.Response:
    return web.json_response(
        {"code": 401, "code_desc": "Invalid api credentials"},
        status=401,
        headers={"WWW-Authenticate": 'Basic realm="SMS API"'},
    )


def authenticate(request: web.Request) -> Account | None:
    """Return the account named by the Basic auth header."""
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, sep, password = decoded.partition(":")
    if not sep:
        return None
    account = request.app[STATE_KEY].find_voip_account(key, password)
    if account is not None and "recorded" in request:
        request["recorded"].account_id = account.id
    return account


def parse_delivery_date(value: str) -> datetime:
    """Parse ``delivery_date``: its own offset, else US Central; ValueError if no date."""
    parsed: datetime | None = None
    for fmt in DELIVERY_DATE_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt)
            break
        except ValueError:
            continue
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(value) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=PROVIDER_ZONE)
    return parsed.astimezone(UTC)


def _refused(text: str) -> web.Response:
    """Refuse the whole request: HTTP 400 with a plain-text reason."""
    return web.Response(status=400, text=text, content_type="text/plain")


def country_of(number: str) -> str | None:
    """Return the ISO country of an international number, None if invalid."""
    try:
        parsed = phonenumbers.parse("+" + number)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.region_code_for_number(parsed)


async def send(request: web.Request) -> web.Response:
    """Handle ``sms/send``."""
    account = authenticate(request)
    if account is None:
        return _unauthorized()
    form = await request.post()
    params: dict[str, str] = {k: str(v) for k, v in form.items()}
    for name in ("to", "msg"):
        if not params.get(name, "").strip():
            return _refused(f"Missing required parameter: {name}")
    sender = params.get("from", "").strip()
    text = params["msg"]
    send_at: datetime | None = None
    if params.get("delivery_date", "").strip():
        try:
            send_at = parse_delivery_date(params["delivery_date"].strip())
        except ValueError:
            return _refused("Invalid parameter: delivery_date")
    state = request.app[STATE_KEY]
    log: list[dict[str, Any]] = []
    accepted: list[Message] = []
    msg_type = "2WAYSMS" if sender else "BULKSMS"
    shown_date = (send_at or datetime.now(UTC)).astimezone(PROVIDER_ZONE).strftime(DATE_FORMAT)
    for raw in params["to"].split(","):
        number = "".join(ch for ch in raw if ch.isdigit())
        entry: dict[str, Any] = {
            "code": 200,
            "code_desc": "",
            "from": sender,
            "to": number or raw.strip(),
            "country": country_of(number) or "",
            "msg": text,
            "delivery_date": shown_date,
            "sale": 0,
            "type": msg_type,
            "status": "ERROR",
            "smsid": "",
        }
        if sender and sender not in account.numbers:
            entry.update(
                code=403, code_desc="The from number does not belong to you or is not SMS enabled"
            )
        elif not entry["country"]:
            entry.update(code=400, code_desc="Invalid destination number")
        else:
            segments, _ = segment_count(text)
            price = round(segments * account.price_per_segment, 5)
            if price > account.balance:
                entry.update(code=402, code_desc="Insufficient balance")
            else:
                message = state.create_message(
                    account,
                    to=number,
                    text=text,
                    message_id=state.new_id().replace("-", "")[:27],
                    sender=sender or None,
                    send_at=send_at,
                )
                accepted.append(message)
                entry.update(
                    sale=message.price,
                    status="SCHEDULED" if send_at and send_at > datetime.now(UTC) else "SENT",
                    smsid=message.id,
                )
        log.append(entry)
    response = web.json_response({"send_log": log})
    accept(request.app, accepted)
    return response


def deliver_inbound(
    app: web.Application, account: Account, message: InboundMessage, mode: str
) -> list[str]:
    """POST a reply to the Callback URL of the number it was sent to."""
    url = account.numbers.get(message.to)
    if mode == "pull" or not url:
        # voip-communications has no pull API: without a Callback URL the
        # reply is only visible in their web portal.
        return []
    body = urlencode(
        {
            "from": message.sender,
            "to": message.to,
            "msg": message.text,
            "smsid": message.id,
            "date": message.received_at.strftime(DATE_FORMAT),
        }
    )
    app[PUSHER_KEY].push(
        kind="inbound",
        provider="voip",
        url=url,
        body=body,
        content_type="application/x-www-form-urlencoded",
    )
    return ["push"]


def setup(app: web.Application) -> None:
    """Add the voip-communications routes."""
    app.router.add_post(SEND_PATH, send)
    app[INBOUND_HOOKS_KEY]["voip"] = deliver_inbound
