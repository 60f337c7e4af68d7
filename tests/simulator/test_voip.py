"""voip-communications.net wire protocol served by the simulator."""

import base64
from datetime import UTC, datetime
import json
from pathlib import Path
import re
from typing import Any

from aiohttp import BasicAuth, ClientSession
import pytest

from simulator.demo import VOIP_API_KEY, VOIP_API_PASSWORD, VOIP_NUMBER
from tests.conftest import RunningSimulator

AUTH = BasicAuth(VOIP_API_KEY, VOIP_API_PASSWORD)
SEND = "/api-v2/index.php/sms/send"
EXAMPLES = json.loads((Path(__file__).parent / "data" / "voip" / "examples.json").read_text())


async def _post(
    sim: RunningSimulator,
    http: ClientSession,
    form: dict[str, str],
    auth: BasicAuth | None = AUTH,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    async with http.post(f"{sim.url}{SEND}", data=form, auth=auth, headers=headers) as resp:
        if resp.content_type == "text/plain":
            return resp.status, await resp.text()
        return resp.status, await resp.json()


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["name"] for e in EXAMPLES])
async def test_doc_examples(
    simulator: RunningSimulator, http: ClientSession, example: dict[str, Any]
) -> None:
    """Each documented request gets the documented answer, field by field.

    The documented response example says ``"type": "BULKSMS"`` although its
    ``from`` is set, while the prose says a message with ``from`` is a 2 Way
    SMS: the simulator follows the prose.
    """
    status, body = await _post(simulator, http, example["form"])
    assert status == 200
    assert list(body) == list(example["expected"])
    for got, want in zip(body["send_log"], example["expected"]["send_log"], strict=True):
        assert list(got) == list(want)
        for key, value in want.items():
            if value == "<id>":
                assert re.fullmatch(r"[0-9a-f]{27}", got[key])
                assert got[key] in simulator.state.messages
            elif value == "<now>":
                assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", got[key])
            else:
                assert got[key] == value, key


async def test_multiple_destinations_and_charging(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    account = simulator.state.accounts["voip-demo"]
    before = account.balance
    long_text = "x" * 161  # two segments of 153
    status, body = await _post(
        simulator, http, {"to": "12812345678, 306971000000", "msg": long_text}
    )
    assert status == 200
    log = body["send_log"]
    assert [(e["to"], e["country"], e["sale"]) for e in log] == [
        ("12812345678", "US", 0.02),
        ("306971000000", "GR", 0.02),
    ]
    assert account.balance == pytest.approx(before - 0.04)
    assert {m.segments for m in simulator.state.messages.values()} == {2}


async def test_per_destination_errors(simulator: RunningSimulator, http: ClientSession) -> None:
    status, body = await _post(simulator, http, {"to": "123", "msg": "x"})
    assert status == 200
    assert body["send_log"][0] | {"delivery_date": None} == {
        "code": 400,
        "code_desc": "Invalid destination number",
        "from": "",
        "to": "123",
        "country": "",
        "msg": "x",
        "delivery_date": None,
        "sale": 0,
        "type": "BULKSMS",
        "status": "ERROR",
        "smsid": "",
    }
    status, body = await _post(
        simulator, http, {"from": "15550001111", "to": "12812345678", "msg": "x"}
    )
    assert body["send_log"][0]["code"] == 403
    simulator.state.accounts["voip-demo"].balance = 0.001
    status, body = await _post(
        simulator, http, {"from": VOIP_NUMBER, "to": "12812345678", "msg": "x"}
    )
    assert (body["send_log"][0]["code"], body["send_log"][0]["code_desc"]) == (
        402,
        "Insufficient balance",
    )
    assert simulator.state.messages == {}


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer abc",
        "Basic !!!notbase64",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"demo-voip-key:wrong").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
    ],
)
async def test_bad_credentials_401(
    simulator: RunningSimulator, http: ClientSession, header: str | None
) -> None:
    headers = {"Authorization": header} if header else None
    status, body = await _post(simulator, http, {"to": "12812345678", "msg": "x"}, None, headers)
    assert status == 401
    assert body == {"code": 401, "code_desc": "Invalid api credentials"}
    assert simulator.state.messages == {}


async def test_credential_check_without_sending(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    """An empty POST tells good credentials (400) from bad ones (401), sending nothing."""
    assert (await _post(simulator, http, {}))[0] == 400
    assert (await _post(simulator, http, {}, BasicAuth(VOIP_API_KEY, "bad")))[0] == 401
    assert simulator.state.messages == {}


@pytest.mark.parametrize(
    ("form", "desc"),
    [
        ({"msg": "x"}, "Missing required parameter: to"),
        ({"to": "12812345678", "msg": " "}, "Missing required parameter: msg"),
        (
            {"to": "12812345678", "msg": "x", "delivery_date": "next tuesday"},
            "Invalid parameter: delivery_date",
        ),
    ],
)
async def test_bad_requests(
    simulator: RunningSimulator, http: ClientSession, form: dict[str, str], desc: str
) -> None:
    """A refused request answers plain text: the document shows no error body."""
    assert await _post(simulator, http, form) == (400, desc)
    assert simulator.state.messages == {}


@pytest.mark.parametrize(
    "date", ["2099-10-01 00:00", "2099-10-01 00:00:00", "2099-10-01", "2099-10-01T00:00:00"]
)
async def test_delivery_date_formats(
    simulator: RunningSimulator, http: ClientSession, date: str
) -> None:
    _, body = await _post(simulator, http, {"to": "12812345678", "msg": "x", "delivery_date": date})
    assert body["send_log"][0]["delivery_date"] == "2099-10-01 00:00:00"
    assert body["send_log"][0]["status"] == "SCHEDULED"
    simulator.state.cancel_timers()


async def test_doc_example_delivery_date_is_us_central(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    """The PHP example's ``2010-01-01 13:15`` names no zone: the site's, US Central."""
    _, body = await _post(
        simulator, http, {"to": "12812345678", "msg": "x", "delivery_date": "2010-01-01 13:15"}
    )
    (entry,) = body["send_log"]
    assert (entry["delivery_date"], entry["status"]) == ("2010-01-01 13:15:00", "SENT")
    message = simulator.state.messages[entry["smsid"]]
    assert message.send_at == datetime(2010, 1, 1, 19, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    "date",
    ["2099-10-01T09:30:00+00:00", "2099-10-01T09:30:00Z", "2099-10-01T12:30:00+03:00"],
)
async def test_delivery_date_with_offset_is_read_in_its_offset(
    simulator: RunningSimulator, http: ClientSession, date: str
) -> None:
    _, body = await _post(simulator, http, {"to": "12812345678", "msg": "x", "delivery_date": date})
    (entry,) = body["send_log"]
    # Shown in the provider's zone: 09:30 UTC is 04:30 Central (daylight time).
    assert (entry["delivery_date"], entry["status"]) == ("2099-10-01 04:30:00", "SCHEDULED")
    assert simulator.state.messages[entry["smsid"]].send_at == datetime(
        2099, 10, 1, 9, 30, tzinfo=UTC
    )
    simulator.state.cancel_timers()
