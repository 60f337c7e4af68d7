"""Fault rules with ``skip``: let the first N matching requests through, then fail."""

from typing import Any

from aiohttp import ClientSession, encode_basic_auth

from simulator.demo import VOIP_API_KEY, VOIP_API_PASSWORD
from tests.conftest import RunningSimulator

VOIP_SEND = "/api-v2/index.php/sms/send"
AUTH = {"Authorization": encode_basic_auth(VOIP_API_KEY, VOIP_API_PASSWORD)}


async def _send(sim: RunningSimulator, http: ClientSession) -> int:
    async with http.post(
        f"{sim.url}{VOIP_SEND}", data={"to": "306971234567", "msg": "hello"}, headers=AUTH
    ) as resp:
        await resp.read()
        return resp.status


async def _ctl(
    http: ClientSession, method: str, url: str, body: Any = None, status: int = 200
) -> Any:
    async with http.request(method, url, json=body) as resp:
        assert resp.status == status, await resp.text()
        return await resp.json()


async def test_skip_lets_the_first_requests_through(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    rule = await _ctl(
        http,
        "POST",
        f"{simulator.url}/_sim/faults",
        {"kind": "status", "status": 429, "provider": "voip", "skip": 2, "count": 1},
        201,
    )
    assert (rule["skip"], rule["skipped"], rule["hits"]) == (2, 0, 0)
    assert [await _send(simulator, http) for _ in range(4)] == [200, 200, 429, 200]
    log = await _ctl(http, "GET", f"{simulator.url}/_sim/requests")
    assert [e["fault"] for e in log] == [None, None, "status", None]
    assert len(simulator.state.messages) == 3
    # Spent (count reached): no longer listed.
    assert await _ctl(http, "GET", f"{simulator.url}/_sim/faults") == []


async def test_skip_counts_only_matching_requests(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    await _ctl(
        http,
        "POST",
        f"{simulator.url}/_sim/faults",
        {"kind": "status", "status": 503, "path": "sms/send", "skip": 1},
        201,
    )
    # Another provider's request does not match: not counted as skipped.
    async with http.get(f"{simulator.url}/restapi/account/1/balance") as resp:
        assert resp.status == 401
    (rule,) = await _ctl(http, "GET", f"{simulator.url}/_sim/faults")
    assert (rule["skipped"], rule["hits"]) == (0, 0)
    assert [await _send(simulator, http) for _ in range(3)] == [200, 503, 200]


async def test_skipped_request_is_left_to_the_next_rule(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    url = f"{simulator.url}/_sim/faults"
    await _ctl(http, "POST", url, {"kind": "status", "status": 503, "skip": 1}, 201)
    await _ctl(http, "POST", url, {"kind": "status", "status": 418, "count": 1}, 201)
    # The first rule lets the request through, the second one applies to it;
    # then the first rule applies to the next request.
    assert [await _send(simulator, http) for _ in range(3)] == [418, 503, 200]


async def test_negative_skip_is_refused(simulator: RunningSimulator, http: ClientSession) -> None:
    await _ctl(http, "POST", f"{simulator.url}/_sim/faults", {"kind": "drop", "skip": -1}, 400)
    await _ctl(http, "POST", f"{simulator.url}/_sim/faults", {"kind": "drop", "skip": "x"}, 400)
    assert simulator.state.faults == []


async def test_match_limits_a_rule_to_requests_containing_a_text(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    async with http.post(
        f"{simulator.url}/_sim/faults",
        json={"kind": "status", "status": 500, "provider": "sms365", "match": "poison", "count": 5},
    ) as resp:
        assert resp.status == 201
        assert (await resp.json())["match"] == "poison"
    base = f"{simulator.url}/api/sms/send"
    params = {"key": "demo-sms365-key", "to": "306971234561", "type": "json"}
    async with http.get(base, params={**params, "text": "healthy"}) as resp:
        assert resp.status == 200
    async with http.get(base, params={**params, "text": "poison pill"}) as resp:
        assert resp.status == 500
    async with http.post(base, data={**params, "text": "poison in the body"}) as resp:
        assert resp.status == 500
