"""Infobip-v1 style SMS API client (``infobip-v1-style-sms-api.md``).

Every method of the document is here: text and binary sends (single, multi,
advanced), one time delivery reports and sent message logs, the account
balance, received messages (pulled once, or logs), and Number Context lookups
(synchronous and asynchronous). HTTP Basic auth ``username:password``; JSON
requests and answers. What we chose where the document is silent or
contradicts itself:

* **Sending** (``send``) uses ``POST /restapi/sms/1/text/advanced``: one
  message whose ``destinations`` each carry *our* ``messageId`` (the
  caller's ``client_message_ids``, else a fresh ``uuid4().hex`` each). The
  provider refuses a ``messageId`` it already knows (status 23
  ``REJECTED_DUPLICATE_MESSAGE_ID``), so resending after an ambiguous failure
  with the same ids can never send twice (``idempotent_send``). The result
  of such a duplicate has ``error="duplicate_message_id"``.
* **Batches**: the document sets no limit on ``destinations``; we send at
  most 500 per request.
* **Numbers** go out as digits without ``+`` (``41793026727``), the
  document's "international format"; numbers read back are E.164 where they
  parse. ``to`` is always an array, even for one destination.
* **Statuses** are normalised through the document's tables: a known status
  ``id`` decides its group (the id wins over a contradicting ``groupId``, as
  in the ``binary/multi`` example answering ``"groupId": 7`` for
  ``PENDING_ENROUTE``), else a known status ``name`` (the asynchronous Number
  Context example's id 52 ``REJECTED_DESTINATION``), else ``groupId``, else
  ``groupName`` (``Queue/Accepted`` in one example means ACCEPTED). Nothing
  known -> ``unknown``. Status id 0 ``MESSAGE_ACCEPTED`` (every send answer)
  is missing from the status table and added here. An accepted message with
  a ``sendAt`` in the future is ``scheduled``.
* **Rejections** (group 5) set the result's ``error``:
  ``REJECTED_NOT_ENOUGH_CREDITS`` and ``REJECTED_PREPAID_PACKAGE_EXPIRED``
  ("Top-Up your account") -> ``insufficient_balance``; prefix missing,
  destination blacklisted / not registered / on DND -> ``invalid_recipient``;
  duplicate message id -> ``duplicate_message_id``; any other ->
  ``rejected``. Undeliverable or expired answers carry no ``error`` (they are
  delivery outcomes, ``accepted`` is already false for undeliverable).
* **Errors**: ``permanent`` comes from the error object, else from the GSM
  error table (its ``NULL`` is false). ``NO_ERROR`` (id 0) is not kept as an
  error name. Error and status descriptions fall back to the tables.
* **Non-200 answers** other than 401/403/429/5xx (handled by the base class):
  Infobip's ``{"requestError": {"serviceException": {"messageId", "text"}}}``
  envelope (not in the document) becomes an InvalidRequestError with its
  text (credentials are scrubbed from it); 404/405 without that envelope mean
  a wrong API address (ProtocolError).
* **Dates** are read in ``yyyy-MM-dd'T'HH:mm:ss.SSSZ`` (``+0100``) and the
  ``...XXX`` (``+01:00``, ``Z``) variants; a date without offset is UTC; an
  unreadable date is dropped (None), not an error. Dates we send (``sendAt``,
  ``sentSince`` ...) are ``2015-07-07T17:00:00.000+01:00`` as in the
  document's examples, in the datetime's own offset (UTC when naive).
* **validityPeriod** is never sent: the integration has no SMS validity,
  and the two copies of the document disagree on its unit (milliseconds,
  example ``86400000``, in the ``107.20.199.106`` copy; minutes, example
  ``720``, in the ``api.shortlink.pro`` copy). Should it ever be sent, its
  unit must follow the document of the configured host.
  ``transliteration`` and ``languageCode`` are upper-cased
  and passed on (the document's value lists may not be exhaustive);
  ``languageCode`` goes in a ``language`` object as in the example (the
  parameter table lists it flat). ``notifyContentType`` is always JSON;
  ``callbackData`` is sent whenever given.
* **Prices**: ``pricePerMessage`` is the price of one SMS part ("One Long SMS
  that consists of two SMS counts as two SMS"); a report's ``price`` is it
  times ``smsCount``. The send answer has no price.
* **Sent message logs** accept several ``bulkId`` / ``messageId`` values,
  comma-joined as in the document's example.
* **Number Context**: the synchronous answer's list is ``results`` in the
  reference but ``ncResults`` in "Getting started" (and the asynchronous
  answer and push): both are read. A number is ``valid`` when its status is
  delivered / pending / accepted, or undeliverable / expired with a
  non-permanent error (an absent subscriber exists); rejected, a permanent
  error (unknown subscriber) or an unknown status -> not valid. ``network`` is
  the ported network's name when ported, else the original one's.
* **Headers**: ``Accept: application/json`` and ``Content-Type:
  application/json`` on every request, GETs included: "If the Content-Type is
  not specified you will receive a General error", although the document's
  GET examples send none.
* **Webhooks**: ``parse_delivery_reports`` reads the ``notifyUrl`` push
  (``{"results": [...]}`` with ``callbackData``), ``parse_inbound_messages``
  the forwarded received messages (the same shape as ``inbox/reports``),
  ``parse_number_context`` the asynchronous Number Context push. JSON only.
* An empty ``keyword`` of a received message is None.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
import json
import logging
from typing import Any, ClassVar
import uuid

from aiohttp import ClientSession, encode_basic_auth
from yarl import URL

from .base import DEFAULT_TIMEOUT, ProviderClient, RawResponse, mask_secrets, short_digest
from .errors import InvalidRequestError, ProtocolError, ProviderError, Reason
from .models import (
    Balance,
    Capabilities,
    Channel,
    DeliveryReport,
    DeliveryStatus,
    Encoding,
    InboundMessage,
    NumberInfo,
    OutgoingMessage,
    SendResult,
    StatusDetail,
)
from .parse import as_dict, as_float, as_int, as_list, as_opt_dict, as_text, shape_error
from .phone import digits, from_provider, region_of
from .text import analyze

PROVIDER = "infobip"
_LOGGER = logging.getLogger(__name__)

TEXT_SINGLE_PATH = "/restapi/sms/1/text/single"
TEXT_MULTI_PATH = "/restapi/sms/1/text/multi"
TEXT_ADVANCED_PATH = "/restapi/sms/1/text/advanced"
BINARY_SINGLE_PATH = "/restapi/sms/1/binary/single"
BINARY_MULTI_PATH = "/restapi/sms/1/binary/multi"
REPORTS_PATH = "/restapi/sms/1/reports"
LOGS_PATH = "/restapi/sms/1/logs"
BALANCE_PATH = "/restapi/account/1/balance"
INBOX_REPORTS_PATH = "/restapi/sms/1/inbox/reports"
INBOX_LOGS_PATH = "/restapi/sms/1/inbox/logs"
NUMBER_QUERY_PATH = "/restapi/number/1/query"
NUMBER_NOTIFY_PATH = "/restapi/number/1/notify"

JSON_TYPE = "application/json"
MAX_BATCH_SIZE = 500

# -- the document's tables ----------------------------------------------------

# Status groups: id -> (name, description, normalised status).
STATUS_GROUPS: dict[int, tuple[str, str, DeliveryStatus]] = {
    0: ("ACCEPTED", "Message is accepted.", DeliveryStatus.ACCEPTED),
    1: ("PENDING", "Message is in pending status.", DeliveryStatus.PENDING),
    2: ("UNDELIVERABLE", "Message is undeliverable.", DeliveryStatus.UNDELIVERABLE),
    3: ("DELIVERED", "Message is delivered.", DeliveryStatus.DELIVERED),
    4: ("EXPIRED", "Message is expired.", DeliveryStatus.EXPIRED),
    5: ("REJECTED", "Message is rejected.", DeliveryStatus.REJECTED),
}

# Group names as they appear in answers -> group id ("Queue/Accepted": one example).
GROUP_NAMES: dict[str, int] = {
    **{name: group_id for group_id, (name, _, _) in STATUS_GROUPS.items()},
    "QUEUE/ACCEPTED": 0,
}

# Statuses: id -> (group id, name, description, action). Id 0 is every send
# answer's status, missing from the document's table.
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
}

# Status name -> group id (names are unique in the table).
STATUS_NAMES: dict[str, int] = {name: group for group, name, _, _ in STATUSES.values()}

# Error groups: id -> (name, description).
ERROR_GROUPS: dict[int, tuple[str, str]] = {
    0: ("OK", "No error."),
    1: ("HANDSET_ERRORS", "Handset error occurred."),
    2: ("USER_ERRORS", "User error occurred."),
    3: ("OPERATOR_ERRORS", "Operator error occurred."),
}

# GSM error codes: id -> (short description, is permanent); the table's NULL is None.
GSM_ERRORS: dict[int, tuple[str, bool | None]] = {
    0: ("NO_ERROR", None),
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

# Rejection status name -> SendResult error key (others: "rejected").
REJECTION_ERRORS: dict[str, str] = {
    "REJECTED_NOT_ENOUGH_CREDITS": "insufficient_balance",
    "REJECTED_PREPAID_PACKAGE_EXPIRED": "insufficient_balance",
    "REJECTED_PREFIX_MISSING": "invalid_recipient",
    "REJECTED_DESTINATION": "invalid_recipient",
    "REJECTED_DESTINATION_NOT_REGISTERED": "invalid_recipient",
    "REJECTED_DND": "invalid_recipient",
    "REJECTED_DUPLICATE_MESSAGE_ID": "duplicate_message_id",
}
DUPLICATE_MESSAGE_ID = "duplicate_message_id"

# ``generalStatus`` filter values of the logs (the status group names).
GENERAL_STATUSES = frozenset(name for name, _, _ in STATUS_GROUPS.values())

# -- typed answers beyond the shared models -------------------------------------


@dataclass(frozen=True, slots=True)
class SendResponse:
    """The answer to a send: the provider's bulk id and one result per destination."""

    bulk_id: str | None
    results: list[SendResult]


@dataclass(frozen=True, slots=True)
class TextMessage:
    """One text of a ``text/multi`` request (recipients in E.164)."""

    recipients: tuple[str, ...]
    text: str
    sender: str | None = None


@dataclass(frozen=True, slots=True)
class BinaryMessage:
    """One binary message (``binary/single`` or one of ``binary/multi``).

    ``hex`` is the payload as hex digits (spaces allowed); it is sent as
    space separated byte pairs (``"0f c2 4a"``) as the document asks.
    """

    recipients: tuple[str, ...]
    hex: str
    data_coding: int = 0
    esm_class: int = 0
    sender: str | None = None


@dataclass(frozen=True, slots=True)
class SentMessageLog:
    """One entry of the sent message logs: the report plus what was sent."""

    report: DeliveryReport
    sender: str | None
    text: str | None


@dataclass(frozen=True, slots=True)
class NumberContextRequest:
    """One number of an asynchronous Number Context request, as accepted."""

    number: str
    status: StatusDetail
    message_id: str | None = None


@dataclass(frozen=True, slots=True)
class NumberContextResponse:
    """The answer to an asynchronous Number Context request."""

    bulk_id: str | None
    requests: list[NumberContextRequest]


# -- helpers ----------------------------------------------------------------------


def _number(value: Any) -> str | None:
    """Return the E.164 form of a number the answer gives (digits, maybe ``+``)."""
    text = as_text(value)
    return from_provider(text) if text else None


def parse_date(value: Any) -> datetime | None:
    """Read ``2015-02-12T09:51:43.123+0100`` (or ``+01:00``, ``Z``); naive = UTC."""
    text = as_text(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def format_date(value: datetime) -> str:
    """Write ``2015-07-07T17:00:00.000+01:00`` (naive = UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat(timespec="milliseconds")


def _group_of(status: Mapping[str, Any]) -> int | None:
    status_id = as_int(status.get("id"))
    if status_id is not None and status_id in STATUSES:
        return STATUSES[status_id][0]
    name = as_text(status.get("name"))
    if name is not None and name.upper() in STATUS_NAMES:
        return STATUS_NAMES[name.upper()]
    group_id = as_int(status.get("groupId"))
    if group_id is not None and group_id in STATUS_GROUPS:
        return group_id
    group_name = as_text(status.get("groupName"))
    return GROUP_NAMES.get(group_name.upper()) if group_name else None


def normalize_status(status_obj: Any, error_obj: Any = None) -> StatusDetail:
    """Map a Status (and Error) object of the document to a StatusDetail."""
    status = as_opt_dict(status_obj, PROVIDER, "status")
    error = as_opt_dict(error_obj, PROVIDER, "error")
    group = _group_of(status)
    normalised = STATUS_GROUPS[group][2] if group is not None else DeliveryStatus.UNKNOWN
    status_id = as_int(status.get("id"))
    known = STATUSES.get(status_id) if status_id is not None else None
    provider_status = as_text(status.get("name")) or (known[1] if known else None)
    if provider_status is None and status_id is not None:
        provider_status = str(status_id)
    description = as_text(status.get("description")) or (known[2] if known else None)

    error_id = as_int(error.get("id"))
    gsm = GSM_ERRORS.get(error_id) if error_id is not None else None
    error_name = as_text(error.get("name")) or (gsm[0] if gsm else None)
    if error_name is None and error_id is not None:
        error_name = str(error_id)
    error_description = as_text(error.get("description"))
    permanent_value = error.get("permanent")
    if isinstance(permanent_value, bool):
        permanent = permanent_value
    else:
        permanent = bool(gsm[1]) if gsm else False
    if error_id == 0 or error_name == "NO_ERROR":
        error_name = error_description = None
    return StatusDetail(
        status=normalised,
        provider_status=provider_status,
        description=description,
        error_name=error_name,
        error_description=error_description,
        permanent=permanent,
    )


def rejection_error(detail: StatusDetail) -> str | None:
    """Return the SendResult error key of a rejected status, None otherwise."""
    if detail.status is not DeliveryStatus.REJECTED:
        return None
    return REJECTION_ERRORS.get((detail.provider_status or "").upper(), "rejected")


def _price(entry: Mapping[str, Any], segments: int | None) -> tuple[float | None, str | None]:
    price = as_opt_dict(entry.get("price"), PROVIDER, "price")
    per_message = as_float(price.get("pricePerMessage"))
    total = None if per_message is None else round(per_message * (segments or 1), 6)
    return total, as_text(price.get("currency"))


def _report(entry: Any) -> DeliveryReport:
    data = as_dict(entry, PROVIDER, "a report")
    message_id = as_text(data.get("messageId"))
    if message_id is None:
        raise shape_error(PROVIDER, "a report without messageId")
    segments = as_int(data.get("smsCount"))
    price, currency = _price(data, segments)
    mccmnc = as_text(data.get("mccmnc")) or as_text(data.get("mccMnc"))
    callback = data.get("callbackData")
    return DeliveryReport(
        message_id=message_id,
        status=normalize_status(data.get("status"), data.get("error")),
        recipient=_number(data.get("to")),
        sent_at=parse_date(data.get("sentAt")),
        done_at=parse_date(data.get("doneAt")),
        segments=segments,
        price=price,
        currency=currency,
        bulk_id=as_text(data.get("bulkId")),
        callback_data=None if callback is None else str(callback),
        mcc=mccmnc[:3] if mccmnc else None,
        mnc=(mccmnc[3:] or None) if mccmnc else None,
    )


def _inbound(entry: Any) -> InboundMessage:
    data = as_dict(entry, PROVIDER, "a received message")
    message_id = as_text(data.get("messageId"))
    sender = as_text(data.get("from"))
    text = data.get("text")
    if message_id is None or sender is None or not isinstance(text, str):
        raise shape_error(PROVIDER, "a received message without messageId, from or text")
    clean = data.get("cleanText")
    return InboundMessage(
        message_id=message_id,
        sender=from_provider(sender),
        text=text,
        recipient=_number(data.get("to")),
        keyword=as_text(data.get("keyword")),
        clean_text=clean if isinstance(clean, str) else None,
        received_at=parse_date(data.get("receivedAt")),
        segments=as_int(data.get("smsCount")),
    )


_VALID_WHEN = frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.PENDING, DeliveryStatus.ACCEPTED})


def _number_info(entry: Any) -> NumberInfo:
    data = as_dict(entry, PROVIDER, "a Number Context result")
    number = _number(data.get("to"))
    if number is None:
        raise shape_error(PROVIDER, "a Number Context result without to")
    status = normalize_status(data.get("status"), data.get("error"))
    valid = status.status in _VALID_WHEN or (
        status.status in (DeliveryStatus.UNDELIVERABLE, DeliveryStatus.EXPIRED)
        and not status.permanent
    )
    original = as_opt_dict(data.get("originalNetwork"), PROVIDER, "originalNetwork")
    ported_network = as_opt_dict(data.get("portedNetwork"), PROVIDER, "portedNetwork")
    ported = data.get("ported")
    roaming = data.get("roaming")
    network = (as_text(ported_network.get("networkName")) if ported is True else None) or as_text(
        original.get("networkName")
    )
    mccmnc = as_text(data.get("mccMnc")) or as_text(data.get("mccmnc"))
    return NumberInfo(
        number=number,
        valid=valid,
        status=status,
        country=region_of(number) if number.startswith("+") else None,
        country_prefix=as_text(original.get("countryPrefix")),
        network=network,
        mcc=mccmnc[:3] if mccmnc else None,
        mnc=(mccmnc[3:] or None) if mccmnc else None,
        ported=ported if isinstance(ported, bool) else None,
        roaming=roaming if isinstance(roaming, bool) else None,
    )


def _results(payload: Any, key: str = "results") -> list[Any]:
    return as_list(as_dict(payload, PROVIDER, "the answer").get(key), PROVIDER, key)


def _entry_id(entry: Any) -> str:
    """Name an entry in a log line by its provider id: never its text or numbers."""
    message_id = as_text(entry.get("messageId")) if isinstance(entry, dict) else None
    return repr(message_id[:64]) if message_id else "without messageId"


def _each[T](entries: list[Any], parse: Callable[[Any], T], what: str, *, skip: bool) -> list[T]:
    """Parse each entry; with ``skip``, one that cannot be read is logged and left out.

    Without ``skip`` the first unreadable entry raises ProtocolError.
    """
    if not skip:
        return [parse(entry) for entry in entries]
    parsed: list[T] = []
    for index, entry in enumerate(entries):
        try:
            parsed.append(parse(entry))
        except ProtocolError as err:
            _LOGGER.warning(
                "%s: skipped an unreadable %s (entry %d, %s): %s",
                PROVIDER,
                what,
                index,
                _entry_id(entry),
                err,
            )
    return parsed


def parse_delivery_reports(payload: Any, *, skip_unreadable: bool = False) -> list[DeliveryReport]:
    """Parse delivery reports: a ``notifyUrl`` push or a ``reports`` answer.

    ``{"results": [SentSMSReport + "callbackData"]}``; raises ProtocolError on
    any other shape. With ``skip_unreadable`` (a pull: each report is served
    once) an entry that cannot be read is logged at WARNING with its
    ``messageId`` and skipped, so that it does not cost the others.
    """
    return _each(_results(payload), _report, "delivery report", skip=skip_unreadable)


def parse_sent_logs(payload: Any) -> list[SentMessageLog]:
    """Parse a ``logs`` answer ``{"results": [SentSMSLog]}``."""
    logs: list[SentMessageLog] = []
    for entry in _results(payload):
        report = _report(entry)
        logs.append(
            SentMessageLog(
                report=report, sender=as_text(entry.get("from")), text=as_text(entry.get("text"))
            )
        )
    return logs


def parse_inbound_messages(payload: Any, *, skip_unreadable: bool = False) -> list[InboundMessage]:
    """Parse received messages: a forward push or an ``inbox/reports`` / ``logs`` answer.

    ``{"results": [{"messageId", "from", "to", "text", "cleanText",
    "keyword", "receivedAt", "smsCount"}]}``; raises ProtocolError on any
    other shape. With ``skip_unreadable`` (a pull: each message is served
    once) a message that cannot be read (a withheld sender, no text...) is
    logged at WARNING with its ``messageId`` - never its text or numbers -
    and skipped, so that it does not cost the others.
    """
    return _each(_results(payload), _inbound, "received message", skip=skip_unreadable)


def parse_number_context(payload: Any) -> list[NumberInfo]:
    """Parse Number Context results (``results`` or ``ncResults``; sync answer or push)."""
    data = as_dict(payload, PROVIDER, "the answer")
    key = "results" if "results" in data else "ncResults"
    return [_number_info(entry) for entry in as_list(data.get(key), PROVIDER, key)]


def _hex(payload: str) -> str:
    """Return hex digits as space separated byte pairs, or raise InvalidRequestError."""
    try:
        raw = bytes.fromhex("".join(payload.split()))
    except ValueError:
        raise InvalidRequestError(
            "The binary payload is not hexadecimal", provider_code=Reason.HEX
        ) from None
    if not raw:
        raise InvalidRequestError("The binary payload is empty", provider_code=Reason.HEX)
    return raw.hex(" ")


def _check_recipients(recipients: Sequence[str]) -> None:
    if not recipients:
        raise InvalidRequestError(
            "A message needs at least one recipient", provider_code=Reason.NO_RECIPIENT
        )


# -- the client -------------------------------------------------------------------


class InfobipClient(ProviderClient):
    """Client of an Infobip-v1 style SMS API."""

    provider = PROVIDER
    display_name = "Infobip-compatible SMS API"
    default_url = "https://api.shortlink.pro"
    capabilities: ClassVar[Capabilities] = Capabilities(
        text=True,
        flash=True,
        batch=True,
        max_batch_size=MAX_BATCH_SIZE,
        scheduling=True,
        balance=True,
        balance_unit="currency",
        delivery_reports_push=True,
        delivery_reports_pull=True,
        inbound_push=True,
        inbound_pull=True,
        number_lookup=True,
        idempotent_send=True,
        sender_rules="alphanumeric",
    )

    def __init__(
        self,
        session: ClientSession,
        *,
        username: str,
        password: str,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Create the client."""
        super().__init__(session, base_url=base_url, timeout=timeout)
        self._username = username
        self._password = password
        self._authorization = encode_basic_auth(username, password)

    # -- plumbing ---------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> Any:
        """Make a request and return its decoded JSON answer."""
        # "If the Content-Type is not specified you will receive a General
        # error": on every request, GETs included (whose examples show none).
        headers = {
            "Accept": JSON_TYPE,
            "Content-Type": JSON_TYPE,
            "Authorization": self._authorization,
        }
        raw = await self._request(method, path, params=params, json_body=body, headers=headers)
        if not 200 <= raw.status < 300:
            raise self._refusal(raw)
        return self._json(raw)

    @classmethod
    def parse_push(
        cls, query: Mapping[str, str], body: bytes, fields: Mapping[str, Any]
    ) -> tuple[list[DeliveryReport], list[InboundMessage]]:
        """Parse a ``notifyUrl`` push: delivery reports, or forwarded inbound SMS.

        Both come as JSON ``{"results": [...]}``; entries that all carry a
        ``status`` are delivery reports.
        """
        payload = json.loads(body.decode("utf-8"))
        results = payload.get("results") if isinstance(payload, dict) else None
        if not isinstance(results, list) or not results:
            raise ProtocolError("no results")
        if all(isinstance(item, dict) and "status" in item for item in results):
            return parse_delivery_reports(payload), []
        return [], parse_inbound_messages(payload)

    def _scrub(self, text: str) -> str:
        return mask_secrets(text, self._password, self._username)

    def _refusal(self, raw: RawResponse) -> ProviderError:
        """Turn a 4xx answer into an error (the requestError envelope if any)."""
        text = code = None
        try:
            data = json.loads(raw.body.decode("utf-8", errors="replace"))
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("requestError"), dict):
            exception = data["requestError"].get("serviceException")
            if isinstance(exception, dict):
                text = as_text(exception.get("text"))
                code = as_text(exception.get("messageId"))
        if text is None and raw.status in (404, 405):
            return self.wrong_address(raw.status)
        detail = self._scrub(text) if text else f"HTTP {raw.status}"
        return InvalidRequestError(
            f"{PROVIDER} refused the request: {detail}",
            provider_code=self._scrub(code) if code else str(raw.status),
        )

    # -- the interface ------------------------------------------------------------

    def account_title(self) -> str:
        """Return the title: the username is a credential, the title names the API host only."""
        return f"Infobip ({self._host()})"

    def account_id(self) -> str:
        """Return the account's id: the API host and the username's digest."""
        return f"{PROVIDER}:{self._host()}:{short_digest(self._username)}"

    def _host(self) -> str:
        return (URL(self._base_url).host or self._base_url).lower()

    async def get_balance(self) -> Balance:
        """Return the account balance (``GET /restapi/account/1/balance``)."""
        data = as_dict(await self._call("GET", BALANCE_PATH), PROVIDER, "the answer")
        amount = as_float(data.get("balance"))
        if amount is None:
            raise shape_error(PROVIDER, "balance is not a number")
        return Balance(amount=amount, currency=as_text(data.get("currency")))

    async def _send_batch(self, message: OutgoingMessage) -> list[SendResult]:
        ids = message.client_message_ids or tuple(uuid.uuid4().hex for _ in message.recipients)
        spec: dict[str, Any] = {}
        sender = self.checked_sender(message.sender)
        if sender:
            spec["from"] = sender
        spec["destinations"] = [
            {"to": digits(recipient), "messageId": message_id}
            for recipient, message_id in zip(message.recipients, ids, strict=True)
        ]
        spec["text"] = message.text
        if message.channel is Channel.FLASH:
            spec["flash"] = True
        if message.transliteration:
            spec["transliteration"] = message.transliteration.strip().upper()
        if message.language_code:
            spec["language"] = {"languageCode": message.language_code.strip().upper()}
        if message.notify_url:
            spec["notifyUrl"] = message.notify_url
            spec["notifyContentType"] = JSON_TYPE
        if message.callback_data is not None:
            spec["callbackData"] = message.callback_data
        if message.send_at is not None:
            spec["sendAt"] = format_date(message.send_at)
        body: dict[str, Any] = {}
        if message.bulk_id:
            body["bulkId"] = message.bulk_id
        body["messages"] = [spec]
        data = await self._call("POST", TEXT_ADVANCED_PATH, body=body)
        info = analyze(message.text)
        scheduled = message.send_at is not None and _aware(message.send_at) > datetime.now(UTC)
        results = self._results(
            data,
            [(r, i) for r, i in zip(message.recipients, ids, strict=True)],
            encoding=info.encoding,
            segments=info.segments,
            channel=message.channel,
            scheduled=scheduled,
        ).results
        if message.notify_url:
            # Every message of the request reports to its notifyUrl.
            results = [replace(r, report_pushed=True) for r in results]
        return results

    def _results(
        self,
        payload: Any,
        destinations: Sequence[tuple[str, str | None]],
        *,
        encoding: Encoding | Sequence[Encoding],
        segments: int | Sequence[int],
        channel: Channel = Channel.SMS,
        scheduled: bool = False,
    ) -> SendResponse:
        """Match the answer's ``messages`` to our (recipient, message id) list."""
        data = as_dict(payload, PROVIDER, "the answer")
        entries = [
            as_dict(e, PROVIDER, "a messages entry")
            for e in as_list(data.get("messages"), PROVIDER, "messages")
        ]
        by_id: dict[str, int] = {}
        by_to: dict[str, list[int]] = {}
        for slot, entry in enumerate(entries):
            answered_id = as_text(entry.get("messageId"))
            if answered_id is not None:
                by_id.setdefault(answered_id, slot)
            to = "".join(ch for ch in str(entry.get("to") or "") if ch.isdigit())
            by_to.setdefault(to, []).append(slot)
        used: set[int] = set()
        results: list[SendResult] = []
        for position, (recipient, message_id) in enumerate(destinations):
            index: int | None = by_id.get(message_id) if message_id is not None else None
            if index is None or index in used:
                index = next((i for i in by_to.get(digits(recipient), []) if i not in used), None)
            enc = encoding if isinstance(encoding, Encoding) else encoding[position]
            seg = segments if isinstance(segments, int) else segments[position]
            if index is None:
                results.append(
                    SendResult(
                        recipient=recipient,
                        status=StatusDetail(
                            DeliveryStatus.UNKNOWN, description="Missing from the answer"
                        ),
                        message_id=message_id,
                        segments=seg,
                        encoding=enc,
                        channel=channel,
                        error="protocol",
                    )
                )
                continue
            used.add(index)
            entry = entries[index]
            detail = normalize_status(entry.get("status"), entry.get("error"))
            if scheduled and detail.status is DeliveryStatus.ACCEPTED:
                detail = StatusDetail(
                    DeliveryStatus.SCHEDULED,
                    provider_status=detail.provider_status,
                    description=detail.description,
                )
            results.append(
                SendResult(
                    recipient=recipient,
                    status=detail,
                    message_id=as_text(entry.get("messageId")) or message_id,
                    segments=as_int(entry.get("smsCount")) or seg,
                    encoding=enc,
                    channel=channel,
                    error=rejection_error(detail),
                )
            )
        return SendResponse(bulk_id=as_text(data.get("bulkId")), results=results)

    # -- the document's other send methods ---------------------------------------

    async def send_text_single(
        self, recipients: Sequence[str], text: str, *, sender: str | None = None
    ) -> SendResponse:
        """Send one text to one or more E.164 numbers (``text/single``)."""
        _check_recipients(recipients)
        body: dict[str, Any] = {}
        if (checked := self.checked_sender(sender)) is not None:
            body["from"] = checked
        body["to"] = [digits(r) for r in recipients]
        body["text"] = text
        data = await self._call("POST", TEXT_SINGLE_PATH, body=body)
        info = analyze(text)
        return self._results(
            data,
            [(r, None) for r in recipients],
            encoding=info.encoding,
            segments=info.segments,
        )

    async def send_text_multi(self, messages: Sequence[TextMessage]) -> SendResponse:
        """Send several texts in one request (``text/multi``)."""
        if not messages:
            raise InvalidRequestError("No messages to send", provider_code=Reason.NO_MESSAGES)
        specs: list[dict[str, Any]] = []
        destinations: list[tuple[str, str | None]] = []
        encodings: list[Encoding] = []
        segments: list[int] = []
        for message in messages:
            _check_recipients(message.recipients)
            spec: dict[str, Any] = {}
            if (checked := self.checked_sender(message.sender)) is not None:
                spec["from"] = checked
            spec["to"] = [digits(r) for r in message.recipients]
            spec["text"] = message.text
            specs.append(spec)
            info = analyze(message.text)
            for recipient in message.recipients:
                destinations.append((recipient, None))
                encodings.append(info.encoding)
                segments.append(info.segments)
        data = await self._call("POST", TEXT_MULTI_PATH, body={"messages": specs})
        return self._results(data, destinations, encoding=encodings, segments=segments)

    def _binary_spec(self, message: BinaryMessage) -> dict[str, Any]:
        _check_recipients(message.recipients)
        spec: dict[str, Any] = {}
        if (checked := self.checked_sender(message.sender)) is not None:
            spec["from"] = checked
        spec["to"] = [digits(r) for r in message.recipients]
        spec["binary"] = {
            "hex": _hex(message.hex),
            "dataCoding": message.data_coding,
            "esmClass": message.esm_class,
        }
        return spec

    async def send_binary_single(self, message: BinaryMessage) -> SendResponse:
        """Send one binary message to one or more numbers (``binary/single``)."""
        data = await self._call("POST", BINARY_SINGLE_PATH, body=self._binary_spec(message))
        return self._results(
            data,
            [(r, None) for r in message.recipients],
            encoding=_binary_encoding(message),
            segments=1,
        )

    async def send_binary_multi(self, messages: Sequence[BinaryMessage]) -> SendResponse:
        """Send several binary messages in one request (``binary/multi``)."""
        if not messages:
            raise InvalidRequestError("No messages to send", provider_code=Reason.NO_MESSAGES)
        specs = [self._binary_spec(m) for m in messages]
        destinations = [(r, None) for m in messages for r in m.recipients]
        encodings = [_binary_encoding(m) for m in messages for _ in m.recipients]
        data = await self._call("POST", BINARY_MULTI_PATH, body={"messages": specs})
        return self._results(data, destinations, encoding=encodings, segments=1)

    # -- reports and logs ----------------------------------------------------------

    async def fetch_delivery_reports(
        self,
        *,
        limit: int | None = None,
        bulk_id: str | None = None,
        message_id: str | None = None,
    ) -> list[DeliveryReport]:
        """Return delivery reports not fetched before (``GET reports``; each once)."""
        params = _params(limit=limit, bulkId=bulk_id, messageId=message_id)
        data = await self._call("GET", REPORTS_PATH, params=params)
        # Served once: an unreadable report is skipped, not the whole answer.
        return parse_delivery_reports(data, skip_unreadable=True)

    async def get_logs(
        self,
        *,
        sender: str | None = None,
        to: str | None = None,
        bulk_ids: Iterable[str] | None = None,
        message_ids: Iterable[str] | None = None,
        general_status: str | None = None,
        sent_since: datetime | None = None,
        sent_until: datetime | None = None,
        limit: int | None = None,
        mcc: str | None = None,
        mnc: str | None = None,
    ) -> list[SentMessageLog]:
        """Return sent message logs of the last 48 hours (``GET logs``), filtered.

        ``general_status`` is a status group name (``DELIVERED``, ``REJECTED``
        ...); ``to`` an E.164 number.
        """
        status = general_status.strip().upper() if general_status else None
        if status is not None and status not in GENERAL_STATUSES:
            raise InvalidRequestError(
                f"Unknown general status {status!r}", provider_code=Reason.GENERAL_STATUS
            )
        params = _params(
            **{"from": sender},
            to=digits(to) if to else None,
            bulkId=",".join(bulk_ids) if bulk_ids else None,
            messageId=",".join(message_ids) if message_ids else None,
            generalStatus=status,
            sentSince=format_date(sent_since) if sent_since else None,
            sentUntil=format_date(sent_until) if sent_until else None,
            limit=limit,
            mcc=mcc,
            mnc=mnc,
        )
        return parse_sent_logs(await self._call("GET", LOGS_PATH, params=params))

    # -- received messages ----------------------------------------------------------

    async def fetch_inbound(self, *, limit: int | None = None) -> list[InboundMessage]:
        """Return received messages not fetched before (``GET inbox/reports``).

        Each message is served once: one that cannot be read is logged and
        skipped, the others are returned.
        """
        data = await self._call("GET", INBOX_REPORTS_PATH, params=_params(limit=limit))
        return parse_inbound_messages(data, skip_unreadable=True)

    async def get_inbox_logs(
        self,
        *,
        limit: int | None = None,
        keyword: str | None = None,
        to: str | None = None,
        received_since: datetime | None = None,
        received_until: datetime | None = None,
    ) -> list[InboundMessage]:
        """Return received message logs (``GET inbox/logs``), as often as asked.

        ``keyword="NO_KEYWORD"`` asks for messages without keyword; ``to`` is
        an E.164 number or a short code.
        """
        params = _params(
            limit=limit,
            keyword=keyword,
            to=digits(to) if to else None,
            receivedSince=format_date(received_since) if received_since else None,
            receivedUntil=format_date(received_until) if received_until else None,
        )
        data = await self._call("GET", INBOX_LOGS_PATH, params=params)
        return parse_inbound_messages(data, skip_unreadable=True)

    # -- Number Context ----------------------------------------------------------------

    async def lookup_numbers(self, numbers: Sequence[str]) -> list[NumberInfo]:
        """Look E.164 numbers up synchronously (``POST number/1/query``), in order."""
        _check_recipients(numbers)
        data = await self._call(
            "POST", NUMBER_QUERY_PATH, body={"to": [digits(n) for n in numbers]}
        )
        infos = parse_number_context(data)
        by_number: dict[str, list[NumberInfo]] = {}
        for info in infos:
            by_number.setdefault(digits(info.number), []).append(info)
        ordered: list[NumberInfo] = []
        for number in numbers:
            found = by_number.get(digits(number))
            if not found:
                raise shape_error(PROVIDER, f"no Number Context result for {number}")
            ordered.append(found.pop(0))
        return ordered

    async def lookup_number(self, number: str) -> NumberInfo:
        """Look one E.164 number up synchronously."""
        return (await self.lookup_numbers([number]))[0]

    async def request_number_context(
        self, numbers: Sequence[str], notify_url: str
    ) -> NumberContextResponse:
        """Ask for Number Context results pushed to ``notify_url`` (``number/1/notify``)."""
        _check_recipients(numbers)
        body = {
            "to": [digits(n) for n in numbers],
            "notifyUrl": notify_url,
            "notifyContentType": JSON_TYPE,
        }
        data = as_dict(
            await self._call("POST", NUMBER_NOTIFY_PATH, body=body), PROVIDER, "the answer"
        )
        requests: list[NumberContextRequest] = []
        for item in as_list(data.get("ncResults"), PROVIDER, "ncResults"):
            entry = as_dict(item, PROVIDER, "a ncResults entry")
            requests.append(
                NumberContextRequest(
                    number=_number(entry.get("to")) or "",
                    status=normalize_status(entry.get("status"), entry.get("error")),
                    message_id=as_text(entry.get("messageId")),
                )
            )
        return NumberContextResponse(bulk_id=as_text(data.get("bulkId")), requests=requests)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _binary_encoding(message: BinaryMessage) -> Encoding:
    return Encoding.UCS2 if message.data_coding == 8 else Encoding.GSM7


def _params(**values: Any) -> dict[str, str] | None:
    """Return the query parameters that are set, as strings."""
    params = {key: str(value) for key, value in values.items() if value is not None}
    return params or None
