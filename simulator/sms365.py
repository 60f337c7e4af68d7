"""sms365.gr SMS API v3 (``sms365-api-v3-condensed.txt``).

The real base is ``https://sms365.gr/api/``; an endpoint ``api/<group>/<name>``
is served at ``/api/<group>/<name>``. Every endpoint accepts GET (query
string) and POST (form-encoded or multipart/form-data body, the latter being
what the doc's PHP examples send, plus any query string; body values win; file
parts are ignored). HEAD and other methods are not routed (405). The doc's
other endpoints (contact, group, history, purchase, user) are not simulated
and answer aiohttp's plain 404.

Endpoints
=========

==================  =================================================  =====================
path                parameters                                         returns
==================  =================================================  =====================
mobile/check        mobile (no key needed)                             mobile{msisdn national
                                                                       country countryCode
                                                                       gsmCode number mcc mnc
                                                                       cost}
key/get             key, or username + password                        key
key/reset           key, or username + password                        key (a new one)
sms/send            to text from ucs flash timestamp callback          smsId cost balance mcc
                                                                       mnc
sms/bulk            to (comma separated) text from ucs flash           id{value...}
                    timestamp                                          sms{smsId msisdn}...
                                                                       accepted rejected
                                                                       balance
sms/cancel          smsId                                              smsId
viber/send          to text from button_caption button_action image   id cost balance
                    validity all_devices sms_fallback sms_text
                    sms_from ucs flash (contactId groupId: see 515/516)
viber/bulk          as viber/send, to comma separated                  id{value...}
                                                                       messages{id msisdn
                                                                       cost}... accepted
                                                                       rejected balance
viber/balance                                                          senders{sender{senderId
                                                                       text balance twoway
                                                                       paused}...}
me/balance          (alias: balance/get, API v2)                       balance
status/get                                                             sms{smsId status}...
                                                                       total
status/sms          smsId                                              sms{smsId status}
hlr/lookup          mobile                                             result description mcc
                                                                       mnc network country
                                                                       countryCode ported
                                                                       cctld mccInitial
                                                                       mncInitial
2fa/send            to text from wait callback ucs                     authId authStatus
2fa/check           authId code                                        auth (ok | nok)
==================  =================================================  =====================

Every answer is HTTP 200 and carries the envelope ``status`` (1 success, 0
error), ``error`` (0 or the code) and ``remarks`` (``Success`` or the doc's
description of the error, verbatim, typos included). An error answer carries
only the envelope.

Answer formats (``type``; the doc shows no response body)
==========================================================

* ``json`` (default; also for any unknown ``type``): one object, the
  documented fields in the doc's order followed by ``status``, ``error``,
  ``remarks``. The doc's ``Returns`` notation is read literally: ``name{...}``
  is an object; a member followed by ``...`` (or ``sender``, which the doc
  says can be several) repeats and is always a JSON array, even of one. So
  ``sms/bulk`` answers ``{"id": {"value": ["<smsId>", ...]}, "sms":
  [{"smsId": ..., "msisdn": ...}, ...], "accepted": 2, "rejected": 1,
  "balance": 98, ...}`` and ``viber/balance`` ``{"senders": {"sender":
  [{...}]}, ...}``. Ids, msisdns, mcc and mnc are strings; costs, balances
  and counts numbers (integers when whole); ``twoway`` and ``paused``
  booleans; ``status`` letters ``d`` (delivered), ``f`` (failed:
  undeliverable, expired or rejected), ``s`` (sent or scheduled, no report
  yet).
* ``xml``: ``<?xml version="1.0" encoding="UTF-8"?>`` and a root element
  ``<response>`` whose children are the same fields as elements; an object is
  an element with child elements; a JSON array is the element repeated
  (``<id><value>1</value><value>2</value></id><sms>...</sms><sms>...</sms>``);
  booleans are ``true``/``false``. Content-Type ``application/xml``.
* ``v2`` (plain text): one ``name=value`` line per scalar, in the same order
  as the JSON; nested names are joined with ``.`` and array items get their
  0-based index (``id.value.0=...``, ``sms.1.msisdn=...``); booleans
  ``true``/``false``; CR/LF inside a value become spaces. Content-Type
  ``text/plain``.

Simulator choices the doc does not specify
==========================================

* Authentication: ``key`` must be an sms365 account's API key, else 101. An
  account with ``ip_blocked`` (IP whitelist active, caller not on it) gets 101
  on every endpoint but ``mobile/check``. ``key/get``/``key/reset`` use
  ``key`` when it is given, else ``username`` + ``password``. The recorded
  request gets the ``account_id`` once authenticated.
* Numbers: every non-digit is stripped; the digits are read as an
  international number, or else as a Greek national one (``6971000000``,
  ``0030...``); a number ``phonenumbers`` does not consider valid is invalid
  (103 / 201 / rejected / 518). So the doc's ``mobile/check`` example
  ``4412345678900`` answers 201 and the ``sms/bulk`` example rejects
  ``49172000000``. A blank parameter is "empty" (102 / 205 / 501); one with
  characters but no digits is invalid. ``mcc``/``mnc`` come from a small table
  (GR, CY, DE, GB, US and a few more by country; network by the carrier
  ``phonenumbers`` names, default its first network); unknown countries give
  empty strings. ``mobile/check`` ``country`` (the doc lists 9 fields but 8
  descriptions) is the country name, as in ``hlr/lookup``; ``countryCode`` the
  calling code; ``national`` the digits of the national format (with any trunk
  prefix: ``07400123456``); ``gsmCode`` the national destination code (network
  prefix), ``number`` the rest; ``cost`` 1 SMS (the account's price per SMS
  when a valid ``key`` is also given).
* Booleans (``ucs``, ``flash``, ``sms_fallback``): ``true`` or ``1``
  (any case) is true, anything else false. ``all_devices`` must be
  ``true``/``false``/``1``/``0`` when given, else 510.
* Charging: cost = segments x the account's price per SMS (1 credit);
  ``balance`` is SMS credits. ``ucs=true`` counts UCS-2 segments. Text that is
  not GSM-7 sent without ``ucs=true`` is accepted, counted as GSM-7 and
  delivered garbled (``message.garbled``, ``extra["delivered_text"]``).
  ``flash=true`` makes the message channel ``flash``. Ids (smsId, Viber id,
  authId) are 15-digit numbers; any other smsId is invalid (108).
* ``sms/send``/``sms/bulk`` check in this order: 102, 103, 104, 106, 105.
  106 "Failed to queue the message" is answered for a ``timestamp`` that is
  not a whole Unix epoch number or a ``callback`` that is not an absolute
  http(s) URL. A ``timestamp`` not in the future sends at once. Scheduled
  messages are charged when accepted and refunded when canceled.
* ``sms/bulk``: blank entries of ``to`` are ignored; invalid numbers are
  rejected (counted in ``rejected``, not listed); no valid number -> 103; the
  balance must cover every accepted number or nothing is sent (105). ``id``
  lists the accepted smsIds, ``sms`` pairs them with their msisdn. Bulk does
  not document ``callback``; it is ignored (poll ``status/*``).
* ``sms/cancel`` (smsId, or ``smsid`` as the doc's PHP example of
  status/sms spells it): 107 blank, 108 not a 15-digit id, 109 no such
  message of this account (or already canceled: a canceled message is
  deleted), 110 not scheduled any more (sent, final, or a Viber message), 111
  scheduled to go out within the next 60 seconds (already handed to the
  operator).
* ``status/sms`` documents only 101; the simulator answers 107/108/109 as
  ``sms/cancel`` does. It and ``status/get`` also report Viber messages.
* ``status/get`` returns every message of the account that reached its final
  status (d/f) since the previous call, each once, oldest first. The doc
  names only d, f and s (in ``2fa/send`` and the callback); a message's
  ``extra["status_letter"]`` replaces its letter everywhere (``status/get``,
  ``status/sms``, callback), so that tests can send the other values a real
  server may use.
* Delivery: the final outcome is ``state.outcome_for(number)`` (ending 0
  undeliverable, 9 expired, else delivered). ``callback`` (``sms/send``,
  ``2fa/send``) gets a GET with ``msgid``, ``status`` (d/f), ``cost``, ``to``,
  ``mcc``, ``mnc`` appended to its query string (an existing one is kept).
* Viber (checked in this order): 515/516 whenever ``contactId``/``groupId``
  is given (the simulator has no contacts or groups, so none is valid); 501
  ``to`` blank; 503 ``from`` not one of the account's Viber senders; 504 it is
  paused; 506 text longer than 1000 characters; without text: a button part
  (caption or action) and no image 505, an image and a button part 512,
  neither 509; with text: caption without action 508, action without caption
  507, image without button 511; 513 ``validity`` not a whole number of
  minutes in 30..1440 (the parameter's table says "in seconds (60 to
  86400)", error 513 "from 30 (minutes) to 1440 (minutes = 24 hours)": the
  error is what a server enforces, so minutes win, and the doc's example
  ``600`` is 10 hours; default 1440, the 24 hours both texts name; the
  message's ``validity_period_ms`` is the minutes in milliseconds,
  ``extra["validity"]`` the minutes); 510; 514 ``sms_from`` given and not 1-11
  letters/digits or a number of up to 16 digits; 518 ``to`` invalid
  (``viber/send``) or no valid number (``viber/bulk``, invalid ones are
  rejected); 517 the sender's Viber balance does not cover 1 credit (the
  account's price per SMS) per message. The Viber balance of the sender is
  charged and ``balance`` returns it (the SMS balance is in ``me/balance``).
  A number ending in ``7`` has no Viber: the Viber message fails (f); with
  ``sms_fallback=true`` a fallback SMS (``sms_text``, else the Viber text; if
  both are empty none) is then sent from ``sms_from`` with ``ucs``/``flash``,
  charged to the SMS balance (skipped when the balance does not cover it),
  recorded as its own message (``extra["fallback_for"]``) and listed in the
  Viber message's ``extra["fallback_sms"]``; its own outcome follows
  ``outcome_for``. Any failed Viber message (numbers ending 0, 9 or 7) falls
  back the same way. ``viber/balance``
  ``text`` is the sender id, ``twoway`` false; an account without any
  approved Viber sender gets error 503 (the doc lists only 101 for the
  endpoint; 503 is its wording for a sender Viber has not authorised), so
  that a client sees an error there while ``me/balance`` answers.
* ``hlr/lookup``: 205/201 are checked before the balance (no charge for a bad
  number). ``result`` ``OK``; ``description`` ``Active``, ``Unknown
  subscriber`` (numbers ending 0) or ``Absent subscriber`` (ending 9); a
  number ending in ``8`` (in a country of the network table) is ``ported``
  ``yes`` and on the table's next network; ``network`` is the carrier name
  (``Unknown`` when phonenumbers has none); ``cctld`` the lower-case country TLD without a dot. The
  hlrBalance (in tenths of an SMS) is kept per account in the app
  (``HLR_BALANCE_KEY``); it is not returned (the doc does not list it).
* ``2fa/send``: the code is 4 random digits; the default text is ``Your
  authentication code is %%CODE%%``; a text without ``%%CODE%%`` is sent as
  is. 106 for an invalid ``callback``. ``wait`` (seconds, default 10 without
  ``callback``, 0 with one; invalid values count as missing) bounds how long
  the call waits for the final status. ``2fa/check``: 300 blank authId, 301
  blank code, 302 unknown authId (or another account's); a code may be
  checked any number of times (``ok`` each time it matches).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
import email.policy
import json
import re
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit
from xml.etree import ElementTree as ET

from aiohttp import web
import phonenumbers
from phonenumbers import carrier, geocoder

from .core import PUSHER_KEY, REPORT_HOOKS_KEY, STATE_KEY, accept
from .state import Account, Message, SimulatorState, now_utc, outcome_for
from .text import garble, is_gsm7, segment_count

HLR_BALANCE_KEY: web.AppKey[dict[str, int]] = web.AppKey("sms365_hlr_balance")
# 2fa/send calls waiting for the final status of their message, by message id.
WAITERS_KEY: web.AppKey[dict[str, asyncio.Event]] = web.AppKey("sms365_2fa_waiters")

SUCCESS = "Success"
ERRORS: dict[int, str] = {
    101: "Check your credentials",
    102: "Parameter to is empty",
    103: "Invalid to parameter. The api/mobile/check endpoint will validate any mobile number",
    104: "Parameter text is empty",
    105: "Not enough balance",
    106: "Failed to queue the message",
    107: "smsId parameter is empty",
    108: "Invalid smsId parameter",
    109: "Message not found",
    110: "Message already sent",
    111: "Message could not be deleted",
    201: "Failed to parse mobile to MSISDN (international format mobile number)",
    205: "mobile parameter is empty",
    300: "There is no authId parameter",
    301: "There is no code parameter",
    302: "No authentication message found for authId",
    501: "Missing to, contactId or groupId parameters",
    503: "Paramater from is not authorized. You can apply for authorization by Viber.",
    504: "The sender-id is paused. Contact us to activate it again.",
    505: "Missing text for Viber message. Buttons must follow a text",
    506: "Viber message text can be up to 1000 characters long",
    507: "Missing button_caption parameter for the caption of the button",
    508: "Missing button_action parameter",
    509: "Missing image parameter",
    510: "Invalid all_devices parameter",
    511: "Messages with image and text need also a button",
    512: "Messages without text can only have an image",
    513: "Invalid validity parameter. Valid range is from 30 (minutes) to 1440 (minutes = 24 hours)",
    514: "Invalid parameter sms_from for fall-back sms.",
    515: "Invalid parameter contactId",
    516: "Invalid parameter groupId",
    517: "Account run out of balance",
    518: "Message failed",
}
# hlr/lookup documents 105 with its own wording.
HLR_OUT_OF_BALANCE = "Account out of balance"

DEFAULT_2FA_TEXT = "Your authentication code is %%CODE%%"
CODE_PLACEHOLDER = "%%CODE%%"
DEFAULT_2FA_WAIT = 10.0
CANCEL_GRACE = timedelta(seconds=60)
VIBER_MAX_TEXT = 1000
VIBER_VALIDITY = (30, 1440)  # minutes, as error 513 says (see the module notes)
ID_RE = re.compile(r"^[1-9][0-9]{14}$")
SENDER_RE = re.compile(r"^(?:[A-Za-z0-9]{1,11}|\+?[0-9]{1,16})$")

# Mobile country codes and networks (mnc, name as phonenumbers' carrier names it).
MCC: dict[str, str] = {
    "GR": "202",
    "CY": "280",
    "DE": "262",
    "GB": "234",
    "US": "310",
    "IT": "222",
    "FR": "208",
    "ES": "214",
    "NL": "204",
    "BG": "284",
    "RO": "226",
    "CH": "228",
    "AT": "232",
}
NETWORKS: dict[str, list[tuple[str, str]]] = {
    "GR": [("01", "Cosmote"), ("05", "Vodafone"), ("10", "Wind")],
    "CY": [("01", "Cytamobile-Vodafone"), ("10", "MTN")],
    "DE": [("01", "T-Mobile"), ("02", "Vodafone"), ("03", "O2")],
    "GB": [("30", "EE"), ("15", "Vodafone"), ("10", "O2"), ("20", "Three")],
}
CCTLD_EXCEPTIONS = {"GB": "uk"}


class ApiError(Exception):
    """An error answer: code and remarks."""

    def __init__(self, code: int, remarks: str | None = None) -> None:
        """Create the error; remarks default to the documented description."""
        super().__init__(code)
        self.code = code
        self.remarks = remarks if remarks is not None else ERRORS[code]


# -- numbers ------------------------------------------------------------------


@dataclass
class Mobile:
    """A parsed mobile number and the network facts the API reports."""

    parsed: phonenumbers.PhoneNumber

    @property
    def msisdn(self) -> str:
        """Return the number in international format, digits only."""
        return f"{self.parsed.country_code}{phonenumbers.national_significant_number(self.parsed)}"

    @property
    def region(self) -> str:
        """Return the ISO country code."""
        return phonenumbers.region_code_for_number(self.parsed) or ""

    @property
    def mcc(self) -> str:
        """Return the mobile country code ("" when unknown)."""
        return MCC.get(self.region, "")

    @property
    def mnc(self) -> str:
        """Return the (initial) mobile network code ("" when unknown)."""
        if not self.mcc:
            return ""
        networks = NETWORKS.get(self.region)
        if not networks:
            return "01"
        name = carrier.name_for_number(self.parsed, "en")
        return next((mnc for mnc, net in networks if net == name), networks[0][0])

    def fields(self) -> dict[str, Any]:
        """Return the fields of a mobile object (without cost)."""
        nsn = phonenumbers.national_significant_number(self.parsed)
        ndc = phonenumbers.length_of_national_destination_code(self.parsed) or min(3, len(nsn))
        national = phonenumbers.format_number(self.parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
        return {
            "msisdn": self.msisdn,
            "national": "".join(ch for ch in national if ch.isdigit()),
            "country": geocoder.country_name_for_number(self.parsed, "en"),
            "countryCode": str(self.parsed.country_code),
            "gsmCode": nsn[:ndc],
            "number": nsn[ndc:],
            "mcc": self.mcc,
            "mnc": self.mnc,
        }


def parse_mobile(raw: str) -> Mobile | None:
    """Parse any input to a valid number: international, else Greek national."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    if not digits:
        return None
    for candidate, region in (("+" + digits, None), (digits, "GR")):
        try:
            parsed = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return Mobile(parsed)
    return None


# -- request parameters and answers ----------------------------------------------


def multipart_fields(content_type: str, body: bytes) -> dict[str, str]:
    """Return the (non-file) fields of a multipart/form-data body."""
    message = BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or part.get_filename() is not None:
            continue
        payload = part.get_payload(decode=True)
        charset = part.get_content_charset() or "utf-8"
        fields[name] = (
            payload.decode(charset, errors="replace") if isinstance(payload, bytes) else ""
        )
    return fields


async def read_params(request: web.Request) -> dict[str, str]:
    """Merge the query string and a POSTed form (body values win).

    The request log middleware has already read the body, so a multipart body
    (what the doc's PHP examples send) is parsed from the cached bytes.
    """
    params = {key: request.query[key] for key in request.query}
    if request.method == "POST":
        if request.content_type == "multipart/form-data":
            params.update(multipart_fields(request.headers["Content-Type"], await request.read()))
        else:
            params.update((key, str(value)) for key, value in (await request.post()).items())
    return params


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).replace("\r", " ").replace("\n", " ")


def _xml_children(parent: ET.Element, data: dict[str, Any]) -> None:
    for key, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            child = ET.SubElement(parent, key)
            if isinstance(item, dict):
                _xml_children(child, item)
            else:
                child.text = _scalar(item)


def _v2_lines(prefix: str, value: Any, lines: list[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _v2_lines(f"{prefix}.{key}" if prefix else key, item, lines)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _v2_lines(f"{prefix}.{index}", item, lines)
    else:
        lines.append(f"{prefix}={_scalar(value)}")


def render(params: dict[str, str], fields: dict[str, Any], code: int, remarks: str) -> web.Response:
    """Answer in the asked format with the status/error/remarks envelope."""
    data = {**fields, "status": 0 if code else 1, "error": code, "remarks": remarks}
    fmt = params.get("type", "json").strip().lower()
    if fmt == "xml":
        root = ET.Element("response")
        _xml_children(root, data)
        text = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
        return web.Response(text=text, content_type="application/xml", charset="utf-8")
    if fmt == "v2":
        lines: list[str] = []
        _v2_lines("", data, lines)
        return web.Response(
            text="\n".join(lines) + "\n", content_type="text/plain", charset="utf-8"
        )
    return web.Response(
        text=json.dumps(data, ensure_ascii=False), content_type="application/json", charset="utf-8"
    )


def _num(value: float) -> int | float:
    """Return a whole amount as int, else rounded."""
    return int(value) if float(value).is_integer() else round(value, 5)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1")


def _new_id(state: SimulatorState) -> str:
    """Return a fresh 15-digit id not used by any message or 2fa."""
    while True:
        candidate = str(10**14 + secrets.randbelow(9 * 10**14))
        if candidate not in state.messages and candidate not in state.twofa:
            return candidate


def status_letter(message: Message) -> str:
    """Return d (delivered), s (no report yet) or f (failed).

    A message's ``extra["status_letter"]`` overrides it: a letter the doc
    does not list, which a real server may still send.
    """
    forced = message.extra.get("status_letter")
    if isinstance(forced, str):
        return forced
    if message.status == "delivered":
        return "d"
    if message.status in ("pending", "scheduled"):
        return "s"
    return "f"


# -- handlers --------------------------------------------------------------------


@dataclass
class Call:
    """One API call: request, parameters and the authenticated account."""

    request: web.Request
    params: dict[str, str]
    account: Account

    @property
    def app(self) -> web.Application:
        """Return the application."""
        return self.request.app

    @property
    def state(self) -> SimulatorState:
        """Return the simulator state."""
        return self.request.app[STATE_KEY]

    def get(self, name: str) -> str:
        """Return a parameter, stripped, "" when missing."""
        return self.params.get(name, "").strip()


Endpoint = Callable[[Call], Awaitable[dict[str, Any]]]
Handler = Callable[[web.Request], Awaitable[web.Response]]


def _authenticate(request: web.Request, params: dict[str, str], *, login: bool) -> Account:
    state = request.app[STATE_KEY]
    key = params.get("key", "").strip()
    if key or not login:
        account = state.find_sms365_account(key)
    else:
        account = state.find_sms365_login(
            params.get("username", "").strip(), params.get("password", "")
        )
    if account is None or account.ip_blocked:
        raise ApiError(101)
    request["recorded"].account_id = account.id
    return account


def endpoint(func: Endpoint, *, login: bool = False) -> Handler:
    """Wrap an endpoint: parameters, authentication, envelope, errors."""

    async def handler(request: web.Request) -> web.Response:
        params = await read_params(request)
        try:
            account = _authenticate(request, params, login=login)
            fields = await func(Call(request, params, account))
        except ApiError as err:
            return render(params, {}, err.code, err.remarks)
        return render(params, fields, 0, SUCCESS)

    return handler


async def mobile_check(request: web.Request) -> web.Response:
    """Handle ``mobile/check`` (no authentication)."""
    params = await read_params(request)
    raw = params.get("mobile", "").strip()
    if not raw:
        return render(params, {}, 205, ERRORS[205])
    mobile = parse_mobile(raw)
    if mobile is None:
        return render(params, {}, 201, ERRORS[201])
    account = request.app[STATE_KEY].find_sms365_account(params.get("key", "").strip())
    cost = account.price_per_segment if account is not None else 1.0
    return render(params, {"mobile": {**mobile.fields(), "cost": _num(cost)}}, 0, SUCCESS)


async def key_get(call: Call) -> dict[str, Any]:
    """Handle ``key/get``."""
    return {"key": call.account.api_key}


async def key_reset(call: Call) -> dict[str, Any]:
    """Handle ``key/reset``: a new random key."""
    call.account.api_key = secrets.token_hex(16)
    return {"key": call.account.api_key}


async def me_balance(call: Call) -> dict[str, Any]:
    """Handle ``me/balance`` and ``balance/get``."""
    return {"balance": _num(call.account.balance)}


def _send_at(call: Call) -> datetime | None:
    raw = call.get("timestamp")
    if not raw:
        return None
    if not raw.isdigit():
        raise ApiError(106)
    send_at = datetime.fromtimestamp(int(raw), UTC)
    return send_at if send_at > now_utc() else None


def _callback(call: Call) -> str | None:
    url = call.get("callback")
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ApiError(106)
    return url


def _sms_fields(text: str, *, ucs: bool, flash: bool) -> dict[str, Any]:
    """Return create_message fields for an SMS text (encoding, garbling)."""
    fields: dict[str, Any] = {"unicode": ucs, "channel": "flash" if flash else "sms"}
    if not ucs and not is_gsm7(text):
        fields["garbled"] = True
        fields["extra"] = {"delivered_text": garble(text)}
    return fields


def _sms_cost(account: Account, text: str, *, ucs: bool) -> float:
    segments, _ = segment_count(text, unicode=ucs)
    return round(segments * account.price_per_segment, 5)


def _create_sms(
    call: Call,
    mobile: Mobile,
    text: str,
    *,
    sender: str | None,
    ucs: bool,
    flash: bool,
    **values: Any,
) -> Message:
    fields = _sms_fields(text, ucs=ucs, flash=flash)
    extra: dict[str, Any] = {**fields.pop("extra", {}), "mcc": mobile.mcc, "mnc": mobile.mnc}
    extra.update(values.pop("extra", {}))
    return call.state.create_message(
        call.account,
        to=mobile.msisdn,
        text=text,
        message_id=_new_id(call.state),
        sender=sender or None,
        extra=extra,
        **fields,
        **values,
    )


async def sms_send(call: Call) -> dict[str, Any]:
    """Handle ``sms/send``."""
    raw_to = call.get("to")
    if not raw_to:
        raise ApiError(102)
    mobile = parse_mobile(raw_to)
    if mobile is None:
        raise ApiError(103)
    text = call.params.get("text", "")
    if not text.strip():
        raise ApiError(104)
    send_at = _send_at(call)
    callback = _callback(call)
    ucs, flash = _truthy(call.params.get("ucs")), _truthy(call.params.get("flash"))
    if _sms_cost(call.account, text, ucs=ucs) > call.account.balance:
        raise ApiError(105)
    extra = {"callback": callback} if callback else {}
    message = _create_sms(
        call,
        mobile,
        text,
        sender=call.get("from"),
        ucs=ucs,
        flash=flash,
        send_at=send_at,
        extra=extra,
    )
    accept(call.app, [message])
    return {
        "smsId": message.id,
        "cost": _num(message.price),
        "balance": _num(call.account.balance),
        "mcc": mobile.mcc,
        "mnc": mobile.mnc,
    }


def _recipients(raw: str) -> tuple[list[Mobile], int]:
    """Split a comma-separated ``to``: (valid numbers, rejected count)."""
    valid: list[Mobile] = []
    rejected = 0
    for entry in raw.split(","):
        if not entry.strip():
            continue
        mobile = parse_mobile(entry)
        if mobile is None:
            rejected += 1
        else:
            valid.append(mobile)
    return valid, rejected


async def sms_bulk(call: Call) -> dict[str, Any]:
    """Handle ``sms/bulk``."""
    raw_to = call.get("to")
    if not raw_to.replace(",", "").strip():
        raise ApiError(102)
    mobiles, rejected = _recipients(raw_to)
    if not mobiles:
        raise ApiError(103)
    text = call.params.get("text", "")
    if not text.strip():
        raise ApiError(104)
    send_at = _send_at(call)
    ucs, flash = _truthy(call.params.get("ucs")), _truthy(call.params.get("flash"))
    if _sms_cost(call.account, text, ucs=ucs) * len(mobiles) > call.account.balance:
        raise ApiError(105)
    bulk_id = call.state.new_id()
    messages = [
        _create_sms(
            call,
            mobile,
            text,
            sender=call.get("from"),
            ucs=ucs,
            flash=flash,
            send_at=send_at,
            bulk_id=bulk_id,
        )
        for mobile in mobiles
    ]
    accept(call.app, messages)
    return {
        "id": {"value": [m.id for m in messages]},
        "sms": [{"smsId": m.id, "msisdn": m.to} for m in messages],
        "accepted": len(messages),
        "rejected": rejected,
        "balance": _num(call.account.balance),
    }


def _own_message(call: Call) -> Message:
    """Return the message named by smsId: 107, 108, 109 otherwise."""
    sms_id = call.get("smsId") or call.get("smsid")
    if not sms_id:
        raise ApiError(107)
    if not ID_RE.match(sms_id):
        raise ApiError(108)
    message = call.state.messages.get(sms_id)
    if message is None or message.account_id != call.account.id or message.status == "canceled":
        raise ApiError(109)
    return message


async def sms_cancel(call: Call) -> dict[str, Any]:
    """Handle ``sms/cancel``."""
    message = _own_message(call)
    if message.status != "scheduled" or message.send_at is None:
        raise ApiError(110)
    if message.send_at - now_utc() < CANCEL_GRACE:
        raise ApiError(111)
    message.status = "canceled"
    message.done_at = now_utc()
    call.account.balance = round(call.account.balance + message.price, 5)
    return {"smsId": message.id}


async def status_get(call: Call) -> dict[str, Any]:
    """Handle ``status/get``: changes since the last call, each once."""
    state = call.state
    mine: list[str] = []
    for message_id in state.changed_status:
        message = state.messages.get(message_id)
        if message is not None and message.account_id == call.account.id and message_id not in mine:
            mine.append(message_id)
    state.changed_status[:] = [mid for mid in state.changed_status if mid not in mine]
    sms = [{"smsId": mid, "status": status_letter(state.messages[mid])} for mid in mine]
    return {"sms": sms, "total": len(sms)}


async def status_sms(call: Call) -> dict[str, Any]:
    """Handle ``status/sms``."""
    message = _own_message(call)
    return {"sms": {"smsId": message.id, "status": status_letter(message)}}


# -- Viber ---------------------------------------------------------------------


@dataclass
class ViberRequest:
    """The validated parameters of a Viber submission."""

    sender: str
    text: str
    caption: str
    action: str
    image: str
    validity: int
    all_devices: bool
    fallback: bool
    sms_text: str
    sms_from: str
    ucs: bool
    flash: bool


def _validate_viber(call: Call) -> ViberRequest:
    """Check a Viber submission's parameters (all but the recipients)."""
    if call.get("contactId"):
        raise ApiError(515)
    if call.get("groupId"):
        raise ApiError(516)
    if not call.get("to").replace(",", "").strip():
        raise ApiError(501)
    sender = call.get("from")
    if sender not in call.account.viber_senders:
        raise ApiError(503)
    if sender in call.account.paused_viber_senders:
        raise ApiError(504)
    text = call.params.get("text", "")
    caption, action, image = (
        call.get("button_caption"),
        call.get("button_action"),
        call.get("image"),
    )
    if len(text) > VIBER_MAX_TEXT:
        raise ApiError(506)
    if not text.strip():
        if caption or action:
            raise ApiError(512 if image else 505)
        if not image:
            raise ApiError(509)
    elif caption and not action:
        raise ApiError(508)
    elif action and not caption:
        raise ApiError(507)
    elif image and not caption:
        raise ApiError(511)
    raw_validity = call.get("validity") or str(VIBER_VALIDITY[1])
    if not raw_validity.isdigit() or not (
        VIBER_VALIDITY[0] <= int(raw_validity) <= VIBER_VALIDITY[1]
    ):
        raise ApiError(513)
    raw_devices = call.get("all_devices").lower()
    if raw_devices not in ("", "true", "false", "1", "0"):
        raise ApiError(510)
    sms_from = call.get("sms_from")
    if sms_from and not SENDER_RE.match(sms_from):
        raise ApiError(514)
    return ViberRequest(
        sender=sender,
        text=text,
        caption=caption,
        action=action,
        image=image,
        validity=int(raw_validity),
        all_devices=raw_devices in ("true", "1"),
        fallback=_truthy(call.params.get("sms_fallback")),
        sms_text=call.params.get("sms_text", ""),
        sms_from=sms_from,
        ucs=_truthy(call.params.get("ucs")),
        flash=_truthy(call.params.get("flash")),
    )


def _send_viber(call: Call, viber: ViberRequest, mobiles: list[Mobile]) -> list[Message]:
    """Charge the sender, record and accept one Viber message per number."""
    account, state = call.account, call.state
    cost = round(account.price_per_segment, 5)
    if cost * len(mobiles) > account.viber_senders[viber.sender]:
        raise ApiError(517)
    messages: list[Message] = []
    bulk_id = state.new_id() if len(mobiles) > 1 else None
    for mobile in mobiles:
        account.viber_senders[viber.sender] = round(account.viber_senders[viber.sender] - cost, 5)
        no_viber = mobile.msisdn.endswith("7")
        message = Message(
            id=_new_id(state),
            provider="sms365",
            account_id=account.id,
            to=mobile.msisdn,
            text=viber.text,
            sender=viber.sender,
            bulk_id=bulk_id,
            channel="viber",
            encoding="UCS2",
            segments=1,
            price=cost,
            currency=account.currency,
            outcome="undeliverable" if no_viber else outcome_for(mobile.msisdn),
            validity_period_ms=viber.validity * 60_000,
            extra={
                "button_caption": viber.caption,
                "button_action": viber.action,
                "image": viber.image,
                "validity": viber.validity,
                "all_devices": viber.all_devices,
                "sms_fallback": viber.fallback,
                "sms_text": viber.sms_text,
                "sms_from": viber.sms_from,
                "ucs": viber.ucs,
                "flash": viber.flash,
                "mcc": mobile.mcc,
                "mnc": mobile.mnc,
            },
        )
        state.messages[message.id] = message
        messages.append(message)
    accept(call.app, messages)
    return messages


async def viber_send(call: Call) -> dict[str, Any]:
    """Handle ``viber/send``."""
    viber = _validate_viber(call)
    mobile = parse_mobile(call.get("to"))
    if mobile is None:
        raise ApiError(518)
    (message,) = _send_viber(call, viber, [mobile])
    return {
        "id": message.id,
        "cost": _num(message.price),
        "balance": _num(call.account.viber_senders[viber.sender]),
    }


async def viber_bulk(call: Call) -> dict[str, Any]:
    """Handle ``viber/bulk``."""
    viber = _validate_viber(call)
    mobiles, rejected = _recipients(call.get("to"))
    if not mobiles:
        raise ApiError(518)
    messages = _send_viber(call, viber, mobiles)
    return {
        "id": {"value": [m.id for m in messages]},
        "messages": [{"id": m.id, "msisdn": m.to, "cost": _num(m.price)} for m in messages],
        "accepted": len(messages),
        "rejected": rejected,
        "balance": _num(call.account.viber_senders[viber.sender]),
    }


async def viber_balance(call: Call) -> dict[str, Any]:
    """Handle ``viber/balance`` (503 for an account without a Viber sender)."""
    account = call.account
    if not account.viber_senders:
        raise ApiError(503)
    senders = [
        {
            "senderId": sender,
            "text": sender,
            "balance": _num(balance),
            "twoway": False,
            "paused": sender in account.paused_viber_senders,
        }
        for sender, balance in account.viber_senders.items()
    ]
    return {"senders": {"sender": senders}}


def _send_fallback(app: web.Application, viber: Message) -> None:
    """Send the fallback SMS of a failed Viber message, if asked and paid for."""
    state = app[STATE_KEY]
    account = state.accounts[viber.account_id]
    text = viber.extra["sms_text"] or viber.text
    if not text.strip():
        return
    ucs = bool(viber.extra["ucs"])
    if _sms_cost(account, text, ucs=ucs) > account.balance:
        viber.extra["fallback_error"] = 105
        return
    fields = _sms_fields(text, ucs=ucs, flash=bool(viber.extra["flash"]))
    extra: dict[str, Any] = {
        **fields.pop("extra", {}),
        "mcc": viber.extra["mcc"],
        "mnc": viber.extra["mnc"],
        "fallback_for": viber.id,
    }
    sms = state.create_message(
        account,
        to=viber.to,
        text=text,
        message_id=_new_id(state),
        sender=viber.extra["sms_from"] or None,
        extra=extra,
        **fields,
    )
    viber.extra["fallback_sms"] = sms.id
    accept(app, [sms])


# -- HLR and 2FA -----------------------------------------------------------------


async def hlr_lookup(call: Call) -> dict[str, Any]:
    """Handle ``hlr/lookup``: 1/10 SMS per lookup from the hlrBalance."""
    raw = call.get("mobile")
    if not raw:
        raise ApiError(205)
    mobile = parse_mobile(raw)
    if mobile is None:
        raise ApiError(201)
    hlr = call.app[HLR_BALANCE_KEY]
    account = call.account
    if hlr.get(account.id, 0) < 1:
        if account.balance < 1:
            raise ApiError(105, HLR_OUT_OF_BALANCE)
        account.balance = round(account.balance - 1, 5)
        hlr[account.id] = hlr.get(account.id, 0) + 10
    hlr[account.id] -= 1
    initial = mobile.mnc
    mnc, network = initial, carrier.name_for_number(mobile.parsed, "en")
    networks = NETWORKS.get(mobile.region, [])
    ported = mobile.msisdn.endswith("8") and bool(networks)
    if ported:
        index = next(i for i, (code, _) in enumerate(networks) if code == initial)
        mnc, network = networks[(index + 1) % len(networks)]
    outcome = outcome_for(mobile.msisdn)
    description = {
        "delivered": "Active",
        "undeliverable": "Unknown subscriber",
    }.get(outcome, "Absent subscriber")
    return {
        "result": "OK",
        "description": description,
        "mcc": mobile.mcc,
        "mnc": mnc,
        "network": network or "Unknown",
        "country": geocoder.country_name_for_number(mobile.parsed, "en"),
        "countryCode": str(mobile.parsed.country_code),
        "ported": "yes" if ported else "no",
        "cctld": CCTLD_EXCEPTIONS.get(mobile.region, mobile.region.lower()),
        "mccInitial": mobile.mcc,
        "mncInitial": initial,
    }


def _wait_seconds(call: Call, callback: str | None) -> float:
    raw = call.get("wait")
    try:
        wait = float(raw)
    except ValueError:
        return 0.0 if callback else DEFAULT_2FA_WAIT
    return max(wait, 0.0)


async def twofa_send(call: Call) -> dict[str, Any]:
    """Handle ``2fa/send``: a code by SMS, waiting for its report."""
    raw_to = call.get("to")
    if not raw_to:
        raise ApiError(102)
    mobile = parse_mobile(raw_to)
    if mobile is None:
        raise ApiError(103)
    callback = _callback(call)
    code = f"{secrets.randbelow(10000):04d}"
    text = call.params.get("text", "")
    text = (text if text.strip() else DEFAULT_2FA_TEXT).replace(CODE_PLACEHOLDER, code)
    ucs = _truthy(call.params.get("ucs"))
    if _sms_cost(call.account, text, ucs=ucs) > call.account.balance:
        raise ApiError(105)
    auth_id = _new_id(call.state)
    extra: dict[str, Any] = {"twofa": auth_id}
    if callback:
        extra["callback"] = callback
    message = _create_sms(
        call, mobile, text, sender=call.get("from"), ucs=ucs, flash=False, extra=extra
    )
    call.state.twofa[auth_id] = {
        "account_id": call.account.id,
        "code": code,
        "message_id": message.id,
        "to": mobile.msisdn,
    }
    accept(call.app, [message])
    wait = _wait_seconds(call, callback)
    if message.status in ("pending", "scheduled") and wait > 0:
        waiters = call.app[WAITERS_KEY]
        waiters[message.id] = event = asyncio.Event()
        try:
            await asyncio.wait_for(event.wait(), wait)
        except TimeoutError:
            pass
        finally:
            del waiters[message.id]
    return {"authId": auth_id, "authStatus": status_letter(message)}


async def twofa_check(call: Call) -> dict[str, Any]:
    """Handle ``2fa/check``."""
    auth_id, code = call.get("authId"), call.get("code")
    if not auth_id:
        raise ApiError(300)
    if not code:
        raise ApiError(301)
    auth = call.state.twofa.get(auth_id)
    if auth is None or auth["account_id"] != call.account.id:
        raise ApiError(302)
    return {"auth": "ok" if code == auth["code"] else "nok"}


# -- delivery reports ------------------------------------------------------------


def report(app: web.Application, message: Message) -> bool:
    """Push a final status to the message's callback URL, if it has one."""
    waiter = app[WAITERS_KEY].get(message.id)
    if waiter is not None:
        waiter.set()
    if (
        message.channel == "viber"
        and message.status != "delivered"
        and message.extra.get("sms_fallback")
    ):
        _send_fallback(app, message)
    callback = message.extra.get("callback")
    if not callback:
        return False
    query = urlencode(
        {
            "msgid": message.id,
            "status": status_letter(message),
            "cost": _num(message.price),
            "to": message.to,
            "mcc": message.extra.get("mcc", ""),
            "mnc": message.extra.get("mnc", ""),
        }
    )
    parts = urlsplit(callback)
    url = urlunsplit(parts._replace(query=f"{parts.query}&{query}" if parts.query else query))
    app[PUSHER_KEY].push(
        kind="delivery_report", provider="sms365", url=url, method="GET", body="", content_type=None
    )
    return True


ROUTES: dict[str, Endpoint] = {
    "key/get": key_get,
    "key/reset": key_reset,
    "sms/send": sms_send,
    "sms/bulk": sms_bulk,
    "sms/cancel": sms_cancel,
    "viber/send": viber_send,
    "viber/bulk": viber_bulk,
    "viber/balance": viber_balance,
    "me/balance": me_balance,
    "balance/get": me_balance,
    "status/get": status_get,
    "status/sms": status_sms,
    "hlr/lookup": hlr_lookup,
    "2fa/send": twofa_send,
    "2fa/check": twofa_check,
}


def setup(app: web.Application) -> None:
    """Add the sms365 routes and the delivery-report hook."""
    app[HLR_BALANCE_KEY] = {}
    app[WAITERS_KEY] = {}
    handlers: dict[str, Handler] = {
        name: endpoint(func, login=name.startswith("key/")) for name, func in ROUTES.items()
    }
    handlers["mobile/check"] = mobile_check
    for name, handler in handlers.items():
        app.router.add_get(f"/api/{name}", handler, allow_head=False)
        app.router.add_post(f"/api/{name}", handler)
    app[REPORT_HOOKS_KEY]["sms365"] = report
