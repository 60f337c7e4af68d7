"""sms365.gr SMS API v3 client.

Endpoints are ``{base}/<group>/<name>`` (default base ``https://sms365.gr/api``).
Every call is a form-encoded POST carrying ``key`` (the account's API key) and
``type=json``: the document allows GET or POST, and POST keeps the key out of
URLs, proxy logs and aiohttp's exception texts. Every answer carries the
envelope ``status`` (1 success, 0 error), ``error`` (the code) and ``remarks``
(the description), with HTTP 200 even for errors.

What the document leaves open, and what we chose:

* **Error codes**: 101 (bad key, or the caller's IP not whitelisted) ->
  AuthenticationError; 105/517 -> InsufficientBalanceError; 102/103/201/205
  and 501 (``to`` missing, Viber) -> InvalidRecipientError; 106 "Failed to
  queue" -> a TransientError that is *not* ambiguous (nothing was queued);
  104, 107-109, 300-302, 505-516 -> InvalidRequestError; 110 "already sent",
  111 "could not be deleted", 503/504 (Viber sender not authorised / paused)
  and 518 "Message failed" -> RejectedError. A code the document does not
  list (e.g. 502, 6xx) -> RejectedError: the provider clearly refused, and
  repeating the call will not help. The code is kept in ``provider_code``,
  the remarks text in the message (with the API key masked, should it ever
  be echoed). An envelope that is not ``status`` 0/1, or ``status`` 0
  without a code, is a ProtocolError; so is any answer that is not HTTP 200
  unless it is an error envelope.
* **Batches**: ``sms/bulk`` and ``viber/bulk`` set no limit on ``to``; we send
  at most 500 numbers per request. A batch of one uses ``sms/send`` /
  ``viber/send``.
* **sms/bulk answer**: ``id{value...}`` and ``sms{smsId msisdn}...`` are read
  as the simulator renders them (``sms`` an array; a single object is also
  accepted). Recipients are matched by msisdn, in order (duplicates pop in
  turn). When ``sms`` is missing and ``id.value`` lists exactly one id per
  recipient, ids are matched by position. A recipient missing from the answer
  is ``rejected`` with error ``invalid_recipient`` while the answer's
  ``rejected`` count covers it, else ``unknown`` with error ``protocol``. The
  bulk answer has no cost per message: ``price`` stays None (``sms/send`` and
  ``viber/*`` give ``cost``).
* **Callbacks**: only ``sms/send`` documents ``callback``; bulk and Viber
  sends get none, so their results say ``report_pushed=False`` and their
  reports must be pulled from ``status/get`` even when the account's reports
  are pushed. The URL is sent as a form field, which form-encodes it once
  (the document's "must be urlencoded()" is about putting it in a query
  string).
* **Encoding**: ``ucs=true`` is sent when the text is not GSM-7 (GSM-7,
  extension table included, sends no ``ucs``). ``flash=true`` for flash SMS.
* **Scheduling**: ``timestamp`` (Unix seconds) is sent only for a ``send_at``
  in the future (a naive datetime is UTC); otherwise the message goes out at
  once. Scheduled results are ``scheduled``, others ``accepted``. Viber
  endpoints have no ``timestamp``: scheduling Viber is unsupported.
* **Prices**: ``cost`` is in credits (SMS units): ``currency`` None; the
  balance is reported with unit ``credits``.
* **Viber** rules are checked before any request, so that errors 505-513
  cannot come from us: a sender id is required; text up to 1000 characters;
  a button needs both caption and URL and must follow a text; an image with
  text needs a button; without text only an image. ``validity``: the
  parameter says "In seconds (60 to 86400)", error 513 (what the server
  enforces) says "from 30 (minutes) to 1440 (minutes = 24 hours)", and the
  example sends ``600``. No number is valid under both readings, so we follow
  error 513: ``validity`` is sent in **minutes**. ``ViberContent.validity``
  stays in seconds, 1800-86400 (30 min - 24 h); ``viber_validity_minutes``
  converts it, rounding to the nearest whole minute. Without one, the
  provider's default (24 h).
  The Viber sender id is not held to the SMS sender rules (the document
  sets none); the fallback SMS sender is (``latin11``). ``sms_fallback`` is
  sent as given (default true) with ``sms_text`` (default: the message text)
  and ``sms_from`` (default: the message's sender); a fallback with no text
  at all (an image-only message) is sent as ``sms_fallback=false``.
  ``all_devices`` is not sent (provider default). A Viber result counts one
  segment, encoding UCS-2.
* **Reports**: ``status/get`` returns each change once; ``limit`` cannot be
  passed on (every change is returned and consumed). Letters: ``d``
  delivered, ``f`` undeliverable ("failed to deliver"), ``s`` pending (no
  report yet). Any other value (the document lists no others, a server may
  still send them) is read as still **pending**, never as an error or a final
  status: the message keeps waiting for its d/f, one odd entry does not lose
  the others, and each such value is counted in ``unknown_statuses``
  (diagnostics). Entries without an ``smsId`` are skipped. The ``callback``
  documents only ``d`` and ``f``: any other letter there is refused
  (ProtocolError, the webhook answers 400).
* **Numbers**: ``check_mobile`` (``mobile/check``, sent without the key) and
  ``lookup_number`` (``hlr/lookup``, charged 1/10 SMS) return ``valid=False``
  for error 201 (the number cannot be parsed) instead of raising. The HLR
  ``description`` is mapped loosely: "active" -> delivered, "unknown ..."
  -> undeliverable (permanent; the number is then not valid), "absent ..."
  -> pending, anything else unknown; ``result`` other than OK -> unknown.
* **Account id**: ``sms365:`` + the first 16 hex digits of the key's SHA-256
  (the key itself is never shown); a reset key is a new account id.
* **Ignored message fields** (the API has no place for them):
  ``client_message_ids`` (sends are not idempotent), ``bulk_id``,
  ``callback_data``, ``transliteration``, ``language_code``.
* Not implemented: 2fa, contact, group, history, purchase, user and
  ``key/reset`` endpoints (the integration has no use for them); the
  document has no inbound API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
import logging
from typing import Any, ClassVar

from aiohttp import ClientSession, hdrs

from .base import DEFAULT_TIMEOUT, MAX_TEXT_SEGMENTS, ProviderClient, mask_secrets, short_digest
from .errors import (
    AuthenticationError,
    InsufficientBalanceError,
    InvalidRecipientError,
    InvalidRequestError,
    ProtocolError,
    ProviderError,
    Reason,
    RejectedError,
    TransientError,
    UnsupportedError,
)
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
    ViberContent,
    ViberSenderBalance,
)
from .parse import as_dict, as_float, as_int, as_text, digits_of
from .phone import digits, from_provider
from .sender import validate_sender
from .text import analyze

_LOGGER = logging.getLogger(__name__)

PROVIDER = "sms365"
MAX_BATCH = 500
VIBER_MAX_TEXT = 1000
# Viber validity in seconds, as ViberContent holds it: error 513's range of
# 30 to 1440 minutes (the server's reading; see the module notes).
VIBER_VALIDITY = (1800, 86400)
MAX_REMARKS = 300

# The error of a number that cannot be parsed: for a number check, an answer.
ERROR_UNPARSABLE_NUMBER = 201

ERROR_CLASSES: dict[int, type[ProviderError]] = {
    101: AuthenticationError,
    102: InvalidRecipientError,
    103: InvalidRecipientError,
    104: InvalidRequestError,
    105: InsufficientBalanceError,
    106: TransientError,
    107: InvalidRequestError,
    108: InvalidRequestError,
    109: InvalidRequestError,
    110: RejectedError,
    111: RejectedError,
    201: InvalidRecipientError,
    205: InvalidRecipientError,
    300: InvalidRequestError,
    301: InvalidRequestError,
    302: InvalidRequestError,
    501: InvalidRecipientError,
    503: RejectedError,
    504: RejectedError,
    **dict.fromkeys(range(505, 517), InvalidRequestError),
    517: InsufficientBalanceError,
    518: RejectedError,
}

# Delivery status letters (status/get, status/sms, callback).
STATUS_LETTERS: dict[str, StatusDetail] = {
    "d": StatusDetail(DeliveryStatus.DELIVERED, provider_status="d", description="Delivered"),
    "f": StatusDetail(
        DeliveryStatus.UNDELIVERABLE,
        provider_status="f",
        description="Failed to deliver",
        permanent=True,
    ),
    "s": StatusDetail(
        DeliveryStatus.PENDING, provider_status="s", description="Sent, no delivery report yet"
    ),
}


def _status(letter: Any) -> StatusDetail:
    """Return the status of a letter; one the document does not list is still pending."""
    text = str(letter if letter is not None else "").strip().lower()
    known = STATUS_LETTERS.get(text)
    if known is not None:
        return known
    return StatusDetail(
        DeliveryStatus.PENDING,
        provider_status=text or None,
        description="A status the API document does not list: still pending",
    )


def viber_validity_minutes(seconds: int) -> int:
    """Return the Viber ``validity`` to send: whole minutes (error 513's unit).

    The one place where seconds (``ViberContent.validity``) become minutes;
    rounded to the nearest minute (half a minute up).
    """
    return (seconds + 30) // 60


def _flag(value: Any) -> bool:
    """Return a boolean given as true/false, 1/0 or yes/no."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes")


def _items(value: Any) -> list[Any]:
    """Return a repeated element: a JSON array, or one object standing alone."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def parse_delivery_callback(params: Mapping[str, str]) -> DeliveryReport:
    """Parse the GET ``sms/send`` makes to its ``callback`` URL.

    The provider appends ``msgid``, ``status`` (``d`` delivered, ``f``
    failed), ``cost``, ``to``, ``mcc`` and ``mnc``. Raises ProtocolError when
    ``msgid`` or ``status`` is missing or the status letter is unknown.
    """
    message_id = as_text(params.get("msgid"))
    letter = (as_text(params.get("status")) or "").lower()
    if not message_id or not letter:
        raise ProtocolError(f"{PROVIDER} delivery report without msgid or status")
    if letter not in STATUS_LETTERS:
        raise ProtocolError(
            f"{PROVIDER} delivery report with an unknown status", provider_code=letter[:20]
        )
    to = as_text(params.get("to"))
    return DeliveryReport(
        message_id=message_id,
        status=STATUS_LETTERS[letter],
        recipient=from_provider(to) if to else None,
        price=as_float(params.get("cost")),
        mcc=as_text(params.get("mcc")),
        mnc=as_text(params.get("mnc")),
    )


class Sms365Client(ProviderClient):
    """Client of the sms365.gr SMS API v3."""

    provider = PROVIDER
    display_name = "sms365.gr"
    default_url = "https://sms365.gr/api"
    # The delivery-report callback is a GET (see the module notes).
    push_methods: ClassVar[tuple[str, ...]] = (hdrs.METH_GET, hdrs.METH_POST)
    capabilities: ClassVar[Capabilities] = Capabilities(
        text=True,
        flash=True,
        viber=True,
        viber_sms_fallback=True,
        batch=True,
        max_batch_size=MAX_BATCH,
        scheduling=True,
        cancel=True,
        balance=True,
        balance_unit="credits",
        viber_balance=True,
        delivery_reports_push=True,
        delivery_reports_pull=True,
        number_lookup=True,
        unicode_explicit=True,
        idempotent_send=False,
        sender_rules="latin11",
    )

    def __init__(
        self,
        session: ClientSession,
        *,
        api_key: str,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Create the client."""
        super().__init__(session, base_url=base_url, timeout=timeout)
        self._api_key = api_key

    @classmethod
    async def fetch_api_key(
        cls,
        session: ClientSession,
        username: str,
        password: str,
        base_url: str | None = None,
        *,
        request_timeout: float = DEFAULT_TIMEOUT,
    ) -> str:
        """Return the account's API key (``key/get`` with username and password)."""
        client = cls(session, api_key="", base_url=base_url, timeout=request_timeout)
        body = await client._call(
            "key/get", {"username": username, "password": password}, with_key=False
        )
        key = as_text(body.get("key"))
        if key is None:
            raise client.shape_error("key/get answered no key")
        return key

    # -- the calls --------------------------------------------------------------

    async def _call(
        self,
        name: str,
        form: Mapping[str, str],
        *,
        with_key: bool = True,
        recipient: str | None = None,
    ) -> dict[str, Any]:
        """POST to ``{base}/{name}``; return the answer or raise its error."""
        fields = {"key": self._api_key} if with_key else {}
        fields.update(form)
        fields["type"] = "json"
        raw = await self._request("POST", f"/{name}", data=fields)
        try:
            body: Any = self._json(raw)
        except ProtocolError:
            if raw.status == 200:
                raise
            body = None
        status = as_int(body.get("status")) if isinstance(body, dict) else None
        if isinstance(body, dict) and status == 0:
            raise self._api_error(body, recipient)
        if raw.status != 200:
            raise self.wrong_address(raw.status)
        answer = as_dict(body, self.provider, "the answer")
        if status != 1:
            raise self.shape_error("no status 0 or 1 in the answer")
        return answer

    def _api_error(self, body: dict[str, Any], recipient: str | None) -> ProviderError:
        code = as_int(body.get("error"))
        if not code:
            return self.shape_error("an error without an error code")
        remarks = mask_secrets(str(body.get("remarks") or "").strip(), self._api_key)
        remarks = remarks[:MAX_REMARKS]
        message = (
            f"{self.provider} error {code}: {remarks}"
            if remarks
            else (f"{self.provider} error {code}")
        )
        _LOGGER.debug("%s answered error %s", self.provider, code)
        cls = ERROR_CLASSES.get(code, RejectedError)
        if cls is InvalidRecipientError:
            return InvalidRecipientError(message, recipient=recipient, provider_code=str(code))
        return cls(message, provider_code=str(code))

    # -- account ------------------------------------------------------------------

    @classmethod
    def parse_push(
        cls, query: Mapping[str, str], body: bytes, fields: Mapping[str, Any]
    ) -> tuple[list[DeliveryReport], list[InboundMessage]]:
        """Parse the ``callback`` call: a delivery report in the query string."""
        return [parse_delivery_callback(query)], []

    # validate_credentials: the base class's ``me/balance`` (sends nothing),
    # titled with the display name: no fragment of the key, nor of its digest.

    def account_id(self) -> str:
        """Return the account's id: the key identifies the account (by its digest)."""
        return f"{self.provider}:{short_digest(self._api_key)}"

    async def get_balance(self) -> Balance:
        """Return the account's SMS credits (``me/balance``)."""
        body = await self._call("me/balance", {})
        amount = as_float(body.get("balance"))
        if amount is None:
            raise self.shape_error("balance is not a number")
        return Balance(amount=amount, currency=None, unit="credits")

    async def get_viber_balances(self) -> list[ViberSenderBalance]:
        """Return each approved Viber sender id and its balance (``viber/balance``)."""
        body = await self._call("viber/balance", {})
        senders = body.get("senders")
        if isinstance(senders, dict):
            senders = senders.get("sender")
        result: list[ViberSenderBalance] = []
        for item in _items(senders):
            entry = as_dict(item, self.provider, "a Viber sender")
            sender = as_text(entry.get("senderId")) or as_text(entry.get("text"))
            balance = as_float(entry.get("balance"))
            if sender is None or balance is None:
                raise self.shape_error("a Viber sender without id or balance")
            result.append(
                ViberSenderBalance(
                    sender=sender,
                    balance=balance,
                    paused=_flag(entry.get("paused")),
                    two_way=_flag(entry.get("twoway")),
                    text=as_text(entry.get("text")),
                )
            )
        return result

    # -- sending --------------------------------------------------------------------

    def validate(self, message: OutgoingMessage) -> None:
        """Raise before any request if sms365 would refuse the message."""
        if message.channel is not Channel.VIBER:
            super().validate(message)
            return
        if message.send_at is not None:
            raise UnsupportedError(
                f"{self.provider} cannot schedule Viber messages", provider_code=Reason.SCHEDULING
            )
        # A Viber sender id is not an SMS sender: the SMS rules do not apply.
        super().validate(replace(message, sender=None))
        self._viber_form(message)

    async def _send_batch(self, message: OutgoingMessage) -> list[SendResult]:
        if message.channel is Channel.VIBER:
            return await self._send_viber(message)
        return await self._send_sms(message)

    async def _send_sms(self, message: OutgoingMessage) -> list[SendResult]:
        info = analyze(message.text)
        numbers = [digits(r) for r in message.recipients]
        form = {"to": ",".join(numbers), "text": message.text}
        if (sender := self.checked_sender(message.sender)) is not None:
            form["from"] = sender
        if info.encoding is Encoding.UCS2:
            form["ucs"] = "true"
        if message.channel is Channel.FLASH:
            form["flash"] = "true"
        scheduled = False
        if message.send_at is not None:
            send_at = message.send_at
            if send_at.tzinfo is None:
                send_at = send_at.replace(tzinfo=UTC)
            if send_at > datetime.now(UTC):
                form["timestamp"] = str(int(send_at.timestamp()))
                scheduled = True
        status = StatusDetail(
            DeliveryStatus.SCHEDULED if scheduled else DeliveryStatus.ACCEPTED,
            provider_status="scheduled" if scheduled else "accepted",
        )
        common: dict[str, Any] = {
            "segments": info.segments,
            "encoding": info.encoding,
            "channel": message.channel,
        }
        if len(numbers) == 1:
            if message.notify_url:
                form["callback"] = message.notify_url
            common["report_pushed"] = "callback" in form
            return await self._send_one(message, "sms/send", form, "smsId", status, common)
        # sms/bulk has no callback: its reports are pulled (report_pushed False).
        body = await self._call("sms/bulk", form)
        return self._bulk_results(message, body, "sms", "smsId", status, common)

    def _viber_form(self, message: OutgoingMessage) -> dict[str, str]:
        """Check the Viber rules and return the form fields (all but ``to``)."""
        viber = message.viber or ViberContent()
        text = message.text
        caption = (viber.button_text or "").strip()
        action = (viber.button_url or "").strip()
        image = (viber.image_url or "").strip()
        sender = (message.sender or "").strip()
        if not sender:
            raise InvalidRequestError(
                "A Viber message needs your Viber sender id", provider_code=Reason.VIBER_SENDER
            )
        if len(text) > VIBER_MAX_TEXT:
            raise InvalidRequestError(
                f"A Viber text has at most {VIBER_MAX_TEXT} characters",
                provider_code=Reason.VIBER_TEXT,
            )
        if bool(caption) != bool(action):
            raise InvalidRequestError(
                "A Viber button needs both a caption and a URL", provider_code=Reason.VIBER_BUTTON
            )
        if not text.strip():
            if caption:
                raise InvalidRequestError(
                    "A Viber button must follow a text", provider_code=Reason.VIBER_BUTTON
                )
            if not image:
                raise InvalidRequestError(
                    "A Viber message needs a text or an image", provider_code=Reason.EMPTY_TEXT
                )
        elif image and not caption:
            raise InvalidRequestError(
                "A Viber message with an image and a text needs a button",
                provider_code=Reason.VIBER_IMAGE_WITHOUT_BUTTON,
            )
        validity = viber.validity
        low, high = VIBER_VALIDITY
        if validity is not None and not low <= validity <= high:
            raise InvalidRequestError(
                f"The Viber validity is {low} to {high} seconds (30 minutes to 24 hours)",
                provider_code=Reason.VIBER_VALIDITY,
            )
        form = {"text": text, "from": sender}
        if caption:
            form["button_caption"] = caption
            form["button_action"] = action
        if image:
            form["image"] = image
        if validity is not None:
            form["validity"] = str(viber_validity_minutes(validity))
        fallback_text = viber.fallback_text or text
        if viber.sms_fallback and fallback_text.strip():
            info = analyze(fallback_text)
            if info.segments > MAX_TEXT_SEGMENTS:
                raise InvalidRequestError(
                    f"The fallback SMS is too long ({info.segments} SMS segments, "
                    f"at most {MAX_TEXT_SEGMENTS})",
                    provider_code=Reason.TOO_LONG,
                )
            form["sms_fallback"] = "true"
            form["sms_text"] = fallback_text
            form["sms_from"] = validate_sender(
                viber.fallback_sender or sender, self.capabilities.sender_rules
            )
            if info.encoding is Encoding.UCS2:
                form["ucs"] = "true"
        else:
            form["sms_fallback"] = "false"
        return form

    async def _send_viber(self, message: OutgoingMessage) -> list[SendResult]:
        form = self._viber_form(message)
        numbers = [digits(r) for r in message.recipients]
        form["to"] = ",".join(numbers)
        status = StatusDetail(DeliveryStatus.ACCEPTED, provider_status="accepted")
        common: dict[str, Any] = {
            "segments": 1,
            "encoding": Encoding.UCS2,
            "channel": Channel.VIBER,
        }
        if len(numbers) == 1:
            return await self._send_one(message, "viber/send", form, "id", status, common)
        body = await self._call("viber/bulk", form)
        return self._bulk_results(message, body, "messages", "id", status, common)

    async def _send_one(
        self,
        message: OutgoingMessage,
        name: str,
        form: Mapping[str, str],
        id_key: str,
        status: StatusDetail,
        common: dict[str, Any],
    ) -> list[SendResult]:
        """Send to the message's only recipient (``sms/send``, ``viber/send``)."""
        recipient = message.recipients[0]
        body = await self._call(name, form, recipient=recipient)
        message_id = as_text(body.get(id_key))
        if message_id is None:
            raise self.shape_error(f"{name} answered no {id_key}")
        return [
            SendResult(
                recipient=recipient,
                status=status,
                message_id=message_id,
                price=as_float(body.get("cost")),
                **common,
            )
        ]

    def _bulk_results(
        self,
        message: OutgoingMessage,
        body: dict[str, Any],
        items_key: str,
        id_key: str,
        status: StatusDetail,
        common: dict[str, Any],
    ) -> list[SendResult]:
        """Match a bulk answer's entries to the recipients (see the module notes)."""
        entries: dict[str, list[tuple[str, float | None]]] = {}
        for item in _items(body.get(items_key)):
            if not isinstance(item, dict):
                continue
            message_id, msisdn = as_text(item.get(id_key)), digits_of(item.get("msisdn"))
            if message_id and msisdn:
                entries.setdefault(msisdn, []).append((message_id, as_float(item.get("cost"))))
        rejected = as_int(body.get("rejected")) or 0
        if not entries and not rejected:
            ids = body.get("id")
            values = (
                [v for v in (as_text(x) for x in _items(ids.get("value"))) if v]
                if isinstance(ids, dict)
                else []
            )
            if len(values) == len(message.recipients):
                for recipient, value in zip(message.recipients, values, strict=True):
                    entries.setdefault(digits(recipient), []).append((value, None))
        results: list[SendResult] = []
        for recipient in message.recipients:
            matches = entries.get(digits(recipient))
            if matches:
                message_id, price = matches.pop(0)
                results.append(
                    SendResult(
                        recipient=recipient,
                        status=status,
                        message_id=message_id,
                        price=price,
                        **common,
                    )
                )
            elif rejected > 0:
                rejected -= 1
                results.append(
                    SendResult(
                        recipient=recipient,
                        status=StatusDetail(
                            DeliveryStatus.REJECTED,
                            provider_status="rejected",
                            description="Rejected by sms365 (invalid number)",
                            permanent=True,
                        ),
                        error=InvalidRecipientError.key,
                        **common,
                    )
                )
            else:
                results.append(
                    SendResult(
                        recipient=recipient,
                        status=StatusDetail(
                            DeliveryStatus.UNKNOWN, description="Missing from the bulk answer"
                        ),
                        error=ProtocolError.key,
                        **common,
                    )
                )
        return results

    # -- messages ---------------------------------------------------------------------

    async def cancel(self, message_id: str) -> None:
        """Cancel a scheduled SMS (``sms/cancel``)."""
        await self._call("sms/cancel", {"smsId": message_id})

    async def get_status(self, sms_id: str) -> DeliveryReport:
        """Return the current status of one message (``status/sms``)."""
        body = await self._call("status/sms", {"smsId": sms_id})
        items = _items(body.get("sms"))
        if not items:
            raise self.shape_error("status/sms answered no sms")
        entry = as_dict(items[0], self.provider, "sms")
        return DeliveryReport(
            message_id=as_text(entry.get("smsId")) or sms_id,
            status=self._read_status(entry.get("status")),
        )

    async def fetch_delivery_reports(self, *, limit: int | None = None) -> list[DeliveryReport]:
        """Return the statuses changed since the last call (``status/get``), each once."""
        body = await self._call("status/get", {})
        reports: list[DeliveryReport] = []
        for index, item in enumerate(_items(body.get("sms"))):
            message_id = as_text(item.get("smsId")) if isinstance(item, dict) else None
            if message_id is None:
                # Each status is served once: skip this entry, keep the others.
                _LOGGER.warning(
                    "%s: skipped an unreadable status/get entry (entry %d, without smsId)",
                    self.provider,
                    index,
                )
                continue
            status = self._read_status(item.get("status"))
            reports.append(DeliveryReport(message_id=message_id, status=status))
        return reports

    def _read_status(self, letter: Any) -> StatusDetail:
        """Return a letter's status, counting the letters the document does not list."""
        status = _status(letter)
        if status.provider_status not in STATUS_LETTERS:
            self.count_unknown_status(status.provider_status or "")
        return status

    # -- numbers ----------------------------------------------------------------------

    async def check_mobile(self, number: str) -> NumberInfo:
        """Check a number (``mobile/check``: free, sent without the key)."""
        try:
            body = await self._call(
                "mobile/check", {"mobile": digits(number)}, with_key=False, recipient=number
            )
        except InvalidRecipientError as err:
            if err.provider_code == str(ERROR_UNPARSABLE_NUMBER):
                return NumberInfo(number=number, valid=False)
            raise
        mobile = as_dict(body.get("mobile"), self.provider, "mobile")
        msisdn = as_text(mobile.get("msisdn"))
        return NumberInfo(
            number=from_provider(msisdn) if msisdn else number,
            valid=True,
            country=as_text(mobile.get("country")),
            country_prefix=as_text(mobile.get("countryCode")),
            mcc=as_text(mobile.get("mcc")),
            mnc=as_text(mobile.get("mnc")),
            cost=as_float(mobile.get("cost")),
        )

    async def lookup_number(self, number: str) -> NumberInfo:
        """Look a number up in the HLR (``hlr/lookup``, 1/10 SMS per call)."""
        try:
            body = await self._call("hlr/lookup", {"mobile": digits(number)}, recipient=number)
        except InvalidRecipientError as err:
            if err.provider_code == str(ERROR_UNPARSABLE_NUMBER):
                return NumberInfo(number=number, valid=False)
            raise
        result = as_text(body.get("result")) or ""
        description = as_text(body.get("description"))
        lowered = (description or "").lower()
        state, permanent = DeliveryStatus.UNKNOWN, False
        if result.upper() == "OK":
            if lowered == "active":
                state = DeliveryStatus.DELIVERED
            elif lowered.startswith("unknown"):
                state, permanent = DeliveryStatus.UNDELIVERABLE, True
            elif lowered.startswith("absent"):
                state = DeliveryStatus.PENDING
        ported = as_text(body.get("ported"))
        return NumberInfo(
            number=number,
            valid=result.upper() == "OK" and state is not DeliveryStatus.UNDELIVERABLE,
            status=StatusDetail(
                state, provider_status=result or None, description=description, permanent=permanent
            ),
            country=as_text(body.get("country")),
            country_prefix=as_text(body.get("countryCode")),
            network=as_text(body.get("network")),
            mcc=as_text(body.get("mcc")),
            mnc=as_text(body.get("mnc")),
            ported=_flag(ported) if ported is not None else None,
        )
