"""Hostile input at the webhook: never a 5xx, never an event, nothing logged as an error.

Anyone who learns a webhook URL can send it anything. The fuzz test builds
10 000 malformed requests with hypothesis (generation only, no shrinking, no
example database) and sends them all to one Home Assistant instance.
"""

from collections.abc import AsyncIterator
import json
import logging
import random
from typing import Any
from urllib.parse import urlencode

from aiohttp.test_utils import TestClient
from homeassistant.core import Event, HomeAssistant
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_gateway.const import EVENT_DELIVERY_REPORT, EVENT_MESSAGE_RECEIVED
from custom_components.sms_gateway.providers.voip_communications import INBOUND_KEYS
from custom_components.sms_gateway.webhook import MAX_BODY_BYTES
from tests.conftest import MakeEntry, RunningSimulator
from tests.wire import infobip_inbound, state_of

HOOKS = {
    "infobip": "hook-infobip",
    "voip_communications": "hook-voip_communications",
    "sms365": "hook-sms365",
}
FUZZ_REQUESTS = 10_000
HYPOTHESIS_REQUESTS = 1_000
METHODS = ("GET", "POST", "PUT", "HEAD", "DELETE", "PATCH", "OPTIONS")
CONTENT_TYPES = (
    None,
    "application/json",
    "application/json; charset=latin-1",
    "application/x-www-form-urlencoded",
    "text/plain",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "\u00e9/\u00e9",
)
INFOBIP_REQUIRED = ("messageId", "from", "text")
INFOBIP_KEYS = (*INFOBIP_REQUIRED, "to", "cleanText", "keyword", "receivedAt", "smsCount")
SENDER_KEYS = set(INBOUND_KEYS["sender"])
TEXT_KEYS = set(INBOUND_KEYS["text"])


@pytest.fixture
async def hostile(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> AsyncIterator[tuple[TestClient, list[Event]]]:
    """Set up the three accounts; yield a client and every event the integration fires.

    After the test: no event, no state change of an event entity.
    """
    for provider in HOOKS:
        await make_entry(provider, options={"inbound_interval": 0})
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    events += async_capture_events(hass, EVENT_DELIVERY_REPORT)
    client = await hass_client_no_auth()
    yield client, events
    await hass.async_block_till_done()
    for provider in ("infobip", "voip_communications"):
        state = state_of(hass, f"event.demo_{provider}_sms_received")
        assert state.state == "unknown"


def no_errors(caplog: pytest.LogCaptureFixture) -> None:
    """Assert that nothing was logged at error level or above."""
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


# -- the cases by name -----------------------------------------------------------------


async def test_wrong_webhook_id(
    hostile: tuple[TestClient, list[Event]], caplog: pytest.LogCaptureFixture
) -> None:
    client, events = hostile
    body = {"results": [infobip_inbound()]}
    for hook in ("hook-nope", "hook-INFOBIP", "hook-infobip%00", "x" * 500):
        response = await client.post(f"/api/webhook/{hook}", json=body)
        # Home Assistant answers unknown webhooks with 200, so as not to tell.
        assert response.status == 200
    assert events == []
    no_errors(caplog)


@pytest.mark.parametrize(
    ("method", "status"),
    [
        ("PUT", {405}),
        ("DELETE", {405}),
        ("PATCH", {405}),
        # A CORS preflight without Origin: refused by Home Assistant's CORS layer.
        ("OPTIONS", {403, 405}),
        # Websites may check that a URL exists.
        ("HEAD", {200}),
    ],
)
async def test_wrong_method(
    hostile: tuple[TestClient, list[Event]],
    caplog: pytest.LogCaptureFixture,
    method: str,
    status: set[int],
) -> None:
    client, events = hostile
    for hook in HOOKS.values():
        response = await client.request(
            method, f"/api/webhook/{hook}", json={"results": [infobip_inbound()]}
        )
        assert response.status in status
    assert events == []
    no_errors(caplog)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"{not json}",
        b"null",
        b"[]",
        b'"results"',
        b"1e999999",
        b'{"results": null}',
        b'{"results": {}}',
        b'{"results": []}',
        b'{"results": [null]}',
        b'{"results": [1, 2]}',
        b"[" * 100_00 + b"]" * 100_00,
        b'{"a":' * 10_000,
        b"NaN",
    ],
)
@pytest.mark.parametrize("provider", ["infobip", "voip_communications"])
async def test_invalid_json(
    hostile: tuple[TestClient, list[Event]],
    caplog: pytest.LogCaptureFixture,
    provider: str,
    body: bytes,
) -> None:
    client, events = hostile
    response = await client.post(
        f"/api/webhook/{HOOKS[provider]}",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 400
    assert events == []
    no_errors(caplog)


def _without(key: str) -> dict[str, Any]:
    data = infobip_inbound()
    del data[key]
    return data


@pytest.mark.parametrize(
    "results",
    [
        [_without("messageId")],
        [_without("from")],
        [_without("text")],
        [infobip_inbound(text=None)],
        [infobip_inbound(text=12)],
        [infobip_inbound(text=["HOME"])],
        [infobip_inbound(message_id=" ")],
        [infobip_inbound(message_id={"id": 1})],
        [infobip_inbound(sender="")],
        [infobip_inbound(sender=[])],
        # One bad message spoils the delivery: nothing of it is applied.
        [infobip_inbound("good"), _without("from")],
        # Delivery reports that are not.
        [{"status": "DELIVERED"}],
        [{"messageId": "x", "status": None}],
        [{"messageId": "x", "status": {"groupName": 7}}],
    ],
)
async def test_infobip_missing_fields(
    hostile: tuple[TestClient, list[Event]],
    caplog: pytest.LogCaptureFixture,
    results: list[Any],
) -> None:
    client, events = hostile
    response = await client.post("/api/webhook/hook-infobip", json={"results": results})
    assert response.status in (200, 400)
    assert events == []
    no_errors(caplog)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"from": "306971234561"},
        {"msg": "HOME now"},
        {"from": "", "msg": "HOME now"},
        {"from": "306971234561", "msg": ""},
        {"to": "17134567890", "smsid": "1", "date": "2025-01-01 00:00"},
        {"sender": None, "text": None},
    ],
)
@pytest.mark.parametrize("how", ["form", "json", "query"])
async def test_voip_missing_fields(
    hostile: tuple[TestClient, list[Event]],
    caplog: pytest.LogCaptureFixture,
    fields: dict[str, Any],
    how: str,
) -> None:
    client, events = hostile
    url = "/api/webhook/hook-voip_communications"
    if how == "json":
        response = await client.post(url, json=fields)
    else:
        form = urlencode({k: v for k, v in fields.items() if v is not None})
        response = await client.post(
            f"{url}?{form}" if how == "query" else url,
            data=form if how == "form" else None,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.status == 400
    assert events == []
    no_errors(caplog)


async def test_sms365_callback_garbage(
    hostile: tuple[TestClient, list[Event]], caplog: pytest.LogCaptureFixture
) -> None:
    client, events = hostile
    for params in (
        {},
        {"msgid": ""},
        {"msgid": "1"},
        {"status": "d"},
        {"msgid": "1", "status": "\u00e9", "cost": "x", "mcc": "-", "mnc": "\x00"},
    ):
        response = await client.get("/api/webhook/hook-sms365", params=params)
        assert response.status in (200, 400)
    assert events == []
    no_errors(caplog)


async def test_oversized_body(
    hostile: tuple[TestClient, list[Event]], caplog: pytest.LogCaptureFixture
) -> None:
    client, events = hostile
    message = infobip_inbound(text="x" * MAX_BODY_BYTES)
    body = json.dumps({"results": [message]}).encode()
    assert len(body) > MAX_BODY_BYTES
    for hook in HOOKS.values():
        # With a Content-Length...
        response = await client.post(f"/api/webhook/{hook}", data=body)
        assert response.status == 413

        # ... and without one (chunked), a little at a time.
        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(body), 1000):
                yield body[start : start + 1000]

        response = await client.post(f"/api/webhook/{hook}", data=chunks())
        assert response.status == 413
    # Just at the limit: read, then refused as unparseable.
    response = await client.post("/api/webhook/hook-infobip", data=b" " * MAX_BODY_BYTES)
    assert response.status == 400
    assert events == []
    no_errors(caplog)


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe{}",
        b'{"results": [{"messageId": "1", "from": "306971234561", "text": "\xe9"}]}',
        "from=306971234561&msg=\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac".encode("utf-16"),
        b"from=306971234561&msg=caf\xe9",
        b"\x80" * 100,
    ],
)
@pytest.mark.parametrize("provider", ["infobip", "voip_communications"])
async def test_non_utf8(
    hostile: tuple[TestClient, list[Event]],
    caplog: pytest.LogCaptureFixture,
    provider: str,
    body: bytes,
) -> None:
    client, events = hostile
    response = await client.post(f"/api/webhook/{HOOKS[provider]}", data=body)
    assert response.status == 400
    assert events == []
    no_errors(caplog)


# -- 10 000 generated requests -------------------------------------------------------------

# JSON-ish values: what a confused or hostile sender could put anywhere.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=8,
)


@st.composite
def infobip_bodies(draw: st.DrawFn) -> bytes:
    """An Infobip-like ``results`` envelope with at least one unusable message."""
    entries = draw(
        st.lists(
            st.dictionaries(st.sampled_from(INFOBIP_KEYS), json_values, max_size=len(INFOBIP_KEYS)),
            min_size=1,
            max_size=4,
        )
    )
    # Spoil one message: a required field missing, or a text that is not text.
    bad = entries[draw(st.integers(0, len(entries) - 1))]
    bad.pop("status", None)
    if draw(st.booleans()):
        bad.pop(draw(st.sampled_from(INFOBIP_REQUIRED)), None)
        if not set(INFOBIP_REQUIRED) - bad.keys():  # pragma: no cover - defensive
            del bad["text"]
    else:
        bad["text"] = draw(st.none() | st.integers() | st.lists(st.text(max_size=3), max_size=2))
    envelope = draw(st.dictionaries(st.text(max_size=8), json_values, max_size=3))
    envelope["results"] = entries
    return json.dumps(envelope).encode()


@st.composite
def voip_fields(draw: st.DrawFn) -> dict[str, str]:
    """Form fields of a voip reply that lacks the sender or the text."""
    keys = st.sampled_from(sorted(set().union(*INBOUND_KEYS.values()))) | st.text(max_size=8)
    fields = draw(st.dictionaries(keys, st.text(max_size=30), max_size=8))
    missing = SENDER_KEYS if draw(st.booleans()) else TEXT_KEYS
    return {k: v for k, v in fields.items() if k not in missing}


def _malformed(case: dict[str, Any]) -> bool:
    """Keep only requests that cannot carry a complete voip reply by chance."""
    text = case["body"].decode("utf-8", "replace") + case["query"]
    return not (any(k in text for k in SENDER_KEYS) and any(k in text for k in TEXT_KEYS))


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    """A request: method, webhook, query string, content type and body."""
    provider = draw(st.sampled_from(sorted(HOOKS)))
    hook = HOOKS[provider]
    if draw(st.integers(0, 19)) == 0:
        hook = draw(st.text("abcdefghijklmnopqrstuvwxyz-_0123456789", min_size=1, max_size=20))
    query = ""
    if draw(st.booleans()):
        query = urlencode(
            draw(
                voip_fields()
                if provider != "sms365"
                else st.dictionaries(
                    st.sampled_from(["msgid", "status", "cost", "to", "mcc", "mnc"])
                    | st.text(max_size=5),
                    st.text(max_size=12),
                    max_size=6,
                )
            )
        )
    kind = draw(st.sampled_from(["binary", "text", "json", "infobip", "voip_form", "voip_json"]))
    if draw(st.integers(0, 99)) == 0:
        kind = "big"
    if kind == "binary":
        body = draw(st.binary(max_size=300))
    elif kind == "text":
        body = draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")
    elif kind == "json":
        body = json.dumps(draw(json_values)).encode()
    elif kind == "infobip":
        body = draw(infobip_bodies())
    elif kind == "voip_form":
        body = urlencode(draw(voip_fields())).encode()
    elif kind == "voip_json":
        body = json.dumps(draw(voip_fields())).encode()
    else:
        chunk = draw(st.binary(min_size=1, max_size=8))
        size = draw(st.integers(MAX_BODY_BYTES + 1, MAX_BODY_BYTES + 4096))
        body = (chunk * (size // len(chunk) + 1))[:size]
    return {
        "method": draw(st.sampled_from(METHODS)) if draw(st.integers(0, 4)) == 0 else "POST",
        "hook": hook,
        "query": query,
        "content_type": draw(st.sampled_from(CONTENT_TYPES)),
        "body": body,
    }


def hypothesis_requests(count: int) -> list[dict[str, Any]]:
    """Let hypothesis generate ``count`` requests (no shrinking, no database)."""
    cases: list[dict[str, Any]] = []

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(requests().filter(_malformed))
    def collect(case: dict[str, Any]) -> None:
        cases.append(case)

    collect()
    return cases


# The same shapes from a seeded random generator: hypothesis is thorough but
# slow to generate (about 8 ms a request), random is quick.


def _random_text(rng: random.Random, size: int) -> str:
    alphabet = 'aZ09 =&%+{}[]":,\x00\u00e9\u03a9\u20ac\U0001f600\n\t'
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, size)))


def _random_json(rng: random.Random, depth: int = 0) -> Any:
    pick = rng.randint(0, 7 if depth < 3 else 4)
    if pick == 0:
        return None
    if pick == 1:
        return rng.choice([True, False])
    if pick == 2:
        return rng.choice([0, -1, 2**64, rng.randint(-1000, 1000)])
    if pick == 3:
        return rng.choice([0.5, -1e308, 1e-9])
    if pick == 4:
        return _random_text(rng, 20)
    if pick == 5:
        return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {
        rng.choice([*INFOBIP_KEYS, "results", "status", _random_text(rng, 6)]): _random_json(
            rng, depth + 1
        )
        for _ in range(rng.randint(0, 4))
    }


def _random_infobip(rng: random.Random) -> bytes:
    entries = [
        {k: _random_json(rng, 2) for k in rng.sample(INFOBIP_KEYS, rng.randint(0, 8))}
        for _ in range(rng.randint(1, 4))
    ]
    bad = rng.choice(entries)
    bad.pop("status", None)
    if rng.random() < 0.5:
        for key in rng.sample(INFOBIP_REQUIRED, rng.randint(1, 3)):
            bad.pop(key, None)
    else:
        bad["text"] = rng.choice([None, 1, [], {}, ["HOME"]])
    return json.dumps({"results": entries}).encode()


def _random_voip(rng: random.Random) -> dict[str, str]:
    keys = sorted(
        set().union(*INBOUND_KEYS.values()) - (SENDER_KEYS if rng.random() < 0.5 else TEXT_KEYS)
    )
    return {
        rng.choice([*keys, _random_text(rng, 6)]): _random_text(rng, 30)
        for _ in range(rng.randint(0, 6))
    }


def random_requests(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """Return ``count`` malformed requests drawn from a seeded generator."""
    cases: list[dict[str, Any]] = []
    while len(cases) < count:
        provider = rng.choice(sorted(HOOKS))
        hook = HOOKS[provider] if rng.random() > 0.05 else _random_text(rng, 12) or "x"
        query = urlencode(_random_voip(rng)) if rng.random() < 0.3 else ""
        kind = rng.choices(
            ["binary", "text", "json", "infobip", "voip_form", "voip_json", "big"],
            weights=[20, 20, 20, 20, 10, 9, 1],
        )[0]
        if kind == "binary":
            body = rng.randbytes(rng.randint(0, 300))
        elif kind == "text":
            body = _random_text(rng, 200).encode("utf-8", "surrogatepass")
        elif kind == "json":
            body = json.dumps(_random_json(rng)).encode()
        elif kind == "infobip":
            body = _random_infobip(rng)
        elif kind == "voip_form":
            body = urlencode(_random_voip(rng)).encode()
        elif kind == "voip_json":
            body = json.dumps(_random_voip(rng)).encode()
        else:
            body = rng.randbytes(8) * ((MAX_BODY_BYTES + rng.randint(8, 4096)) // 8)
        case = {
            "method": rng.choice(METHODS) if rng.random() < 0.2 else "POST",
            "hook": hook,
            "query": query,
            "content_type": rng.choice(CONTENT_TYPES),
            "body": body,
        }
        if _malformed(case):
            cases.append(case)
    return cases


# Hypothesis registers its own global PRNG; some versions warn about that.
@pytest.mark.filterwarnings("ignore:It looks like `register_random`")
async def test_fuzz_10000_malformed_requests(
    hostile: tuple[TestClient, list[Event]], caplog: pytest.LogCaptureFixture
) -> None:
    client, events = hostile
    caplog.set_level(logging.WARNING)
    cases = hypothesis_requests(HYPOTHESIS_REQUESTS)
    cases += random_requests(random.Random(20250504), FUZZ_REQUESTS - len(cases))
    statuses: dict[int, int] = {}
    for case in cases:
        headers = {"Content-Type": case["content_type"]} if case["content_type"] else {}
        url = f"/api/webhook/{case['hook']}" + (f"?{case['query']}" if case["query"] else "")
        response = await client.request(
            case["method"],
            url,
            data=case["body"],
            headers=headers,
            skip_auto_headers=["Content-Type"],
        )
        await response.read()
        assert response.status < 500, case
        assert not events, (case, events)
        statuses[response.status] = statuses.get(response.status, 0) + 1
    assert sum(statuses.values()) == FUZZ_REQUESTS
    # Every answer of the webhook was seen: refused, unknown hook, wrong method, too big.
    assert {400, 405, 413} <= statuses.keys(), statuses
    no_errors(caplog)
