"""Every documented sms365.gr error code, reproduced by a request (table in data/)."""

import json
from pathlib import Path
import time
from typing import Any
from xml.etree import ElementTree as ET

from aiohttp import ClientSession
import pytest

from simulator import sms365
from simulator.demo import SMS365_API_KEY
from tests.conftest import RunningSimulator

DATA = json.loads((Path(__file__).parent / "data" / "sms365" / "errors.json").read_text())
CASES: list[dict[str, Any]] = DATA["cases"]
DOCUMENTED = {
    101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 201, 205, 300, 301, 302,
    *range(501, 502), *range(503, 519),
}  # fmt: skip


pytestmark = pytest.mark.usefixtures("cancel_scheduled_reports")


async def get_json(
    http: ClientSession, simulator: RunningSimulator, path: str, params: dict[str, str]
) -> dict[str, Any]:
    """GET an endpoint, return the JSON answer."""
    async with http.get(f"{simulator.url}{path}", params=params) as resp:
        assert resp.status == 200
        result: dict[str, Any] = await resp.json()
        return result


async def prepared(name: str, http: ClientSession, simulator: RunningSimulator) -> str:
    """Return an smsId: of an sms just sent, or of one scheduled 30 s ahead."""
    params = {"key": SMS365_API_KEY, "to": "306971234567", "text": "prepared"}
    if name == "soon_sms_id":
        params["timestamp"] = str(int(time.time()) + 30)
    else:
        assert name == "sent_sms_id"
    body = await get_json(http, simulator, "/api/sms/send", params)
    return str(body["smsId"])


def test_table_covers_every_documented_code() -> None:
    assert {case["code"] for case in CASES} == DOCUMENTED
    assert set(sms365.ERRORS) == DOCUMENTED
    for case in CASES:
        if case["code"] != 105 or case["path"] != "/api/hlr/lookup":
            assert sms365.ERRORS[case["code"]] == case["remarks"]


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c['code']}-{c['path'][5:]}-{c['why']}" for c in CASES]
)
async def test_error(
    simulator: RunningSimulator, http: ClientSession, case: dict[str, Any]
) -> None:
    account = simulator.state.accounts["sms365-demo"]
    for name, value in case.get("account", {}).items():
        setattr(account, name, value)
    params = {
        key: SMS365_API_KEY if value == "YOUR-API-KEY" else value
        for key, value in case["params"].items()
    }
    for key, name in case.get("substitute", {}).items():
        params[key] = await prepared(name, http, simulator)
    balance = account.balance
    messages = len(simulator.state.messages)

    body = await get_json(http, simulator, case["path"], params)

    assert body == {"status": 0, "error": case["code"], "remarks": case["remarks"]}
    assert account.balance == balance
    assert len(simulator.state.messages) == messages

    async with http.get(f"{simulator.url}{case['path']}", params={**params, "type": "xml"}) as resp:
        xml = ET.fromstring(await resp.text())
    assert [(e.tag, e.text) for e in xml] == [
        ("status", "0"),
        ("error", str(case["code"])),
        ("remarks", case["remarks"]),
    ]
