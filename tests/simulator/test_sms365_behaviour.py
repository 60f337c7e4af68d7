"""sms365.gr behaviour served by the simulator, over real HTTP."""

import asyncio
from collections.abc import Callable
import json
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aiohttp import ClientSession, FormData
import pytest

from simulator import sms365
from simulator.core import finalize
from simulator.demo import SMS365_API_KEY, SMS365_PASSWORD, SMS365_USERNAME
from simulator.text import garble
from tests.conftest import Receiver, RunningSimulator

KEY = SMS365_API_KEY
DELIVERED = "306971234567"  # ends in 7: delivered (and no Viber)
UNDELIVERABLE = "306971000000"  # ends in 0
EXPIRED = "306971000009"  # ends in 9
VIBER_OK = "306971234561"  # ends in 1: delivered by Viber


pytestmark = pytest.mark.usefixtures("cancel_scheduled_reports")


@pytest.fixture
def account(simulator: RunningSimulator) -> Any:
    """The demo sms365 account."""
    return simulator.state.accounts["sms365-demo"]


async def call(
    http: ClientSession,
    simulator: RunningSimulator,
    endpoint: str,
    method: str = "GET",
    **params: str,
) -> dict[str, Any]:
    """Call ``/api/<endpoint>`` with the demo key; return the JSON answer."""
    params.setdefault("key", KEY)
    kwargs: dict[str, Any] = {"params": params} if method == "GET" else {"data": params}
    async with http.request(method, f"{simulator.url}/api/{endpoint}", **kwargs) as resp:
        assert resp.status == 200
        assert resp.content_type == "application/json"
        body: dict[str, Any] = await resp.json()
    return body


async def send(
    http: ClientSession, simulator: RunningSimulator, to: str = DELIVERED, **params: str
) -> dict[str, Any]:
    """sms/send, asserting success."""
    params.setdefault("text", "hello")
    body = await call(http, simulator, "sms/send", to=to, **params)
    assert body["error"] == 0, body
    return body


async def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait (polling) until a condition holds, or fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition never held"
        await asyncio.sleep(0.01)


# -- encoding and charging ------------------------------------------------------------


async def test_non_gsm_text_without_ucs_is_delivered_garbled(
    simulator: RunningSimulator, http: ClientSession, account: Any
) -> None:
    text = "Γειά σου κόσμε"
    body = await send(http, simulator, text=text)
    message = simulator.state.messages[body["smsId"]]
    assert message.garbled is True
    assert message.extra["delivered_text"] == garble(text)
    assert "?" in message.extra["delivered_text"]
    assert message.encoding == "GSM7"
    assert message.text == text
    assert body["cost"] == 1
    assert account.balance == 99


async def test_ucs_counts_ucs2_segments_and_is_not_garbled(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    body = await send(http, simulator, text="κ" * 71, ucs="true")
    message = simulator.state.messages[body["smsId"]]
    assert (message.encoding, message.segments, message.garbled) == ("UCS2", 2, False)
    assert "delivered_text" not in message.extra
    assert (body["cost"], body["balance"]) == (2, 98)


async def test_balance_decreases_per_segment(
    simulator: RunningSimulator, http: ClientSession, account: Any
) -> None:
    first = await send(http, simulator, text="x" * 161)
    assert (first["cost"], first["balance"]) == (2, 98)
    second = await send(http, simulator, text="x" * 160)
    assert (second["cost"], second["balance"]) == (1, 97)
    account.price_per_segment = 0.5
    third = await send(http, simulator, text="x" * 307)
    assert (third["cost"], third["balance"]) == (1.5, 95.5)
    assert (await call(http, simulator, "me/balance"))["balance"] == 95.5
    assert (await call(http, simulator, "balance/get"))["balance"] == 95.5


async def test_flash_sms(simulator: RunningSimulator, http: ClientSession) -> None:
    body = await send(http, simulator, flash="TRUE", **{"from": "Shop"})
    message = simulator.state.messages[body["smsId"]]
    assert (message.channel, message.sender) == ("flash", "Shop")
    plain = await send(http, simulator, flash="no")
    assert simulator.state.messages[plain["smsId"]].channel == "sms"


async def test_bulk_charges_every_accepted_number(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    body = await call(
        http, simulator, "sms/bulk", to=f"{DELIVERED},,bad,{UNDELIVERABLE}", text="hi"
    )
    assert (body["accepted"], body["rejected"], body["balance"]) == (2, 1, 98)
    assert body["id"]["value"] == [s["smsId"] for s in body["sms"]]
    messages = [simulator.state.messages[s["smsId"]] for s in body["sms"]]
    assert [m.to for m in messages] == [DELIVERED, UNDELIVERABLE]
    assert messages[0].bulk_id is not None
    assert messages[0].bulk_id == messages[1].bulk_id


# -- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mobile", "msisdn", "mcc", "mnc"),
    [
        ("+30 697-123-4567", "306971234567", "202", "01"),
        ("6931234567", "306931234567", "202", "10"),  # Greek national format
        ("0030 695 123 4567", "306951234567", "202", "05"),
        ("306901234567", "306901234567", "202", "01"),  # carrier unknown: first network
        ("447400123456", "447400123456", "234", "20"),
        ("12812345678", "12812345678", "310", "01"),  # known MCC, no network table
        ("818012345678", "818012345678", "", ""),  # Japan: not in the table
    ],
)
async def test_mobile_check_parses_any_input(
    simulator: RunningSimulator,
    http: ClientSession,
    mobile: str,
    msisdn: str,
    mcc: str,
    mnc: str,
) -> None:
    body = await call(http, simulator, "mobile/check", mobile=mobile, key="")
    assert body["error"] == 0, body
    assert (body["mobile"]["msisdn"], body["mobile"]["mcc"], body["mobile"]["mnc"]) == (
        msisdn,
        mcc,
        mnc,
    )
    assert body["mobile"]["cost"] == 1


async def test_mobile_check_cost_is_the_account_price_with_a_key(
    simulator: RunningSimulator, http: ClientSession, account: Any
) -> None:
    account.price_per_segment = 0.8
    body = await call(http, simulator, "mobile/check", mobile=DELIVERED)
    assert body["mobile"]["cost"] == 0.8
    assert body["mobile"]["national"] == "6971234567"
    assert simulator.state.requests[-1].account_id is None


# -- scheduling -----------------------------------------------------------------------------


async def test_schedule_and_cancel(
    simulator: RunningSimulator, http: ClientSession, account: Any
) -> None:
    body = await send(http, simulator, timestamp=str(int(time.time()) + 3600))
    sms_id = body["smsId"]
    assert body["balance"] == 99
    message = simulator.state.messages[sms_id]
    assert message.status == "scheduled"
    assert message.send_at is not None
    status = await call(http, simulator, "status/sms", smsId=sms_id)
    assert status["sms"] == {"smsId": sms_id, "status": "s"}

    cancel = await call(http, simulator, "sms/cancel", method="POST", smsId=sms_id)
    assert cancel == {"smsId": sms_id, "status": 1, "error": 0, "remarks": "Success"}
    assert account.balance == 100
    assert message.status == "canceled"
    assert (await call(http, simulator, "status/sms", smsId=sms_id))["error"] == 109
    assert (await call(http, simulator, "sms/cancel", smsId=sms_id))["error"] == 109
    finalize(simulator.app, sms_id)  # the timer firing later changes nothing
    assert message.status == "canceled"
    assert (await call(http, simulator, "status/get"))["total"] == 0


async def test_timestamp_in_the_past_sends_at_once(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    body = await send(http, simulator, timestamp=str(int(time.time()) - 60))
    message = simulator.state.messages[body["smsId"]]
    assert (message.status, message.send_at) == ("delivered", None)
    assert (await call(http, simulator, "sms/cancel", smsId=body["smsId"]))["error"] == 110


async def test_scheduled_sms_goes_out_at_its_time(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    body = await call(
        http,
        simulator,
        "sms/bulk",
        to=DELIVERED,
        text="later",
        timestamp=str(int(time.time()) + 1),
    )
    (sms_id,) = body["id"]["value"]
    for _ in range(300):
        status = await call(http, simulator, "status/sms", smsid=sms_id)
        if status["sms"]["status"] != "s":
            break
        await asyncio.sleep(0.01)
    assert status["sms"]["status"] == "d"


async def test_cancel_refuses_other_accounts_messages(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    simulator.state.add_account("sms365", id="other", api_key="other-key")
    body = await send(http, simulator, timestamp=str(int(time.time()) + 3600))
    other = await call(http, simulator, "sms/cancel", key="other-key", smsId=body["smsId"])
    assert other["error"] == 109


# -- delivery reports ---------------------------------------------------------------------


def query_of(path_qs: str) -> list[tuple[str, str]]:
    """Return the query parameters of a captured request, in order."""
    return parse_qsl(urlsplit(path_qs).query, keep_blank_values=True)


async def test_callback_gets_the_report_appended_to_its_query(
    simulator: RunningSimulator, http: ClientSession, receiver: Receiver
) -> None:
    ok = await send(http, simulator, callback=f"{receiver.url}/callback?id=yourmsgid")
    failed = await send(http, simulator, to=UNDELIVERABLE, callback=f"{receiver.url}/plain")
    expired = await send(http, simulator, to=EXPIRED, callback=f"{receiver.url}/plain")
    await simulator.drain()

    first = next(r for r in receiver.requests if r.path_qs.startswith("/callback?"))
    assert first.method == "GET"
    assert first.body == ""
    assert query_of(first.path_qs) == [
        ("id", "yourmsgid"),
        ("msgid", ok["smsId"]),
        ("status", "d"),
        ("cost", "1"),
        ("to", DELIVERED),
        ("mcc", "202"),
        ("mnc", "01"),
    ]
    plain = [
        dict(query_of(r.path_qs)) for r in receiver.requests if r.path_qs.startswith("/plain?")
    ]
    statuses = {q["msgid"]: q["status"] for q in plain}
    assert statuses == {failed["smsId"]: "f", expired["smsId"]: "f"}
    assert [(p.kind, p.provider, p.method, p.status) for p in simulator.state.pushes] == [
        ("delivery_report", "sms365", "GET", 200)
    ] * 3
    assert simulator.state.pending_reports["sms365"] == []


@pytest.mark.parametrize(
    ("endpoint", "params"),
    [
        ("sms/bulk", {"to": f"{DELIVERED},{UNDELIVERABLE}", "text": "hi"}),
        ("viber/send", {"to": VIBER_OK, "text": "hi", "from": "DemoViber"}),
        ("viber/bulk", {"to": f"{VIBER_OK},{DELIVERED}", "text": "hi", "from": "DemoViber"}),
    ],
)
async def test_callback_only_on_sms_send(
    simulator: RunningSimulator,
    http: ClientSession,
    receiver: Receiver,
    endpoint: str,
    params: dict[str, str],
) -> None:
    """The doc has ``callback`` on sms/send alone: elsewhere it is ignored; poll status/get."""
    body = await call(http, simulator, endpoint, callback=f"{receiver.url}/cb", **params)
    assert body["error"] == 0, body
    await simulator.drain()
    assert (receiver.requests, simulator.state.pushes) == ([], [])
    ids = [m.id for m in simulator.state.messages.values() if "fallback_for" not in m.extra]
    statuses = await call(http, simulator, "status/get")
    assert set(ids) <= {entry["smsId"] for entry in statuses["sms"]}


async def test_no_callback_no_push(simulator: RunningSimulator, http: ClientSession) -> None:
    body = await send(http, simulator)
    assert simulator.state.pushes == []
    assert simulator.state.pending_reports["sms365"] == [body["smsId"]]


async def test_status_get_returns_each_change_once(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    simulator.state.add_account("sms365", id="other", api_key="other-key")
    first = await send(http, simulator)
    second = await send(http, simulator, to=UNDELIVERABLE)
    theirs = await send(http, simulator, key="other-key")
    simulator.state.changed_status.append(first["smsId"])  # a duplicate entry
    body = await call(http, simulator, "status/get")
    assert body["sms"] == [
        {"smsId": first["smsId"], "status": "d"},
        {"smsId": second["smsId"], "status": "f"},
    ]
    assert body["total"] == 2
    again = await call(http, simulator, "status/get")
    assert (again["sms"], again["total"]) == ([], 0)
    third = await send(http, simulator)
    assert (await call(http, simulator, "status/get"))["sms"] == [
        {"smsId": third["smsId"], "status": "d"}
    ]
    other = await call(http, simulator, "status/get", key="other-key")
    assert other["sms"] == [{"smsId": theirs["smsId"], "status": "d"}]


async def test_status_letter_the_doc_does_not_list(
    simulator: RunningSimulator, http: ClientSession, receiver: Receiver
) -> None:
    """``extra["status_letter"]`` sends a letter beyond d/f/s, as a real server may."""
    body = await send(http, simulator)
    simulator.state.messages[body["smsId"]].extra["status_letter"] = "q"
    assert (await call(http, simulator, "status/get"))["sms"] == [
        {"smsId": body["smsId"], "status": "q"}
    ]
    assert (await call(http, simulator, "status/sms", smsId=body["smsId"]))["sms"]["status"] == "q"


# -- Viber ------------------------------------------------------------------------------


async def test_viber_fallback_sms_for_a_number_without_viber(
    simulator: RunningSimulator, http: ClientSession, account: Any
) -> None:
    body = await call(
        http,
        simulator,
        "viber/send",
        to=DELIVERED,
        text="viber text",
        sms_fallback="true",
        sms_text="fallback text",
        sms_from="Shop",
        **{"from": "DemoViber"},
    )
    assert (body["cost"], body["balance"]) == (1, 49)
    viber = simulator.state.messages[body["id"]]
    assert (viber.channel, viber.status, viber.sender) == ("viber", "undeliverable", "DemoViber")
    sms = simulator.state.messages[viber.extra["fallback_sms"]]
    assert (sms.channel, sms.status, sms.text, sms.sender) == (
        "sms",
        "delivered",
        "fallback text",
        "Shop",
    )
    assert sms.extra["fallback_for"] == viber.id
    assert account.balance == 99
    assert account.viber_senders["DemoViber"] == 49
    statuses = await call(http, simulator, "status/get")
    assert statuses["sms"] == [
        {"smsId": viber.id, "status": "f"},
        {"smsId": sms.id, "status": "d"},
    ]
    assert (await call(http, simulator, "status/sms", smsId=viber.id))["sms"]["status"] == "f"


async def test_viber_fallback_uses_the_viber_text_and_fallback_settings(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    body = await call(
        http,
        simulator,
        "viber/send",
        method="POST",
        to=UNDELIVERABLE,
        text="Γειά",
        sms_fallback="1",
        flash="true",
        button_caption="Go",
        button_action="https://example.com",
        image="https://example.com/i.png",
        validity="60",
        all_devices="false",
        **{"from": "DemoViber"},
    )
    viber = simulator.state.messages[body["id"]]
    assert viber.extra["validity"] == 60  # minutes (error 513's unit)
    assert viber.extra["all_devices"] is False
    assert viber.validity_period_ms == 60 * 60_000
    sms = simulator.state.messages[viber.extra["fallback_sms"]]
    assert (sms.text, sms.channel, sms.sender, sms.garbled, sms.status) == (
        "Γειά",
        "flash",
        None,
        True,
        "undeliverable",
    )


@pytest.mark.parametrize(
    ("validity", "minutes"),
    [("600", 600), ("30", 30), ("1440", 1440), ("", 1440)],
    ids=["doc_example", "lowest", "highest", "default"],
)
async def test_viber_validity_is_in_minutes(
    simulator: RunningSimulator, http: ClientSession, validity: str, minutes: int
) -> None:
    """Error 513's range, 30 to 1440 minutes; the doc's example 600 is 10 hours."""
    params = {"validity": validity} if validity else {}
    body = await call(
        http, simulator, "viber/send", to=VIBER_OK, text="hi", **params, **{"from": "DemoViber"}
    )
    assert body["error"] == 0, body
    viber = simulator.state.messages[body["id"]]
    assert (viber.extra["validity"], viber.validity_period_ms) == (minutes, minutes * 60_000)


@pytest.mark.parametrize("validity", ["29", "1441", "86400", "1800.5"])
async def test_viber_validity_outside_30_to_1440_minutes_is_513(
    simulator: RunningSimulator, http: ClientSession, validity: str
) -> None:
    body = await call(
        http, simulator, "viber/send", to=VIBER_OK, text="hi", validity=validity,
        **{"from": "DemoViber"},
    )  # fmt: skip
    assert (body["status"], body["error"]) == (0, 513)
    assert simulator.state.messages == {}


async def test_viber_delivered_or_without_fallback_sends_no_sms(
    simulator: RunningSimulator, http: ClientSession, account: Any
) -> None:
    delivered = await call(
        http, simulator, "viber/send", to=VIBER_OK, text="hi", sms_fallback="true",
        all_devices="TRUE", **{"from": "DemoViber"},
    )  # fmt: skip
    viber = simulator.state.messages[delivered["id"]]
    assert viber.status == "delivered"
    assert viber.extra["all_devices"] is True
    no_fallback = await call(
        http, simulator, "viber/send", to=DELIVERED, text="hi", **{"from": "DemoViber"}
    )
    assert simulator.state.messages[no_fallback["id"]].status == "undeliverable"
    image_only = await call(
        http, simulator, "viber/send", to=DELIVERED, image="https://example.com/i.png",
        sms_fallback="true", **{"from": "DemoViber"},
    )  # fmt: skip
    assert image_only["error"] == 0
    assert "fallback_sms" not in simulator.state.messages[image_only["id"]].extra
    assert len(simulator.state.messages) == 3
    assert account.balance == 100
    assert account.viber_senders["DemoViber"] == 47


async def test_viber_fallback_skipped_without_sms_balance(
    simulator: RunningSimulator, http: ClientSession, account: Any
) -> None:
    account.balance = 0
    body = await call(
        http, simulator, "viber/send", to=DELIVERED, text="hi", sms_fallback="true",
        **{"from": "DemoViber"},
    )  # fmt: skip
    viber = simulator.state.messages[body["id"]]
    assert viber.extra["fallback_error"] == 105
    assert len(simulator.state.messages) == 1


async def test_viber_bulk(simulator: RunningSimulator, http: ClientSession) -> None:
    body = await call(
        http, simulator, "viber/bulk", to=f"{VIBER_OK},12345,{DELIVERED}", text="hi",
        sms_fallback="true", **{"from": "DemoViber"},
    )  # fmt: skip
    assert (body["accepted"], body["rejected"], body["balance"]) == (2, 1, 48)
    assert [m["msisdn"] for m in body["messages"]] == [VIBER_OK, DELIVERED]
    assert body["id"]["value"] == [m["id"] for m in body["messages"]]
    messages = [simulator.state.messages[m["id"]] for m in body["messages"]]
    assert [m.status for m in messages] == ["delivered", "undeliverable"]
    assert messages[0].bulk_id == messages[1].bulk_id is not None


async def test_viber_balance_lists_every_sender(
    simulator: RunningSimulator, http: ClientSession, account: Any
) -> None:
    account.viber_senders["Paused\nOne"] = 2.5
    account.paused_viber_senders = ["Paused\nOne"]
    body = await call(http, simulator, "viber/balance")
    assert body["senders"]["sender"] == [
        {"senderId": "DemoViber", "text": "DemoViber", "balance": 50, "twoway": False, "paused": False},
        {"senderId": "Paused\nOne", "text": "Paused\nOne", "balance": 2.5, "twoway": False, "paused": True},
    ]  # fmt: skip
    async with http.get(
        f"{simulator.url}/api/viber/balance", params={"key": KEY, "type": "v2"}
    ) as resp:
        assert resp.content_type == "text/plain"
        text = await resp.text()
    assert "senders.sender.1.senderId=Paused One\n" in text
    assert "senders.sender.1.paused=true\n" in text
    assert text.endswith("status=1\nerror=0\nremarks=Success\n")


async def test_viber_balance_without_any_viber_sender_is_an_error(
    simulator: RunningSimulator, http: ClientSession, account: Any
) -> None:
    """No approved Viber sender: viber/balance errs while me/balance answers."""
    account.viber_senders.clear()
    body = await call(http, simulator, "viber/balance")
    assert (body["status"], body["error"]) == (0, 503)
    assert body["remarks"].startswith("Paramater from is not authorized")
    assert (await call(http, simulator, "me/balance"))["balance"] == 100


# -- HLR ------------------------------------------------------------------------------------


async def test_hlr_lookup_converts_one_sms_into_ten_lookups(
    simulator: RunningSimulator, http: ClientSession, account: Any
) -> None:
    for _ in range(10):
        body = await call(http, simulator, "hlr/lookup", mobile=DELIVERED)
        assert body["error"] == 0
        assert account.balance == 99
    assert simulator.app[sms365.HLR_BALANCE_KEY]["sms365-demo"] == 0
    await call(http, simulator, "hlr/lookup", mobile=DELIVERED)
    assert account.balance == 98
    account.balance = 0.5
    assert (await call(http, simulator, "hlr/lookup", mobile=DELIVERED))["error"] == 0
    assert account.balance == 0.5


@pytest.mark.parametrize(
    ("mobile", "expected"),
    [
        (DELIVERED, {"description": "Active", "network": "Cosmote", "mnc": "01", "ported": "no"}),
        (UNDELIVERABLE, {"description": "Unknown subscriber", "ported": "no"}),
        (EXPIRED, {"description": "Absent subscriber"}),
        ("306971000008", {"ported": "yes", "mnc": "05", "mncInitial": "01", "network": "Vodafone"}),
        ("306931000008", {"ported": "yes", "mnc": "01", "mncInitial": "10", "network": "Cosmote"}),
        ("447400123456", {"cctld": "uk", "mcc": "234", "country": "United Kingdom"}),
        ("12812345678", {"ported": "no", "mnc": "01", "network": "Unknown", "cctld": "us"}),
    ],
)
async def test_hlr_lookup_results(
    simulator: RunningSimulator, http: ClientSession, mobile: str, expected: dict[str, str]
) -> None:
    body = await call(http, simulator, "hlr/lookup", mobile=mobile)
    assert body["result"] == "OK"
    assert {k: body[k] for k in expected} == expected


# -- 2FA --------------------------------------------------------------------------------------


async def test_2fa_send_and_check(
    simulator: RunningSimulator, http: ClientSession, account: Any
) -> None:
    body = await call(http, simulator, "2fa/send", to=DELIVERED, **{"from": "Bank"})
    assert body["authStatus"] == "d"
    auth = simulator.state.twofa[body["authId"]]
    code = auth["code"]
    message = simulator.state.messages[auth["message_id"]]
    assert message.text == f"Your authentication code is {code}"
    assert (message.sender, message.extra["twofa"]) == ("Bank", body["authId"])
    assert len(code) == 4
    assert code.isdigit()
    wrong = "0000" if code != "0000" else "1111"
    check = await call(http, simulator, "2fa/check", authId=body["authId"], code=code)
    assert check["auth"] == "ok"
    assert (await call(http, simulator, "2fa/check", authId=body["authId"], code=wrong))[
        "auth"
    ] == "nok"
    assert (await call(http, simulator, "2fa/check", authId=body["authId"], code=code))[
        "auth"
    ] == "ok"
    simulator.state.add_account("sms365", id="other", api_key="other-key")
    other = await call(
        http, simulator, "2fa/check", key="other-key", authId=body["authId"], code=code
    )
    assert other["error"] == 302


async def test_2fa_text_with_and_without_placeholder(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    body = await call(http, simulator, "2fa/send", to=UNDELIVERABLE, text="Code: %%CODE%%!")
    assert body["authStatus"] == "f"
    auth = simulator.state.twofa[body["authId"]]
    assert simulator.state.messages[auth["message_id"]].text == f"Code: {auth['code']}!"
    plain = await call(http, simulator, "2fa/send", to=DELIVERED, text="No code here")
    auth = simulator.state.twofa[plain["authId"]]
    assert simulator.state.messages[auth["message_id"]].text == "No code here"


async def test_2fa_waits_for_the_report(simulator: RunningSimulator, http: ClientSession) -> None:
    simulator.state.report_delay = 0.1
    waited = await call(http, simulator, "2fa/send", to=DELIVERED, wait="5")
    assert waited["authStatus"] == "d"
    default = await call(http, simulator, "2fa/send", to=DELIVERED, wait="soon")
    assert default["authStatus"] == "d"  # invalid wait: the default 10 s
    short = await call(http, simulator, "2fa/send", to=DELIVERED, wait="0.01")
    assert short["authStatus"] == "s"  # timed out
    negative = await call(http, simulator, "2fa/send", to=DELIVERED, wait="-3")
    assert negative["authStatus"] == "s"
    assert simulator.app[sms365.WAITERS_KEY] == {}
    for body in (short, negative):
        message = simulator.state.messages[simulator.state.twofa[body["authId"]]["message_id"]]
        await wait_until(lambda m=message: m.status != "pending")
        assert message.status == "delivered"


async def test_2fa_with_callback_answers_at_once_and_reports_later(
    simulator: RunningSimulator, http: ClientSession, receiver: Receiver
) -> None:
    simulator.state.report_delay = 0.05
    body = await call(http, simulator, "2fa/send", to=DELIVERED, callback=f"{receiver.url}/2fa")
    assert body["authStatus"] == "s"
    await wait_until(lambda: bool(simulator.state.pushes))
    await simulator.drain()
    (request,) = receiver.requests
    auth = simulator.state.twofa[body["authId"]]
    query = dict(query_of(request.path_qs))
    assert (query["msgid"], query["status"], query["to"]) == (auth["message_id"], "d", DELIVERED)


# -- keys, formats, parameters and the request log ------------------------------------------


async def test_key_get_and_reset(
    simulator: RunningSimulator, http: ClientSession, account: Any
) -> None:
    login = {"username": SMS365_USERNAME, "password": SMS365_PASSWORD, "key": ""}
    assert (await call(http, simulator, "key/get", **login))["key"] == KEY
    assert (await call(http, simulator, "key/get"))["key"] == KEY  # key instead of login
    reset = await call(http, simulator, "key/reset", method="POST", **login)
    new_key = reset["key"]
    assert new_key != KEY
    assert account.api_key == new_key
    assert (await call(http, simulator, "me/balance"))["error"] == 101
    assert (await call(http, simulator, "me/balance", key=new_key))["balance"] == 100
    again = await call(http, simulator, "key/reset", key=new_key)
    assert again["key"] not in (KEY, new_key)


async def test_request_log_has_the_account(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    simulator.state.requests.clear()
    await send(http, simulator)
    await call(http, simulator, "me/balance", key="wrong")
    await call(http, simulator, "mobile/check", mobile=DELIVERED)
    await call(
        http, simulator, "key/get", key="", username=SMS365_USERNAME, password=SMS365_PASSWORD
    )
    assert [(r.path, r.provider, r.account_id) for r in simulator.state.requests] == [
        ("/api/sms/send", "sms365", "sms365-demo"),
        ("/api/me/balance", "sms365", None),
        ("/api/mobile/check", "sms365", None),  # no authentication
        ("/api/key/get", "sms365", "sms365-demo"),
    ]


async def test_post_body_wins_over_query_and_files_are_ignored(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    form = FormData()
    form.add_field("key", KEY)
    form.add_field("type", "json")
    form.add_field("text", b"a file", filename="text.txt")
    async with http.post(
        f"{simulator.url}/api/sms/send",
        params={"to": DELIVERED, "type": "xml", "text": "from the query"},
        data=form,
    ) as resp:
        body = json.loads(await resp.text())
    message = simulator.state.messages[body["smsId"]]
    assert message.text == "from the query"
    async with http.post(
        f"{simulator.url}/api/me/balance",
        params={"key": "wrong", "type": "xml"},
        data={"key": KEY, "type": "json"},
    ) as resp:
        assert (await resp.json())["balance"] == 99


async def test_multipart_with_charsets_and_odd_parts(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    boundary = "XyZ"
    body = (
        (
            "--XyZ\r\n"
            'Content-Disposition: form-data; name="key"\r\n\r\n'
            f"{KEY}\r\n"
            "--XyZ\r\n"
            'Content-Disposition: form-data; name="to"\r\n\r\n'
            f"{DELIVERED}\r\n"
            "--XyZ\r\n"
            'Content-Disposition: form-data; name="text"\r\n'
            "Content-Type: text/plain; charset=iso-8859-7\r\n\r\n"
        ).encode("ascii")
        + "Καλημέρα".encode("iso-8859-7")
        + (
            "\r\n--XyZ\r\n"
            'Content-Disposition: form-data; name="from"\r\n'
            "Content-Type: multipart/mixed; boundary=Inner\r\n\r\n"
            "--Inner\r\n\r\nnested\r\n--Inner--\r\n"
            "\r\n--XyZ\r\n"
            "Content-Disposition: form-data\r\n\r\n"
            "no name\r\n"
            "--XyZ\r\n"
            'Content-Disposition: form-data; name="flash"; filename="f.txt"\r\n\r\n'
            "true\r\n"
            "--XyZ--\r\n"
        ).encode("ascii")
    )
    async with http.post(
        f"{simulator.url}/api/sms/send",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    ) as resp:
        answer = await resp.json()
    message = simulator.state.messages[answer["smsId"]]
    assert (message.text, message.sender, message.channel) == ("Καλημέρα", None, "sms")


async def test_unknown_type_answers_json_and_head_is_not_routed(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    body = await call(http, simulator, "me/balance", type="csv")
    assert body["balance"] == 100
    async with http.head(f"{simulator.url}/api/me/balance", params={"key": KEY}) as resp:
        assert resp.status == 405
    async with http.put(f"{simulator.url}/api/sms/send", params={"key": KEY}) as resp:
        assert resp.status == 405


async def test_ids_are_fresh(
    simulator: RunningSimulator, http: ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await send(http, simulator)
    taken = int(first["smsId"]) - 10**14
    values = iter([taken, taken, 5])
    monkeypatch.setattr(sms365.secrets, "randbelow", lambda _n: next(values))
    second = await send(http, simulator)
    assert second["smsId"] == str(10**14 + 5)
