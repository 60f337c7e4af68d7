"""Infobip-v1 style SMS API (``infobip-v1-style-sms-api.md``).

Endpoints (HTTP Basic auth ``username:password`` on every one of them):

==========  ===================================  =======================================
method      path                                 what it does
==========  ===================================  =======================================
POST        /restapi/sms/1/text/single           one text to one or more destinations
POST        /restapi/sms/1/text/multi            several texts (``messages[]``)
POST        /restapi/sms/1/text/advanced         fully featured (``destinations[]`` ...)
POST        /restapi/sms/1/binary/single         one binary message (``binary.hex``)
POST        /restapi/sms/1/binary/multi          several binary messages
GET         /restapi/sms/1/reports               delivery reports, each served once
GET         /restapi/sms/1/logs                  sent messages of the last 48 hours
GET         /restapi/account/1/balance           ``{"balance", "currency"}``
GET         /restapi/sms/1/inbox/reports         received messages, each served once
GET         /restapi/sms/1/inbox/logs            received messages, repeatable
POST        /restapi/number/1/query              Number Context, synchronous
POST        /restapi/number/1/notify             Number Context, pushed to ``notifyUrl``
==========  ===================================  =======================================

Requests and answers are JSON or XML (``Content-Type`` / ``Accept``). XML
answers use the document's root names (``SMSResponse``, ``SendSMSResponse``,
``SMSReportResponse``, ``SMSLogsResponse``, ``AccountBalance``,
``MOReportResponse``, ``MOLogsResponse``, ``NCResponse``, ``NCResponseAsync``)
and list conventions (``<messages><messages>..</messages></messages>``; the
reports' ``<results>`` repeat directly under the root).

Simulator choices the document does not specify:

* Errors use Infobip's envelope ``{"requestError": {"serviceException":
  {"messageId", "text"}}}`` (``<requestError><serviceException>..`` in XML):
  401 ``UNAUTHORIZED`` "Invalid login details" (checked first, with a
  ``WWW-Authenticate`` header); 400 ``BAD_REQUEST`` "General error" for any
  request, GET included, without (or with a non JSON/XML) ``Content-Type``
  (see below); 400 ``BAD_REQUEST`` for a
  malformed body, a missing ``to`` / ``destinations`` / ``messages`` /
  ``binary.hex``, invalid hex, an invalid ``sendAt``, ``validityPeriod``,
  ``limit`` or date filter. Nothing is sent when a request answers 400.
* The answer is XML when ``Accept`` names XML, JSON when it names JSON and,
  without either (``*/*`` or none), follows the request's ``Content-Type``.
* Per destination rejections answer HTTP 200 with a REJECTED status, checked
  in this order: duplicate ``messageId`` (23; any id already known to the
  simulator, whatever the account or the earlier outcome, is a duplicate; no
  message is stored, no report), invalid sender (11: alphanumeric 3-11
  characters, numeric 3-14 digits, an optional leading ``+``), text over 1600
  characters (25), destination not a valid international number according
  to ``phonenumbers`` (8), balance too low (12). Rejected messages are not
  charged, are stored (logs) and get a delivery report like any other.
* Every message gets a bulk id (the request's ``bulkId`` or a generated one),
  shown in reports and logs; the send answer shows ``bulkId`` only when one
  was given or the request has more than one destination.
* Accepted messages answer status 0 ``MESSAGE_ACCEPTED`` (group ACCEPTED),
  except ``binary/multi`` whose examples answer 7 ``PENDING_ENROUTE``.
* Reports and logs map the message state: scheduled -> 7 PENDING_ENROUTE,
  pending -> 3 PENDING_WAITING_DELIVERY, delivered -> 5 DELIVERED_TO_HANDSET /
  error 0 NO_ERROR, undeliverable -> 9 UNDELIVERABLE_NOT_DELIVERED / error 1
  EC_UNKNOWN_SUBSCRIBER, expired -> 15 EXPIRED_EXPIRED / error 27
  EC_ABSENT_SUBSCRIBER, rejected -> the rejection's status / error 0. A message's
  ``extra["status_id"]`` / ``extra["error_id"]`` override the mapping (tests
  reach the document's REJECTED_NETWORK that way). ``doneAt`` is left out
  while a message is not final, ``from`` when no sender was given,
  ``mccmnc`` when the country is not in the small MCC table below.
* Any other message state (``canceled``) reports 21 REJECTED_SYSTEM_ERROR.
* The GSM error table gives neither description nor group: the description
  is made from the name (``EC_ABSENT_SUBSCRIBER`` -> "Absent Subscriber", as
  in the examples), the group is OK for 0, HANDSET_ERRORS below 500,
  OPERATOR_ERRORS below 4096, USER_ERRORS from 4096 on; NULL permanent = false.
* ``pricePerMessage`` is the price of one SMS part (message price divided by
  ``smsCount``). Undeliverable and expired messages stay charged.
* Dates are UTC, ``yyyy-MM-dd'T'HH:mm:ss.SSSZ`` (``2015-02-12T09:51:43.123+0000``);
  date inputs (``sendAt``, ``sentSince`` ...) accept ISO 8601 with ``+0100`` or
  ``+01:00`` offsets (a ``+`` decoded to a space is tolerated), naive = UTC.
* ``limit`` defaults to 50 everywhere. Reports and the inbox are served oldest
  first (queue order), logs newest first. Inbox logs have no 48 hour window.
* ``keyword`` is ``""`` for a received message without keyword.
* Pushed delivery reports are ``{"results": [<report>]}`` (one report per
  push) plus ``callbackData`` when set; XML (``SMSReportResponse``) when
  ``notifyContentType`` names XML. Received messages are pushed to the
  account's forward URL as JSON ``{"results": [<message>]}``.
* Language, transliteration and the advanced-only fields are stored but do not
  change the segment count; the advanced-only fields are also honoured on the
  other text endpoints. Binary messages count 140 bytes for one part, 134 per
  part beyond; their log ``text`` is the hex string.
* Number Context is deterministic from the number (see ``state.outcome_for``):
  delivered -> 5 DELIVERED_TO_HANDSET with an ``imsi``, undeliverable -> 9 /
  EC_UNKNOWN_SUBSCRIBER, expired -> 9 / EC_ABSENT_SUBSCRIBER (``imsi`` only for a
  reachable subscriber); an invalid number -> 9 / EC_UNKNOWN_SUBSCRIBER.
  ``app[NC_OUTCOMES_KEY][number]`` forces an outcome. ``ported`` and
  ``roaming`` are always false; ``networkPrefix`` is the first two national
  digits. Asynchronous lookups answer PENDING_WAITING_DELIVERY (3) per valid
  number, 14 REJECTED_DESTINATION (with a messageId) for an invalid number and
  52 "Invalid destination address." (without) for a non numeric one; one push
  to ``notifyUrl`` carries the results of the accepted numbers.

Contradictions in the document and the choice made:

* ``validityPeriod`` is in milliseconds (example ``86400000``) in this copy
  of the document and in minutes (example ``720``) in the api.shortlink.pro
  copy: the account's ``validity_period_unit`` picks the host's copy
  (``milliseconds`` by default, ``minutes``); either way capped at 48 hours.
* "If the Content-Type is not specified you will receive a General error"
  (Getting started), yet the document's GET examples send none: the rule
  wins, for every method. The examples' replays add the ``Content-Type``
  their ``Accept`` names (``request_correction`` in the test data).
* Group name ``Queue/Accepted`` (one JSON example) vs ``ACCEPTED``: ACCEPTED.
* ``binary/multi`` answers ``"groupId": 7`` for PENDING in some places, 1 in
  others and in the status table: 1.
* Binary examples use the path ``/1/sms/binary/...`` while the definitions say
  ``/restapi/sms/1/binary/...``: the definitions. Several logs XML examples use
  POST where the definition and the JSON twins use GET: GET only.
* The binary JSON examples send ``Accept: application/xml`` yet show JSON: the
  header wins (XML).
* XML roots ``SMSResponse`` vs ``SendSMSResponse``: per endpoint as in its own
  examples (``text/multi`` and ``text/advanced`` use ``SendSMSResponse``).
* Number Context, synchronous: the JSON key is ``results`` in the reference
  section but ``ncResults`` in "Getting started" and in every XML example:
  ``results`` in JSON, ``ncResults`` in XML. The XML examples are malformed
  (``<response>..</NCResponse>``, ``<results>..</ncResults>``): root
  ``NCResponse``, ``bulkId`` first under the root. One JSON example lists the
  results in another order than requested: request order. Asynchronous
  answers and pushes use ``ncResults`` in both formats, although the push is
  said to be "the same as" the synchronous answer.
* Asynchronous Number Context, multiple numbers: 41793026727 is
  ``PENDING_ENROUTE`` in JSON but ``PENDING_WAITING_DELIVERY`` in XML (and in
  the single number example): PENDING_WAITING_DELIVERY; its XML answer has
  no ``bulkId`` while the JSON twin has one: ``bulkId`` is sent.
* The same number 41793026727 is DELIVERED in "Getting started" but an absent
  subscriber in the reference: deterministic outcome (delivered) by default.
* ``receivedAt``'s format is given as ``..SSSXXX`` (``+01:00``) while every
  example shows ``+0100``: as the examples.
* The inbox logs examples differ between JSON and XML (``to`` 41793026727 vs
  13372, ``from`` 385998779111 vs 385998779613; the JSON answer to a
  ``to=13372`` filter shows 41793026727), one XML example lists
  ``<results>`` without the wrapper and omits ``keyword``; one log example
  says ``"groupName": "Ok"``: the simulator's single format is used.
* The first XML reports example has no ``<error>``: the error is always sent.
* The ``text/multi`` and ``binary/multi`` "Result Format" blocks show two
  messages for three destinations (their Additional examples show three).
* The send examples' XML answers carry other message ids than their JSON
  twins, and logs XML examples print ``pricePerMessage`` as ``0.0100`` where
  JSON says ``0.01`` (the simulator prints the number as is).
* The advanced example sends no ``Accept`` header (answer: the request's type).
* The undeliverable log example carries error NO_ERROR and price 0; the
  simulator's undeliverable messages carry EC_UNKNOWN_SUBSCRIBER and stay
  charged (the brief's mapping).

Inbound hook: ``auto`` pushes when the account has a forward URL, else queues
for ``inbox/reports``; ``push`` without a forward URL delivers nothing.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import json
import re
from typing import Any
import xml.etree.ElementTree as ET

from aiohttp import web
import phonenumbers

from .core import INBOUND_HOOKS_KEY, PUSHER_KEY, REPORT_HOOKS_KEY, STATE_KEY, accept
from .state import Account, InboundMessage, Message, Outcome, now_utc, outcome_for
from .text import segment_count

# -- the document's tables ---------------------------------------------------

# Status groups: id -> (name, description).
STATUS_GROUPS: dict[int, tuple[str, str]] = {
    0: ("ACCEPTED", "Message is accepted."),
    1: ("PENDING", "Message is in pending status."),
    2: ("UNDELIVERABLE", "Message is undeliverable."),
    3: ("DELIVERED", "Message is delivered."),
    4: ("EXPIRED", "Message is expired."),
    5: ("REJECTED", "Message is rejected."),
}

# Statuses: id -> (group id, name, description, action). 0 is the send
# answer's status (not in the table); 52 appears only in the asynchronous
# Number Context example.
STATUSES: dict[int, tuple[int, str, str, str | None]] = {
    0: (0, "MESSAGE_ACCEPTED", "Message accepted", None),
    1: (1, "PENDING_TIME_VIOLATION", "Time window violation", None),
    2: (3, "DELIVERED_TO_OPERATOR", "Message delivered to operator", None),
    3: (1, "PENDING_WAITING_DELIVERY", "Message sent, waiting for delivery report", None),
    4: (2, "UNDELIVERABLE_REJECTED_OPERATOR", "Message rejected by operator", None),
    5: (3, "DELIVERED_TO_HANDSET", "Message delivered to handset", None),
    6: (5, "REJECTED_NETWORK", "Network is forbidden", "Contact account manager"),
    7: (1, "PENDING_ENROUTE", "Message sent to next instance", None),
    8: (5, "REJECTED_PREFIX_MISSING", "Number prefix missing", None),
    9: (2, "UNDELIVERABLE_NOT_DELIVERED", "Message sent not delivered", None),
    10: (5, "REJECTED_DND", "Destination on DND list", None),
    11: (5, "REJECTED_SOURCE", "Invalid Source address", None),
    12: (5, "REJECTED_NOT_ENOUGH_CREDITS", "Not enough credits", None),
    13: (5, "REJECTED_SENDER", "By Sender", "Remove sender from blacklist"),
    14: (5, "REJECTED_DESTINATION", "By Destination", "Remove destination from blacklist"),
    15: (4, "EXPIRED_EXPIRED", "Message expired", None),
    16: (5, "REJECTED_NOT_REACHABLE", "Network not reachable", None),
    17: (
        5,
        "REJECTED_PREPAID_PACKAGE_EXPIRED",
        "Prepaid package expired",
        "Top-Up your account to extend the validty period",
    ),
    18: (5, "REJECTED_DESTINATION_NOT_REGISTERED", "Destination not registered", None),
    19: (5, "REJECTED_ROUTE_NOT_AVAILABLE", "Route not available", "Contact account manager"),
    20: (5, "REJECTED_FLOODING_FILTER", "Rejected flooding", "STOP SPAMMING"),
    21: (5, "REJECTED_SYSTEM_ERROR", "System error", None),
    22: (4, "EXPIRED_UNKNOWN", "Unknown Reason", None),
    23: (5, "REJECTED_DUPLICATE_MESSAGE_ID", "Rejected duplicate message ID", None),
    24: (5, "REJECTED_INVALID_UDH", "Rejected invalid UDH", None),
    25: (5, "REJECTED_MESSAGE_TOO_LONG", "Rejected message too long", None),
    52: (5, "REJECTED_DESTINATION", "Invalid destination address.", "Check to parameter."),
}

# Error groups: id -> (name, description).
ERROR_GROUPS: dict[int, tuple[str, str]] = {
    0: ("OK", "No error."),
    1: ("HANDSET_ERRORS", "Handset error occurred."),
    2: ("USER_ERRORS", "User error occurred."),
    3: ("OPERATOR_ERRORS", "Operator error occurred."),
}

# GSM error codes: id -> (name, permanent). The table's NULL is False.
GSM_ERRORS: dict[int, tuple[str, bool]] = {
    0: ("NO_ERROR", False),
    1: ("EC_UNKNOWN_SUBSCRIBER", True),
    5: ("EC_UNIDENTIFIED_SUBSCRIBER", False),
    6: ("EC_ABSENT_SUBSCRIBER_SM", False),
    9: ("EC_ILLEGAL_SUBSCRIBER", True),
    10: ("EC_BEARER_SERVICE_NOT_PROVISIONED", False),
    11: ("EC_TELESERVICE_NOT_PROVISIONED", True),
    12: ("EC_ILLEGAL_EQUIPMENT", True),
    13: ("EC_CALL_BARRED", False),
    20: ("EC_SS_INCOMPATIBILITY", False),
    21: ("EC_FACILITY_NOT_SUPPORTED", False),
    27: ("EC_ABSENT_SUBSCRIBER", False),
    31: ("EC_SUBSCRIBER_BUSY_FOR_MT_SMS", False),
    32: ("EC_SM_DELIVERY_FAILURE", False),
    33: ("EC_MESSAGE_WAITING_LIST_FULL", False),
    34: ("EC_SYSTEM_FAILURE", False),
    35: ("EC_DATA_MISSING", True),
    36: ("EC_UNEXPECTED_DATA_VALUE", True),
    51: ("EC_RESOURCE_LIMITATION", False),
    71: ("EC_UNKNOWN_ALPHABET", True),
    72: ("EC_USSD_BUSY", True),
    255: ("EC_UNKNOWN_ERROR", True),
    256: ("EC_SM_DF_memoryCapacityExceeded", False),
    257: ("EC_SM_DF_equipmentProtocolError", False),
    258: ("EC_SM_DF_equipmentNotSM_Equipped", False),
    259: ("EC_SM_DF_unknownServiceCentre", False),
    260: ("EC_SM_DF_sc_Congestion", False),
    261: ("EC_SM_DF_invalidSME_Address", False),
    262: ("EC_SM_DF_subscriberNotSC_Subscriber", False),
    500: ("EC_PROVIDER_GENERAL_ERROR", False),
    502: ("EC_NO_RESPONSE", False),
    503: ("EC_SERVICE_COMPLETION_FAILURE", False),
    504: ("EC_UNEXPECTED_RESPONSE_FROM_PEER", False),
    507: ("EC_MISTYPED_PARAMETER", False),
    508: ("EC_NOT_SUPPORTED_SERVICE", False),
    509: ("EC_DUPLICATED_INVOKE_ID", False),
    511: ("EC_INITIATING_RELEASE", False),
    1024: ("EC_OR_appContextNotSupported", False),
    1025: ("EC_OR_invalidDestinationReference", False),
    1026: ("EC_OR_invalidOriginatingReference", False),
    1027: ("EC_OR_encapsulatedAC_NotSupported", False),
    1028: ("EC_OR_transportProtectionNotAdequate", False),
    1029: ("EC_OR_noReasonGiven", False),
    1030: ("EC_OR_potentialVersionIncompatibility", False),
    1031: ("EC_OR_remoteNodeNotReachable", False),
    1152: ("EC_NNR_noTranslationForAnAddressOfSuchNature", False),
    1153: ("EC_NNR_noTranslationForThisSpecificAddress", False),
    1154: ("EC_NNR_subsystemCongestion", False),
    1155: ("EC_NNR_subsystemFailure", False),
    1156: ("EC_NNR_unequippedUser", False),
    1157: ("EC_NNR_MTPfailure", False),
    1158: ("EC_NNR_networkCongestion", False),
    1159: ("EC_NNR_unqualified", False),
    1160: ("EC_NNR_errorInMessageTransportXUDT", False),
    1161: ("EC_NNR_errorInLocalProcessingXUDT", False),
    1162: ("EC_NNR_destinationCannotPerformReassemblyXUDT", False),
    1163: ("EC_NNR_SCCPfailure", False),
    1164: ("EC_NNR_hopCounterViolation", False),
    1165: ("EC_NNR_segmentationNotSupported", False),
    1166: ("EC_NNR_segmentationFailure", False),
    1281: ("EC_UA_userSpecificReason", False),
    1282: ("EC_UA_userResourceLimitation", False),
    1283: ("EC_UA_resourceUnavailable", False),
    1284: ("EC_UA_applicationProcedureCancellation", False),
    1536: ("EC_PA_providerMalfunction", False),
    1537: ("EC_PA_supportingDialogOrTransactionRealeased", False),
    1538: ("EC_PA_ressourceLimitation", False),
    1539: ("EC_PA_maintenanceActivity", False),
    1540: ("EC_PA_versionIncompatibility", False),
    1541: ("EC_PA_abnormalMapDialog", False),
    1792: ("EC_NC_abnormalEventDetectedByPeer", False),
    1793: ("EC_NC_responseRejectedByPeer", False),
    1794: ("EC_NC_abnormalEventReceivedFromPeer", False),
    1795: ("EC_NC_messageCannotBeDeliveredToPeer", False),
    1796: ("EC_NC_providerOutOfInvoke", False),
    2048: ("EC_TIME_OUT", False),
    2049: ("EC_IMSI_BLACKLISTED", True),
    2050: ("EC_DEST_ADDRESS_BLACKLISTED", True),
    2051: ("EC_InvalidMscAddress", False),
    4096: ("EC_invalidPduFurmat", True),
    4097: ("EC_NotSubmittedToGMSC", True),
    4100: ("EC_Cancelled", True),
    4101: ("EC_ValidityExpired", True),
    4102: ("EC_NotSubmittedToSmppChannel", False),
}

# Mobile country codes of a few countries (simulator data, not the document's).
MCC_BY_REGION: dict[str, str] = {
    "AT": "232", "BA": "218", "BE": "206", "BG": "284", "CH": "228", "CY": "280",
    "CZ": "230", "DE": "262", "DK": "238", "ES": "214", "FI": "244", "FR": "208",
    "GB": "234", "GR": "202", "HR": "219", "HU": "216", "IE": "272", "IT": "222",
    "NL": "204", "NO": "242", "PL": "260", "PT": "268", "RO": "226", "RS": "220",
    "SE": "240", "SI": "293", "SK": "231", "TR": "286", "US": "310",
}  # fmt: skip
# Mobile network codes by leading national digits; anything else is "01".
MNC_BY_PREFIX: dict[str, dict[str, str]] = {
    "CH": {"76": "02", "78": "03", "79": "01"},
    "HR": {"91": "10", "92": "10", "95": "02", "97": "02", "98": "01", "99": "01"},
    "GR": {"690": "10", "693": "10", "694": "05", "695": "05", "697": "01", "698": "01"},
}

# -- constants ----------------------------------------------------------------

BASE = "/restapi/sms/1"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
DEFAULT_LIMIT = 50
LOG_WINDOW = timedelta(hours=48)
MAX_VALIDITY_MS = 48 * 3600 * 1000
# validityPeriod units: the 107.20.199.106 copy of the document says
# milliseconds, the api.shortlink.pro copy minutes (Account.validity_period_unit).
VALIDITY_UNITS_MS = {"milliseconds": 1, "minutes": 60_000}
MAX_TEXT = 1600
BINARY_SINGLE, BINARY_MULTI = 140, 134
XML_LISTS = ("to", "messages", "destinations")

# Status id for a message state (reports and logs).
STATUS_BY_STATE: dict[str, int] = {
    "scheduled": 7,
    "pending": 3,
    "delivered": 5,
    "undeliverable": 9,
    "expired": 15,
}
ERROR_BY_STATE: dict[str, int] = {"undeliverable": 1, "expired": 27}
# Number Context (status id, error id) for an outcome.
NC_BY_OUTCOME: dict[str, tuple[int, int]] = {
    "delivered": (5, 0),
    "undeliverable": (9, 1),
    "expired": (9, 27),
    "rejected": (9, 1),
}

# Number -> outcome forced on Number Context lookups (tests, demo).
NC_OUTCOMES_KEY: web.AppKey[dict[str, Outcome]] = web.AppKey("infobip_nc_outcomes")


# -- objects of the protocol --------------------------------------------------


def status_object(status_id: int) -> dict[str, Any]:
    """Return the document's Status object for a status id."""
    group_id, name, description, action = STATUSES[status_id]
    status: dict[str, Any] = {
        "groupId": group_id,
        "groupName": STATUS_GROUPS[group_id][0],
        "id": status_id,
        "name": name,
        "description": description,
    }
    if action is not None:
        status["action"] = action
    return status


def error_group(error_id: int) -> int:
    """Return the group of a GSM error (the document gives none but for 0, 1, 27)."""
    if error_id == 0:
        return 0
    if error_id < 500:
        return 1  # HANDSET_ERRORS
    if error_id < 4096:
        return 3  # OPERATOR_ERRORS
    return 2  # USER_ERRORS


def describe(name: str) -> str:
    """Turn ``EC_ABSENT_SUBSCRIBER`` into ``Absent Subscriber``."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name.removeprefix("EC_")).replace("_", " ")
    return " ".join(word.capitalize() for word in spaced.split())


def error_object(error_id: int) -> dict[str, Any]:
    """Return the document's Error object for a GSM error id."""
    name, permanent = GSM_ERRORS[error_id]
    group_id = error_group(error_id)
    return {
        "groupId": group_id,
        "groupName": ERROR_GROUPS[group_id][0],
        "id": error_id,
        "name": name,
        "description": describe(name),
        "permanent": permanent,
    }


def format_date(value: datetime) -> str:
    """Format a date as ``yyyy-MM-dd'T'HH:mm:ss.SSSZ`` (UTC)."""
    value = value.astimezone(UTC)
    return f"{value.strftime(DATE_FORMAT)}.{value.microsecond // 1000:03d}+0000"


def parse_date(value: str, name: str) -> datetime:
    """Parse an ISO 8601 date input; naive dates are UTC."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError:
        raise ApiError(400, f"Invalid {name}: {value}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def network_of(number: str) -> tuple[str, str, str | None] | None:
    """Return (country prefix, network prefix, mccmnc) of a number, if parseable."""
    digits = number.strip().removeprefix("+")
    if not digits.isdigit():
        return None
    try:
        parsed = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return None
    country_code = int(parsed.country_code or 0)
    region = phonenumbers.region_code_for_country_code(country_code)
    national = str(parsed.national_number)
    mcc = MCC_BY_REGION.get(region)
    mccmnc: str | None = None
    if mcc is not None:
        prefixes = MNC_BY_PREFIX.get(region, {})
        mnc = next((prefixes[p] for p in (national[:3], national[:2]) if p in prefixes), "01")
        mccmnc = mcc + mnc
    return str(country_code), national[:2], mccmnc


def is_valid_number(number: str) -> bool:
    """Return whether a destination is a valid international number."""
    digits = number.strip().removeprefix("+")
    if not digits.isdigit():
        return False
    try:
        parsed = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(parsed))


def is_valid_sender(sender: str) -> bool:
    """Alphanumeric 3-11 characters, numeric 3-14 digits."""
    numeric = sender.removeprefix("+")
    if numeric.isdigit():
        return 3 <= len(numeric) <= 14
    return 3 <= len(sender) <= 11


# -- errors, bodies, answers ---------------------------------------------------


class ApiError(Exception):
    """An error answered with Infobip's requestError envelope."""

    def __init__(self, status: int, text: str, message_id: str = "BAD_REQUEST") -> None:
        """Keep what the answer needs."""
        super().__init__(text)
        self.status = status
        self.text = text
        self.message_id = message_id


def wants_xml(request: web.Request) -> bool:
    """Return whether to answer in XML (``Accept``, else the request's type)."""
    accept_header = request.headers.get("Accept", "").lower()
    if "xml" in accept_header:
        return True
    if "json" in accept_header:
        return False
    return "xml" in request.headers.get("Content-Type", "").lower()


def _fill(parent: ET.Element, key: str, value: Any, flat: frozenset[str]) -> None:
    if isinstance(value, list):
        holder = parent if key in flat else ET.SubElement(parent, key)
        for item in value:
            _fill(holder, key, item, flat)
        return
    element = ET.SubElement(parent, key)
    if isinstance(value, dict):
        for child_key, child in value.items():
            _fill(element, child_key, child, flat)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)


def to_xml(root: str, data: dict[str, Any], flat: frozenset[str] = frozenset()) -> str:
    """Serialize an answer; lists are wrapped (``<k><k>..</k></k>``) unless in ``flat``."""
    element = ET.Element(root)
    for key, value in data.items():
        _fill(element, key, value, flat)
    return ET.tostring(element, encoding="unicode")


def respond(
    request: web.Request,
    root: str,
    data: dict[str, Any],
    *,
    status: int = 200,
    flat: frozenset[str] = frozenset(),
) -> web.Response:
    """Answer in JSON or XML."""
    if wants_xml(request):
        return web.Response(
            status=status, text=to_xml(root, data, flat), content_type="application/xml"
        )
    return web.json_response(data, status=status)


def error_response(request: web.Request, err: ApiError) -> web.Response:
    """Answer an error with the requestError envelope."""
    body = {"serviceException": {"messageId": err.message_id, "text": err.text}}
    if wants_xml(request):
        response = web.Response(
            status=err.status, text=to_xml("requestError", body), content_type="application/xml"
        )
    else:
        response = web.json_response({"requestError": body}, status=err.status)
    if err.status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="SMS API"'
    return response


def xml_to_data(element: ET.Element) -> Any:
    """Turn an XML element into data: repeated tags become lists."""
    children = list(element)
    if not children:
        return element.text or ""
    grouped: dict[str, list[Any]] = {}
    for child in children:
        grouped.setdefault(child.tag, []).append(xml_to_data(child))
    return {tag: values[0] if len(values) == 1 else values for tag, values in grouped.items()}


def as_list(value: Any, name: str) -> list[Any]:
    """Return a list field given as a list, a single value or an XML wrapper."""
    if isinstance(value, dict) and set(value) == {name}:
        value = value[name]
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def as_bool(value: Any) -> bool:
    """Read a boolean from JSON or XML text."""
    return value is True or str(value).strip().lower() == "true"


def as_int(value: Any, name: str) -> int:
    """Read an integer from JSON or XML text."""
    try:
        return int(str(value).strip())
    except ValueError:
        raise ApiError(400, f"Invalid {name}: {value}") from None


async def read_body(request: web.Request) -> dict[str, Any]:
    """Parse a JSON or XML request body into a dict.

    ``endpoint`` has already refused a request that is neither (General error).
    """
    content_type = request.headers.get("Content-Type", "").lower()
    raw = await request.text()
    if "json" in content_type:
        try:
            data = json.loads(raw)
        except ValueError:
            raise ApiError(400, "Malformed JSON body") from None
    else:
        try:
            data = xml_to_data(ET.fromstring(raw))  # noqa: S314 - simulator input
        except ET.ParseError:
            raise ApiError(400, "Malformed XML body") from None
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be an object")
    return data


def declares_content_type(request: web.Request) -> bool:
    """Return whether a request names JSON or XML as its ``Content-Type``.

    "If the Content-Type is not specified you will receive a General error":
    the document says it of every request, GETs included.
    """
    content_type = request.headers.get("Content-Type", "").lower()
    return "json" in content_type or "xml" in content_type


def authenticate(request: web.Request) -> Account | None:
    """Return the account named by the Basic auth header."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    if not sep:
        return None
    return request.app[STATE_KEY].find_infobip_account(username, password)


Handler = Callable[[web.Request, Account], Awaitable[web.Response]]


def endpoint(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Wrap a handler with authentication and the error envelope."""

    async def wrapped(request: web.Request) -> web.Response:
        account = authenticate(request)
        if account is None:
            return error_response(request, ApiError(401, "Invalid login details", "UNAUTHORIZED"))
        request["recorded"].account_id = account.id
        if not declares_content_type(request):
            return error_response(request, ApiError(400, "General error"))
        try:
            return await handler(request, account)
        except ApiError as err:
            return error_response(request, err)

    return wrapped


def query_limit(request: web.Request) -> int:
    """Return the ``limit`` query parameter (default 50)."""
    value = request.query.get("limit", "").strip()
    if not value:
        return DEFAULT_LIMIT
    limit = as_int(value, "limit")
    if limit < 1:
        raise ApiError(400, f"Invalid limit: {value}")
    return limit


def query_list(request: web.Request, name: str) -> set[str]:
    """Return a repeatable, comma separated query parameter."""
    return {
        part.strip() for value in request.query.getall(name, []) for part in value.split(",")
    } - {""}


def query_date(request: web.Request, name: str) -> datetime | None:
    """Return a date query parameter."""
    value = request.query.get(name, "")
    return parse_date(value, name) if value.strip() else None


# -- sending -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SendKind:
    """What distinguishes the five send endpoints."""

    multi: bool
    binary: bool
    advanced: bool
    root: str  # XML root of the answer
    status: int  # status id of an accepted message


SEND_KINDS: dict[str, SendKind] = {
    "/text/single": SendKind(
        multi=False, binary=False, advanced=False, root="SMSResponse", status=0
    ),
    "/text/multi": SendKind(
        multi=True, binary=False, advanced=False, root="SendSMSResponse", status=0
    ),
    "/text/advanced": SendKind(
        multi=True, binary=False, advanced=True, root="SendSMSResponse", status=0
    ),
    "/binary/single": SendKind(
        multi=False, binary=True, advanced=False, root="SMSResponse", status=0
    ),
    "/binary/multi": SendKind(
        multi=True, binary=True, advanced=False, root="SMSResponse", status=7
    ),
}


def binary_parts(hex_text: str) -> int:
    """Return the SMS parts a binary payload takes."""
    try:
        size = len(bytes.fromhex("".join(hex_text.split())))
    except ValueError:
        raise ApiError(400, "Invalid binary.hex") from None
    return 1 if size <= BINARY_SINGLE else -(-size // BINARY_MULTI)


def plan_message(spec: Any, kind: SendKind, validity_unit: str = "milliseconds") -> dict[str, Any]:
    """Check one message of a send request and return what to send.

    ``validity_unit`` is the account's unit of ``validityPeriod`` (its host's
    copy of the document): "milliseconds" or "minutes".
    """
    if not isinstance(spec, dict):
        raise ApiError(400, "Invalid message")
    if kind.advanced:
        destinations = []
        for entry in as_list(spec.get("destinations"), "destinations"):
            if not isinstance(entry, dict) or not str(entry.get("to") or "").strip():
                raise ApiError(400, "Missing destinations.to")
            given = entry.get("messageId")
            destinations.append((str(entry["to"]).strip(), str(given) if given else None))
        if not destinations:
            raise ApiError(400, "Missing destinations")
    else:
        destinations = [(str(to).strip(), None) for to in as_list(spec.get("to"), "to")]
        if not destinations or not all(to for to, _ in destinations):
            raise ApiError(400, "Missing to")
    plan: dict[str, Any] = {
        "destinations": destinations,
        "from": str(spec["from"]) if spec.get("from") not in (None, "") else None,
        "notify_url": spec.get("notifyUrl") or None,
        "notify_content_type": spec.get("notifyContentType") or "application/json",
        "callback_data": spec.get("callbackData"),
        "flash": as_bool(spec.get("flash")),
        "binary": kind.binary,
        "extra": {},
    }
    if kind.binary:
        binary = spec.get("binary")
        if not isinstance(binary, dict) or not str(binary.get("hex") or "").strip():
            raise ApiError(400, "Missing binary.hex")
        plan["text"] = str(binary["hex"])
        plan["segments"] = binary_parts(plan["text"])
        plan["extra"] = {
            "dataCoding": as_int(binary.get("dataCoding", 0), "dataCoding"),
            "esmClass": as_int(binary.get("esmClass", 0), "esmClass"),
        }
    else:
        plan["text"] = str(spec.get("text") or "")
        plan["segments"] = segment_count(plan["text"])[0]
    language = spec.get("language")
    if isinstance(language, dict):
        plan["extra"]["language"] = {
            "languageCode": language.get("languageCode"),
            "singleShift": as_bool(language.get("singleShift")),
            "lockingShift": as_bool(language.get("lockingShift")),
        }
    if spec.get("transliteration"):
        plan["extra"]["transliteration"] = spec["transliteration"]
    validity = spec.get("validityPeriod")
    factor = VALIDITY_UNITS_MS.get(validity_unit, 1)
    plan["validity"] = (
        None
        if validity in (None, "")
        else min(as_int(validity, "validityPeriod") * factor, MAX_VALIDITY_MS)
    )
    send_at = spec.get("sendAt")
    plan["send_at"] = parse_date(str(send_at), "sendAt") if send_at else None
    return plan


def rejection(
    app: web.Application, account: Account, plan: dict[str, Any], to: str, message_id: str | None
) -> int | None:
    """Return why a destination is rejected (a status id), None to send it."""
    state = app[STATE_KEY]
    if message_id is not None and message_id in state.messages:
        return 23
    if plan["from"] is not None and not is_valid_sender(plan["from"]):
        return 11
    if not plan["binary"] and len(plan["text"]) > MAX_TEXT:
        return 25
    if not is_valid_number(to):
        return 8
    if round(plan["segments"] * account.price_per_segment, 5) > account.balance:
        return 12
    return None


async def send(request: web.Request, account: Account) -> web.Response:
    """Handle the five send endpoints."""
    kind = SEND_KINDS[request.path.removeprefix(BASE)]
    data = await read_body(request)
    specs = as_list(data.get("messages"), "messages") if kind.multi else [data]
    if not specs:
        raise ApiError(400, "Missing messages")
    plans = [plan_message(spec, kind, account.validity_period_unit) for spec in specs]
    state = request.app[STATE_KEY]
    given_bulk = data.get("bulkId") if kind.advanced else None
    bulk_id = str(given_bulk) if given_bulk else state.new_id()
    answers: list[dict[str, Any]] = []
    accepted: list[Message] = []
    rejected: list[Message] = []
    for plan in plans:
        for to, given_id in plan["destinations"]:
            reason = rejection(request.app, account, plan, to, given_id)
            message_id = given_id or state.new_id()
            values: dict[str, Any] = {
                "sender": plan["from"],
                "bulk_id": bulk_id,
                "channel": "binary" if kind.binary else "flash" if plan["flash"] else "sms",
                "notify_url": plan["notify_url"],
                "notify_content_type": plan["notify_content_type"],
                "callback_data": plan["callback_data"],
                "validity_period_ms": plan["validity"],
                "send_at": plan["send_at"],
                "extra": dict(plan["extra"]),
            }
            digits = to.removeprefix("+")
            if reason is None:
                message = state.create_message(
                    account, to=digits, text=plan["text"], message_id=message_id, **values
                )
                if kind.binary:
                    price = round(plan["segments"] * account.price_per_segment, 5)
                    account.balance = round(account.balance + message.price - price, 5)
                    message.segments, message.price, message.encoding = (
                        plan["segments"],
                        price,
                        "BINARY",
                    )
                accepted.append(message)
                status_id = kind.status
            else:
                status_id = reason
                if reason != 23:
                    values["extra"]["status_id"] = reason
                    message = Message(
                        id=message_id,
                        provider="infobip",
                        account_id=account.id,
                        to=digits,
                        text=plan["text"],
                        segments=plan["segments"],
                        currency=account.currency,
                        status="rejected",
                        outcome="rejected",
                        done_at=now_utc(),
                        **values,
                    )
                    state.messages[message.id] = message
                    rejected.append(message)
            answers.append(
                {
                    "to": to,
                    "status": status_object(status_id),
                    "smsCount": plan["segments"],
                    "messageId": message_id,
                }
            )
    body: dict[str, Any] = {}
    if given_bulk or len(answers) > 1:
        body["bulkId"] = bulk_id
    body["messages"] = answers
    response = respond(request, kind.root, body)
    for message in rejected:
        if not deliver_report(request.app, message):
            state.pending_reports["infobip"].append(message.id)
    accept(request.app, accepted)
    return response


# -- reports and logs ----------------------------------------------------------


def message_status(message: Message) -> tuple[int, int]:
    """Return (status id, error id) of a message."""
    status_id = message.extra.get("status_id", STATUS_BY_STATE.get(message.status, 21))
    error_id = message.extra.get("error_id", ERROR_BY_STATE.get(message.status, 0))
    return int(status_id), int(error_id)


def report_for(message: Message, *, log: bool = False) -> dict[str, Any]:
    """Return a message's SentSMSReport (or SentSMSLog with ``log``)."""
    status_id, error_id = message_status(message)
    report: dict[str, Any] = {
        "bulkId": message.bulk_id,
        "messageId": message.id,
        "to": message.to,
    }
    if log:
        report["from"] = message.sender
        report["text"] = message.text
    report["sentAt"] = format_date(message.sent_at)
    report["doneAt"] = format_date(message.done_at) if message.done_at else None
    report["smsCount"] = message.segments
    if log:
        network = network_of(message.to)
        report["mccmnc"] = network[2] if network else None
    report["price"] = {
        "pricePerMessage": round(message.price / max(message.segments, 1), 5),
        "currency": message.currency,
    }
    report["status"] = status_object(status_id)
    report["error"] = error_object(error_id)
    return {key: value for key, value in report.items() if value is not None}


def deliver_report(app: web.Application, message: Message) -> bool:
    """Push a final report to the message's notifyUrl; False when there is none."""
    if not message.notify_url:
        return False
    report = report_for(message)
    if message.callback_data is not None:
        report["callbackData"] = message.callback_data
    if "xml" in message.notify_content_type.lower():
        body = to_xml("SMSReportResponse", {"results": [report]}, frozenset({"results"}))
        content_type = "application/xml"
    else:
        body, content_type = json.dumps({"results": [report]}), "application/json"
    app[PUSHER_KEY].push(
        kind="delivery_report",
        provider="infobip",
        url=message.notify_url,
        body=body,
        content_type=content_type,
    )
    return True


async def reports(request: web.Request, account: Account) -> web.Response:
    """Serve queued delivery reports once."""
    state = request.app[STATE_KEY]
    limit = query_limit(request)
    bulk_id = request.query.get("bulkId")
    message_id = request.query.get("messageId")
    picked: list[Message] = []
    for queued in state.pending_reports["infobip"]:
        message = state.messages.get(queued)
        if (
            message is None
            or message.account_id != account.id
            or bulk_id not in (None, message.bulk_id)
            or message_id not in (None, message.id)
        ):
            continue
        picked.append(message)
        if len(picked) >= limit:
            break
    taken = {m.id for m in picked}
    state.pending_reports["infobip"] = [
        i for i in state.pending_reports["infobip"] if i not in taken
    ]
    return respond(
        request,
        "SMSReportResponse",
        {"results": [report_for(m) for m in picked]},
        flat=frozenset({"results"}),
    )


async def logs(request: web.Request, account: Account) -> web.Response:
    """Serve the logs of the last 48 hours, newest first."""
    state = request.app[STATE_KEY]
    limit = query_limit(request)
    sender, to = request.query.get("from"), request.query.get("to")
    bulk_ids, message_ids = query_list(request, "bulkId"), query_list(request, "messageId")
    general = request.query.get("generalStatus", "").strip().upper()
    since, until = query_date(request, "sentSince"), query_date(request, "sentUntil")
    mcc, mnc = request.query.get("mcc"), request.query.get("mnc")
    oldest = now_utc() - LOG_WINDOW
    results: list[dict[str, Any]] = []
    for message in state.messages_for(account):
        log = report_for(message, log=True)
        mccmnc = str(log.get("mccmnc", ""))
        if (
            message.sent_at < oldest
            or sender not in (None, message.sender)
            or to not in (None, message.to)
            or (bulk_ids and message.bulk_id not in bulk_ids)
            or (message_ids and message.id not in message_ids)
            or (general and log["status"]["groupName"] != general)
            or (since is not None and message.sent_at < since)
            or (until is not None and message.sent_at > until)
            or mcc not in (None, mccmnc[:3])
            or mnc not in (None, mccmnc[3:])
        ):
            continue
        results.append(log)
        if len(results) >= limit:
            break
    return respond(request, "SMSLogsResponse", {"results": results})


async def balance(request: web.Request, account: Account) -> web.Response:
    """Serve the account balance."""
    return respond(
        request, "AccountBalance", {"balance": account.balance, "currency": account.currency}
    )


# -- received messages ---------------------------------------------------------


def inbound_result(message: InboundMessage) -> dict[str, Any]:
    """Return a received message as the inbox serves it."""
    return {
        "messageId": message.id,
        "from": message.sender,
        "to": message.to,
        "text": message.text,
        "cleanText": message.clean_text,
        "keyword": message.keyword or "",
        "receivedAt": format_date(message.received_at),
        "smsCount": message.sms_count,
    }


async def inbox_reports(request: web.Request, account: Account) -> web.Response:
    """Serve received messages once, oldest first."""
    state = request.app[STATE_KEY]
    limit = query_limit(request)
    picked = [m for m in state.inbox if m.account_id == account.id][:limit]
    state.inbox = [m for m in state.inbox if m not in picked]
    return respond(request, "MOReportResponse", {"results": [inbound_result(m) for m in picked]})


async def inbox_logs(request: web.Request, account: Account) -> web.Response:
    """Serve received messages, newest first, as often as asked."""
    state = request.app[STATE_KEY]
    limit = query_limit(request)
    keyword = request.query.get("keyword", "").strip().upper()
    to = request.query.get("to")
    since = query_date(request, "receivedSince")
    until = query_date(request, "receivedUntil")
    results: list[dict[str, Any]] = []
    for message in reversed(state.inbox_log):
        own = (message.keyword or "").upper()
        if (
            message.account_id != account.id
            or (keyword == "NO_KEYWORD" and own)
            or (keyword not in ("", "NO_KEYWORD") and own != keyword)
            or to not in (None, message.to)
            or (since is not None and message.received_at < since)
            or (until is not None and message.received_at > until)
        ):
            continue
        results.append(inbound_result(message))
        if len(results) >= limit:
            break
    return respond(request, "MOLogsResponse", {"results": results})


def deliver_inbound(
    app: web.Application, account: Account, message: InboundMessage, mode: str
) -> list[str]:
    """Forward a received message to the account's URL and/or queue it for pulling."""
    done: list[str] = []
    push = mode in ("push", "both") or (mode == "auto" and bool(account.forward_url))
    if push and account.forward_url:
        app[PUSHER_KEY].push(
            kind="inbound",
            provider="infobip",
            url=account.forward_url,
            body=json.dumps({"results": [inbound_result(message)]}),
            content_type="application/json",
        )
        done.append("push")
    if mode in ("pull", "both") or (mode == "auto" and not account.forward_url):
        app[STATE_KEY].inbox.append(message)
        done.append("pull")
    return done


# -- Number Context ------------------------------------------------------------


def number_context(app: web.Application, number: str) -> dict[str, Any]:
    """Return the Number Context of a number (deterministic)."""
    digits = number.strip().removeprefix("+")
    valid = is_valid_number(number)
    outcome = app[NC_OUTCOMES_KEY].get(digits) or (
        outcome_for(digits) if valid else "undeliverable"
    )
    status_id, error_id = NC_BY_OUTCOME[outcome]
    network = network_of(number)
    result: dict[str, Any] = {"to": number}
    if network is not None:
        country_prefix, network_prefix, mccmnc = network
        if mccmnc is not None:
            result["mccMnc"] = mccmnc
            if status_id == 5:
                width = 15 - len(mccmnc)
                national = digits.removeprefix(country_prefix)
                result["imsi"] = mccmnc + national.rjust(width, "0")[-width:]
        result["originalNetwork"] = {
            "networkPrefix": network_prefix,
            "countryPrefix": country_prefix,
        }
    result["ported"] = False
    result["roaming"] = False
    result["status"] = status_object(status_id)
    result["error"] = error_object(error_id)
    return result


async def nc_numbers(request: web.Request) -> tuple[dict[str, Any], list[str]]:
    """Read a Number Context request and its numbers."""
    data = await read_body(request)
    numbers = [str(n).strip() for n in as_list(data.get("to"), "to")]
    if not numbers or not all(numbers):
        raise ApiError(400, "Missing to")
    return data, numbers


async def nc_query(request: web.Request, account: Account) -> web.Response:
    """Answer a synchronous Number Context lookup."""
    _, numbers = await nc_numbers(request)
    results = [number_context(request.app, n) for n in numbers]
    body: dict[str, Any] = {}
    if len(numbers) > 1:
        body["bulkId"] = request.app[STATE_KEY].new_id()
    if wants_xml(request):
        body["ncResults"] = results
    else:
        body["results"] = results
    return respond(request, "NCResponse", body)


async def nc_notify(request: web.Request, account: Account) -> web.Response:
    """Accept an asynchronous Number Context lookup and push its results."""
    data, numbers = await nc_numbers(request)
    state = request.app[STATE_KEY]
    notify_url = str(data.get("notifyUrl") or "") or None
    content_type = str(data.get("notifyContentType") or "application/json")
    bulk_id = state.new_id() if len(numbers) > 1 else None
    answers: list[dict[str, Any]] = []
    pushed: list[dict[str, Any]] = []
    for number in numbers:
        if not number.removeprefix("+").isdigit():
            answers.append({"to": number, "status": status_object(52)})
            continue
        message_id = state.new_id()
        status_id = 3
        if is_valid_number(number):
            result = number_context(request.app, number)
            pushed.append(result)
            state.number_context_requests[message_id] = {
                "account_id": account.id,
                "bulk_id": bulk_id,
                "to": number,
                "notify_url": notify_url,
                "result": result,
            }
        else:
            status_id = 14
        answers.append({"to": number, "status": status_object(status_id), "messageId": message_id})
    body: dict[str, Any] = {"bulkId": bulk_id} if bulk_id else {}
    body["ncResults"] = answers
    response = respond(request, "NCResponseAsync", body)
    if notify_url and pushed:
        if "xml" in content_type.lower():
            text, content_type = to_xml("NCResponse", {"ncResults": pushed}), "application/xml"
        else:
            text, content_type = json.dumps({"ncResults": pushed}), "application/json"
        request.app[PUSHER_KEY].push(
            kind="number_context",
            provider="infobip",
            url=notify_url,
            body=text,
            content_type=content_type,
            delay=state.report_delay,
        )
    return response


# -- routes --------------------------------------------------------------------


def setup(app: web.Application) -> None:
    """Add the Infobip-v1 style routes and hooks."""
    app[NC_OUTCOMES_KEY] = {}
    for path in SEND_KINDS:
        app.router.add_post(BASE + path, endpoint(send))
    app.router.add_get(BASE + "/reports", endpoint(reports))
    app.router.add_get(BASE + "/logs", endpoint(logs))
    app.router.add_get("/restapi/account/1/balance", endpoint(balance))
    app.router.add_get(BASE + "/inbox/reports", endpoint(inbox_reports))
    app.router.add_get(BASE + "/inbox/logs", endpoint(inbox_logs))
    app.router.add_post("/restapi/number/1/query", endpoint(nc_query))
    app.router.add_post("/restapi/number/1/notify", endpoint(nc_notify))
    app[REPORT_HOOKS_KEY]["infobip"] = deliver_report
    app[INBOUND_HOOKS_KEY]["infobip"] = deliver_inbound
