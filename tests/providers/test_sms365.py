"""The sms365.gr client against the simulator (real HTTP): every endpoint on the wire."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
import hashlib
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aiohttp import ClientSession
import pytest

from custom_components.sms_gateway.providers import (
    AuthenticationError,
    Balance,
    Channel,
    DeliveryStatus,
    Encoding,
    InvalidRecipientError,
    InvalidRequestError,
    OutgoingMessage,
    ProtocolError,
    RejectedError,
    Sms365Client,
    StatusDetail,
    UnsupportedError,
    ViberContent,
    ViberSenderBalance,
    create_client,
)
from custom_components.sms_gateway.providers.sms365 import (
    parse_delivery_callback,
    viber_validity_minutes,
)
from simulator.demo import SMS365_API_KEY, SMS365_PASSWORD, SMS365_USERNAME
from simulator.state import RecordedRequest
from tests.conftest import Receiver, RunningSimulator

from .sms365_wire import DEMO, client_for

GREEK = "Καλημέρα σας"


def form_of(request: RecordedRequest) -> dict[str, str]:
    """Return the single-valued form of a recorded POST (and check how it came)."""
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.query == {}
    assert request.form is not None
    assert all(len(values) == 1 for values in request.form.values())
    return {key: values[0] for key, values in request.form.items()}


def keyed(fields: dict[str, Any]) -> dict[str, Any]:
    """Return the form of a request signed with the demo API key, answered in JSON."""
    return {"key": SMS365_API_KEY, **fields, "type": "json"}


def only_request(sim: RunningSimulator) -> tuple[str, dict[str, str]]:
    (request,) = sim.state.requests
    return request.path, form_of(request)


async def test_capabilities() -> None:
    caps = Sms365Client.capabilities
    assert (caps.text, caps.flash, caps.viber, caps.viber_sms_fallback) == (True,) * 4
    assert (caps.batch, caps.max_batch_size, caps.scheduling, caps.cancel) == (
        True,
        500,
        True,
        True,
    )
    assert (caps.balance, caps.balance_unit, caps.viber_balance) == (True, "credits", True)
    assert (caps.delivery_reports_push, caps.delivery_reports_pull) == (True, True)
    assert (caps.inbound_push, caps.inbound_pull) == (False, False)
    assert (caps.number_lookup, caps.unicode_explicit, caps.idempotent_send) == (True, True, False)
    assert caps.sender_rules == "latin11"
    assert Sms365Client.default_url == "https://sms365.gr/api"


async def test_validate_credentials_sends_nothing(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    info = await client_for(simulator, http).validate_credentials()
    digest = hashlib.sha256(SMS365_API_KEY.encode()).hexdigest()
    assert info.account_id == f"sms365:{digest[:16]}"
    assert SMS365_API_KEY not in info.account_id
    assert SMS365_API_KEY not in info.title
    assert simulator.state.messages == {}
    assert only_request(simulator) == ("/api/me/balance", {"key": SMS365_API_KEY, "type": "json"})

    with pytest.raises(AuthenticationError) as err:
        await client_for(simulator, http, key="wrong-key").validate_credentials()
    assert err.value.provider_code == "101"
    assert "Check your credentials" in str(err.value)


async def test_ip_not_whitelisted_is_an_authentication_error(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    simulator.state.accounts[DEMO].ip_blocked = True
    with pytest.raises(AuthenticationError):
        await client_for(simulator, http).get_balance()


async def test_balance(simulator: RunningSimulator, http: ClientSession) -> None:
    simulator.state.accounts[DEMO].balance = 12.5
    balance = await client_for(simulator, http).get_balance()
    assert balance == Balance(amount=12.5, currency=None, unit="credits")
    assert only_request(simulator) == ("/api/me/balance", {"key": SMS365_API_KEY, "type": "json"})


async def test_viber_balances(simulator: RunningSimulator, http: ClientSession) -> None:
    simulator.state.accounts[DEMO].viber_senders["Paused"] = 2.5
    simulator.state.accounts[DEMO].paused_viber_senders.append("Paused")
    balances = await client_for(simulator, http).get_viber_balances()
    assert balances == [
        ViberSenderBalance(sender="DemoViber", balance=50.0, text="DemoViber"),
        ViberSenderBalance(sender="Paused", balance=2.5, paused=True, text="Paused"),
    ]
    assert only_request(simulator) == (
        "/api/viber/balance",
        {"key": SMS365_API_KEY, "type": "json"},
    )


async def test_viber_balances_of_an_account_without_viber(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    simulator.state.accounts[DEMO].viber_senders.clear()
    client = client_for(simulator, http)
    with pytest.raises(RejectedError) as err:
        await client.get_viber_balances()
    assert err.value.provider_code == "503"
    assert (await client.get_balance()).amount == 100.0


async def test_fetch_api_key(simulator: RunningSimulator, http: ClientSession) -> None:
    key = await Sms365Client.fetch_api_key(
        http, SMS365_USERNAME, SMS365_PASSWORD, base_url=f"{simulator.url}/api"
    )
    assert key == SMS365_API_KEY
    assert only_request(simulator) == (
        "/api/key/get",
        {"username": SMS365_USERNAME, "password": SMS365_PASSWORD, "type": "json"},
    )
    with pytest.raises(AuthenticationError) as err:
        await Sms365Client.fetch_api_key(
            http, SMS365_USERNAME, "wrong-password", base_url=f"{simulator.url}/api/"
        )
    assert "wrong-password" not in str(err.value)


async def test_send_one_sms(simulator: RunningSimulator, http: ClientSession) -> None:
    client = create_client(
        "sms365", http, {"url": f"{simulator.url}/api", "api_key": SMS365_API_KEY}
    )
    (result,) = await client.send(
        OutgoingMessage(recipients=("+306971234561",), text="Water leak!", sender="+3069712")
    )
    path, form = only_request(simulator)
    assert path == "/api/sms/send"
    assert form == keyed(
        {
            "to": "306971234561",
            "text": "Water leak!",
            "from": "3069712",
        }
    )
    message = simulator.state.messages[result.message_id or ""]
    assert (message.to, message.text, message.sender, message.channel) == (
        "306971234561",
        "Water leak!",
        "3069712",
        "sms",
    )
    assert result.recipient == "+306971234561"
    assert result.status.status is DeliveryStatus.ACCEPTED
    assert (result.segments, result.encoding, result.price, result.currency) == (
        1,
        Encoding.GSM7,
        1.0,
        None,
    )
    assert (result.channel, result.error, result.accepted) == (Channel.SMS, None, True)


async def test_send_unicode_flash(simulator: RunningSimulator, http: ClientSession) -> None:
    text = GREEK * 7  # 84 UCS-2 units: two segments
    (result,) = await client_for(simulator, http).send(
        OutgoingMessage(
            recipients=("+306971234561",), text=text, sender="Alarm", channel=Channel.FLASH
        )
    )
    _, form = only_request(simulator)
    assert form == keyed(
        {
            "to": "306971234561",
            "text": text,
            "from": "Alarm",
            "ucs": "true",
            "flash": "true",
        }
    )
    message = simulator.state.messages[result.message_id or ""]
    assert (message.channel, message.encoding, message.garbled) == ("flash", "UCS2", False)
    assert (result.segments, result.encoding, result.price) == (2, Encoding.UCS2, 2.0)
    assert result.channel is Channel.FLASH


async def test_gsm_extension_characters_need_no_ucs(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    await client_for(simulator, http).send(
        OutgoingMessage(recipients=("+306971234561",), text="Cost: 5€ [ok]")
    )
    _, form = only_request(simulator)
    assert "ucs" not in form
    assert "from" not in form


async def test_schedule_and_cancel(simulator: RunningSimulator, http: ClientSession) -> None:
    client = client_for(simulator, http)
    send_at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    (result,) = await client.send(
        OutgoingMessage(recipients=("+306971234561",), text="later", send_at=send_at)
    )
    _, form = only_request(simulator)
    assert form["timestamp"] == str(int(send_at.timestamp()))
    assert result.status.status is DeliveryStatus.SCHEDULED
    assert simulator.state.accounts[DEMO].balance == 99.0

    await client.cancel(result.message_id or "")
    request = simulator.state.requests[-1]
    assert request.path == "/api/sms/cancel"
    assert form_of(request) == keyed({"smsId": result.message_id})
    assert simulator.state.messages[result.message_id or ""].status == "canceled"
    assert simulator.state.accounts[DEMO].balance == 100.0


async def test_naive_send_at_is_utc(simulator: RunningSimulator, http: ClientSession) -> None:
    send_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0) + timedelta(hours=2)
    (result,) = await client_for(simulator, http).send(
        OutgoingMessage(recipients=("+306971234561",), text="later", send_at=send_at)
    )
    _, form = only_request(simulator)
    assert form["timestamp"] == str(int(send_at.replace(tzinfo=UTC).timestamp()))
    assert result.status.status is DeliveryStatus.SCHEDULED
    simulator.state.cancel_timers()


async def test_send_at_in_the_past_sends_now(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    (result,) = await client_for(simulator, http).send(
        OutgoingMessage(
            recipients=("+306971234561",),
            text="now",
            send_at=datetime.now(UTC) - timedelta(minutes=1),
        )
    )
    _, form = only_request(simulator)
    assert "timestamp" not in form
    assert result.status.status is DeliveryStatus.ACCEPTED


async def test_callback_delivery_report(
    simulator: RunningSimulator, http: ClientSession, receiver: Receiver
) -> None:
    notify = f"{receiver.url}/hook/sms365?id=abc"
    (result,) = await client_for(simulator, http).send(
        OutgoingMessage(recipients=("+306971234560",), text="x", notify_url=notify)
    )
    _, form = only_request(simulator)
    assert form["callback"] == notify
    assert result.report_pushed  # sms/send: the callback will bring the report
    await simulator.drain()
    (pushed,) = receiver.requests
    assert pushed.method == "GET"
    params = dict(parse_qsl(urlsplit(pushed.path_qs).query))
    assert params["id"] == "abc"
    report = parse_delivery_callback(params)
    assert report.message_id == result.message_id
    assert report.status.status is DeliveryStatus.UNDELIVERABLE
    assert report.status.provider_status == "f"
    assert report.recipient == "+306971234560"
    assert (report.price, report.mcc, report.mnc) == (1.0, "202", "01")


@pytest.mark.parametrize(
    ("params", "status", "recipient", "price"),
    [
        (
            {"msgid": "1", "status": "d", "cost": "1", "to": "306971234561"},
            DeliveryStatus.DELIVERED,
            "+306971234561",
            1.0,
        ),
        ({"msgid": "2", "status": "F"}, DeliveryStatus.UNDELIVERABLE, None, None),
        ({"msgid": "3", "status": "s", "cost": "n/a"}, DeliveryStatus.PENDING, None, None),
    ],
)
def test_parse_delivery_callback(
    params: dict[str, str], status: DeliveryStatus, recipient: str | None, price: float | None
) -> None:
    report = parse_delivery_callback(params)
    assert report.message_id == params["msgid"]
    assert (report.status.status, report.recipient, report.price) == (status, recipient, price)
    assert report.currency is None


@pytest.mark.parametrize(
    "params",
    [{"status": "d"}, {"msgid": "1"}, {"msgid": "", "status": "d"}, {"msgid": "1", "status": "x"}],
)
def test_parse_delivery_callback_rejects(params: dict[str, str]) -> None:
    with pytest.raises(ProtocolError):
        parse_delivery_callback(params)


async def test_status_letters_the_document_does_not_list_stay_pending(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    """status/get values other than d/f/s: still pending (not lost, not final), counted."""
    client = client_for(simulator, http)
    results = await client.send(
        OutgoingMessage(recipients=("+306971234561", "+306971234562"), text="x")
    )
    first, second = (r.message_id or "" for r in results)
    simulator.state.messages[first].extra["status_letter"] = "q"
    reports = {r.message_id: r.status for r in await client.fetch_delivery_reports()}
    assert reports[first].status is DeliveryStatus.PENDING
    assert reports[first].provider_status == "q"
    assert not reports[first].status.is_final
    assert reports[second].status is DeliveryStatus.DELIVERED
    assert client.unknown_statuses == {"q": 1}
    report = await client.get_status(first)
    assert (report.status.status, client.unknown_statuses) == (DeliveryStatus.PENDING, {"q": 2})


async def test_bulk(simulator: RunningSimulator, http: ClientSession) -> None:
    recipients = ("+306971234561", "+49172000000", "+306971234562", "+306971234561")
    results = await client_for(simulator, http).send(
        OutgoingMessage(
            recipients=recipients,
            text="Alarm",
            sender="Home",
            notify_url="http://127.0.0.1:9/cb",  # bulk documents no callback
        )
    )
    path, form = only_request(simulator)
    assert path == "/api/sms/bulk"
    assert form == keyed(
        {
            "to": "306971234561,49172000000,306971234562,306971234561",
            "text": "Alarm",
            "from": "Home",
        }
    )
    assert [r.recipient for r in results] == list(recipients)
    assert not any(r.report_pushed for r in results)  # to be pulled from status/get
    ok = [results[0], results[2], results[3]]
    assert all(r.accepted and r.status.status is DeliveryStatus.ACCEPTED for r in ok)
    assert len({r.message_id for r in ok}) == 3
    for result in ok:
        assert simulator.state.messages[result.message_id or ""].to == result.recipient[1:]
        assert result.price is None
    rejected = results[1]
    assert (rejected.status.status, rejected.error, rejected.accepted) == (
        DeliveryStatus.REJECTED,
        "invalid_recipient",
        False,
    )
    assert rejected.message_id is None


async def test_batches_split_by_max_size(
    simulator: RunningSimulator, http: ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        Sms365Client, "capabilities", replace(Sms365Client.capabilities, max_batch_size=2)
    )
    results = await client_for(simulator, http).send(
        OutgoingMessage(
            recipients=("+306971234561", "+306971234562", "+306971234563"),
            text="x",
            notify_url="http://127.0.0.1:9/cb",
        )
    )
    assert [r.path for r in simulator.state.requests] == ["/api/sms/bulk", "/api/sms/send"]
    assert form_of(simulator.state.requests[0])["to"] == "306971234561,306971234562"
    assert "callback" not in form_of(simulator.state.requests[0])
    assert form_of(simulator.state.requests[1])["callback"] == "http://127.0.0.1:9/cb"
    assert all(r.accepted for r in results)
    assert [r.report_pushed for r in results] == [False, False, True]
    await simulator.drain()


async def test_viber_send(simulator: RunningSimulator, http: ClientSession) -> None:
    (result,) = await client_for(simulator, http).send(
        OutgoingMessage(
            recipients=("+306971234561",),
            text="Your door is open",
            sender="DemoViber",
            channel=Channel.VIBER,
            notify_url="http://127.0.0.1:9/cb",  # Viber documents no callback
            viber=ViberContent(
                image_url="https://example.com/door.png",
                button_text="Close",
                button_url="https://example.com/close",
                validity=3600,  # seconds: sent as 60 minutes
            ),
        )
    )
    path, form = only_request(simulator)
    assert path == "/api/viber/send"
    assert form == keyed(
        {
            "text": "Your door is open",
            "from": "DemoViber",
            "button_caption": "Close",
            "button_action": "https://example.com/close",
            "image": "https://example.com/door.png",
            "validity": "60",
            "sms_fallback": "true",
            "sms_text": "Your door is open",
            "sms_from": "DemoViber",
            "to": "306971234561",
        }
    )
    message = simulator.state.messages[result.message_id or ""]
    assert (message.channel, message.extra["validity"]) == ("viber", 60)
    assert message.validity_period_ms == 3600 * 1000
    assert (result.channel, result.segments, result.encoding) == (Channel.VIBER, 1, Encoding.UCS2)
    assert (result.price, result.status.status) == (1.0, DeliveryStatus.ACCEPTED)
    assert not result.report_pushed
    assert simulator.state.accounts[DEMO].viber_senders["DemoViber"] == 49.0


async def test_viber_fallback_options(simulator: RunningSimulator, http: ClientSession) -> None:
    await client_for(simulator, http).send(
        OutgoingMessage(
            recipients=("+306971234567",),  # no Viber: the fallback SMS goes out
            text="Hello",
            sender="DemoViber",
            channel=Channel.VIBER,
            viber=ViberContent(fallback_text=GREEK, fallback_sender="Home", validity=1800),
        )
    )
    _, form = only_request(simulator)
    assert (form["sms_text"], form["sms_from"], form["ucs"]) == (GREEK, "Home", "true")
    assert form["validity"] == "30"
    sms = [m for m in simulator.state.messages.values() if m.channel == "sms"]
    assert [(m.text, m.sender, m.encoding) for m in sms] == [(GREEK, "Home", "UCS2")]


async def test_viber_validity_doc_example(simulator: RunningSimulator, http: ClientSession) -> None:
    """The doc's ``validity=600`` is what 10 hours become: minutes, as error 513 says."""
    (result,) = await client_for(simulator, http).send(
        OutgoingMessage(
            recipients=("+306971234561",),
            text="Hi",
            sender="DemoViber",
            channel=Channel.VIBER,
            viber=ViberContent(validity=10 * 3600),
        )
    )
    _, form = only_request(simulator)
    assert form["validity"] == "600"
    message = simulator.state.messages[result.message_id or ""]
    assert message.validity_period_ms == 10 * 3600 * 1000


@pytest.mark.parametrize(
    ("seconds", "minutes"),
    [(1800, 30), (1829, 30), (1830, 31), (3600, 60), (86370, 1440), (86400, 1440)],
)
def test_viber_validity_minutes(seconds: int, minutes: int) -> None:
    """Seconds become whole minutes in one place, the nearest one (half up)."""
    assert viber_validity_minutes(seconds) == minutes


async def test_viber_validity_limits_accepted_by_the_simulator(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    """Every duration the client allows is inside the server's 30-1440 minutes."""
    client = client_for(simulator, http)
    for seconds in (1800, 86400):
        await client.send(
            OutgoingMessage(
                recipients=("+306971234561",),
                text="Hi",
                sender="DemoViber",
                channel=Channel.VIBER,
                viber=ViberContent(validity=seconds),
            )
        )
    assert [form_of(r)["validity"] for r in simulator.state.requests] == ["30", "1440"]
    assert sorted(m.validity_period_ms or 0 for m in simulator.state.messages.values()) == [
        1800 * 1000,
        86400 * 1000,
    ]


async def test_viber_image_only_and_no_fallback(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    client = client_for(simulator, http)
    await client.send(
        OutgoingMessage(
            recipients=("+306971234561",),
            text="",
            sender="DemoViber",
            channel=Channel.VIBER,
            viber=ViberContent(image_url="https://example.com/a.png"),
        )
    )
    await client.send(
        OutgoingMessage(
            recipients=("+306971234561",),
            text="Hi",
            sender="DemoViber",
            channel=Channel.VIBER,
            viber=ViberContent(sms_fallback=False),
        )
    )
    image_only, no_fallback = (form_of(r) for r in simulator.state.requests)
    assert image_only == keyed(
        {
            "text": "",
            "from": "DemoViber",
            "image": "https://example.com/a.png",
            "sms_fallback": "false",
            "to": "306971234561",
        }
    )
    assert no_fallback == keyed(
        {
            "text": "Hi",
            "from": "DemoViber",
            "sms_fallback": "false",
            "to": "306971234561",
        }
    )


async def test_viber_bulk(simulator: RunningSimulator, http: ClientSession) -> None:
    recipients = ("+306971234561", "+4917200", "+306971234562")
    results = await client_for(simulator, http).send(
        OutgoingMessage(recipients=recipients, text="Hi", sender="DemoViber", channel=Channel.VIBER)
    )
    path, form = only_request(simulator)
    assert path == "/api/viber/bulk"
    assert form["to"] == "306971234561,4917200,306971234562"
    assert [r.recipient for r in results] == list(recipients)
    assert [r.error for r in results] == [None, "invalid_recipient", None]
    for result in (results[0], results[2]):
        assert simulator.state.messages[result.message_id or ""].channel == "viber"
        assert (result.price, result.channel) == (1.0, Channel.VIBER)


VIBER_OK = {"recipients": ("+306971234561",), "sender": "DemoViber", "channel": Channel.VIBER}


@pytest.mark.parametrize(
    ("text", "viber", "extra", "code"),
    [
        ("x" * 1001, None, {}, "viber_text"),
        ("Hi", ViberContent(button_text="Go"), {}, "viber_button"),
        ("Hi", ViberContent(button_url="https://e.x"), {}, "viber_button"),
        ("", ViberContent(button_text="Go", button_url="https://e.x"), {}, "viber_button"),
        (
            "",
            ViberContent(image_url="https://e.x/i.png", button_text="Go", button_url="https://e.x"),
            {},
            "viber_button",
        ),
        ("", None, {}, "empty_text"),
        ("Hi", ViberContent(image_url="https://e.x/i.png"), {}, "viber_image_without_button"),
        ("Hi", ViberContent(validity=1799), {}, "viber_validity"),
        ("Hi", ViberContent(validity=86401), {}, "viber_validity"),
        ("Hi", None, {"sender": None}, "viber_sender"),
        ("Hi", None, {"sender": "My Shop"}, "sender"),  # the default fallback sender
        ("Hi", ViberContent(fallback_sender="Not Latin 11"), {}, "sender"),
        ("Hi", ViberContent(fallback_text="€" * 800), {}, "too_long"),
    ],
)
async def test_viber_rules_checked_before_sending(
    simulator: RunningSimulator,
    http: ClientSession,
    text: str,
    viber: ViberContent | None,
    extra: dict[str, object],
    code: str,
) -> None:
    values: dict[str, object] = {**VIBER_OK, "text": text, "viber": viber, **extra}
    message = OutgoingMessage(**values)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError) as err:
        await client_for(simulator, http).send(message)
    assert err.value.provider_code == code
    assert simulator.state.requests == []


async def test_viber_scheduling_unsupported(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    message = OutgoingMessage(
        **VIBER_OK,  # type: ignore[arg-type]
        text="Hi",
        send_at=datetime.now(UTC) + timedelta(hours=1),
    )
    with pytest.raises(UnsupportedError):
        await client_for(simulator, http).send(message)
    assert simulator.state.requests == []


async def test_viber_sender_id_is_not_an_sms_sender(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    client = client_for(simulator, http)
    client.validate(
        OutgoingMessage(
            **{**VIBER_OK, "sender": "My Shop"},  # type: ignore[arg-type]
            text="Hi",
            viber=ViberContent(fallback_sender="MyShop"),
        )
    )
    with pytest.raises(InvalidRequestError):  # but an SMS sender is
        client.validate(OutgoingMessage(recipients=("+306971234561",), text="x", sender="My Shop"))


async def test_delivery_reports_and_status(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    client = client_for(simulator, http)
    results = await client.send(
        OutgoingMessage(recipients=("+306971234561", "+306971234560"), text="x")
    )
    reports = await client.fetch_delivery_reports(limit=10)
    request = simulator.state.requests[-1]
    assert request.path == "/api/status/get"
    assert form_of(request) == {"key": SMS365_API_KEY, "type": "json"}
    by_id: dict[str | None, StatusDetail] = {r.message_id: r.status for r in reports}
    assert by_id[results[0].message_id].status is DeliveryStatus.DELIVERED
    assert by_id[results[1].message_id].status is DeliveryStatus.UNDELIVERABLE
    assert by_id[results[1].message_id].description == "Failed to deliver"
    assert await client.fetch_delivery_reports() == []

    report = await client.get_status(results[0].message_id or "")
    request = simulator.state.requests[-1]
    assert request.path == "/api/status/sms"
    assert form_of(request) == keyed({"smsId": results[0].message_id})
    assert report.message_id == results[0].message_id
    assert report.status.status is DeliveryStatus.DELIVERED


async def test_pending_status(simulator: RunningSimulator, http: ClientSession) -> None:
    simulator.state.report_delay = 60
    client = client_for(simulator, http)
    (result,) = await client.send(OutgoingMessage(recipients=("+306971234561",), text="x"))
    report = await client.get_status(result.message_id or "")
    assert report.status.status is DeliveryStatus.PENDING
    simulator.state.cancel_timers()


async def test_check_mobile(simulator: RunningSimulator, http: ClientSession) -> None:
    client = client_for(simulator, http)
    info = await client.check_mobile("+306971234567")
    path, form = only_request(simulator)
    assert (path, form) == ("/api/mobile/check", {"mobile": "306971234567", "type": "json"})
    assert info.number == "+306971234567"
    assert info.valid
    assert (info.country, info.country_prefix, info.mcc, info.mnc, info.cost) == (
        "Greece",
        "30",
        "202",
        "01",
        1.0,
    )
    invalid = await client.check_mobile("+4412345678900")
    assert (invalid.number, invalid.valid) == ("+4412345678900", False)
    with pytest.raises(InvalidRecipientError) as err:
        await client.check_mobile("")
    assert err.value.provider_code == "205"


@pytest.mark.parametrize(
    ("number", "valid", "status", "ported", "mnc"),
    [
        ("+306971234561", True, DeliveryStatus.DELIVERED, False, "01"),
        ("+306971234568", True, DeliveryStatus.DELIVERED, True, "05"),
        ("+306971234560", False, DeliveryStatus.UNDELIVERABLE, False, "01"),
        ("+306971234569", True, DeliveryStatus.PENDING, False, "01"),
    ],
)
async def test_lookup_number(
    simulator: RunningSimulator,
    http: ClientSession,
    number: str,
    valid: bool,
    status: DeliveryStatus,
    ported: bool,
    mnc: str,
) -> None:
    info = await client_for(simulator, http).lookup_number(number)
    path, form = only_request(simulator)
    assert (path, form) == (
        "/api/hlr/lookup",
        {"key": SMS365_API_KEY, "mobile": number[1:], "type": "json"},
    )
    assert (info.number, info.valid, info.ported, info.mnc) == (number, valid, ported, mnc)
    assert info.status is not None
    assert info.status.status is status
    assert info.status.provider_status == "OK"
    assert (info.country, info.country_prefix, info.mcc) == ("Greece", "30", "202")
    assert info.network


async def test_lookup_invalid_number(simulator: RunningSimulator, http: ClientSession) -> None:
    info = await client_for(simulator, http).lookup_number("+4412345678900")
    assert (info.valid, info.status) == (False, None)
    # 201 is checked before charging.
    assert simulator.state.accounts[DEMO].balance == 100.0
