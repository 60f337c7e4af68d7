"""Replay every curl example of the sms365.gr v3 doc against the simulator.

The examples and the fields the doc's "Returns" lists promise are data
(``data/sms365/examples.json``); each is replayed by GET, by form-encoded POST and
as multipart POST (as the doc's PHP examples send) and answered in json, xml
and v2 (plain text), and the answer must carry every
documented field with a sensible type, and nothing else, in the envelope
``status``/``error``/``remarks``.
"""

import json
from pathlib import Path
import re
import time
from typing import Any
from xml.etree import ElementTree as ET

from aiohttp import ClientSession, FormData
import pytest

from simulator.demo import SMS365_API_KEY, SMS365_PASSWORD, SMS365_USERNAME
from tests.conftest import RunningSimulator

DATA = json.loads((Path(__file__).parent / "data" / "sms365" / "examples.json").read_text())
EXAMPLES: list[dict[str, Any]] = DATA["examples"]
LITERALS: list[dict[str, Any]] = DATA["literal_placeholders"]
ENVELOPE = ("status", "error", "remarks")


pytestmark = pytest.mark.usefixtures("cancel_scheduled_reports")


async def api(
    http: ClientSession,
    simulator: RunningSimulator,
    path: str,
    params: dict[str, str],
    method: str = "GET",
) -> str:
    """Call the simulator; return the body text (always HTTP 200).

    ``method`` GET (query), POST (form-encoded) or POST-multipart (what the
    doc's PHP examples send: curl with an array as CURLOPT_POSTFIELDS).
    """
    kwargs: dict[str, Any] = {"params": params}
    if method == "POST":
        kwargs = {"data": params}
    elif method == "POST-multipart":
        kwargs = {"data": FormData(params, default_to_multipart=True)}
    verb = method.split("-")[0]
    async with http.request(verb, f"{simulator.url}{path}", **kwargs) as resp:
        assert resp.status == 200
        return await resp.text()


async def send_sms(http: ClientSession, simulator: RunningSimulator, **extra: str) -> str:
    """Send an sms (delivered: the number ends in 7); return its smsId."""
    params = {"key": SMS365_API_KEY, "to": "306971234567", "text": "prepared", **extra}
    body = json.loads(await api(http, simulator, "/api/sms/send", params))
    assert body["error"] == 0, body
    return str(body["smsId"])


async def prepare(
    name: str, http: ClientSession, simulator: RunningSimulator, cache: dict[str, str]
) -> str:
    """Return a prepared value (see the data file's comment)."""
    if name in cache:
        return cache[name]
    if name == "demo_username":
        value = SMS365_USERNAME
    elif name == "demo_password":
        value = SMS365_PASSWORD
    elif name == "demo_viber_sender":
        value = "DemoViber"
    elif name == "sent_sms_id":
        value = await send_sms(http, simulator)
    elif name == "scheduled_sms_id":
        value = await send_sms(http, simulator, timestamp=str(int(time.time()) + 3600))
    else:
        assert name in ("auth_id", "auth_code"), name
        params = {"key": SMS365_API_KEY, "to": "306971234567"}
        body = json.loads(await api(http, simulator, "/api/2fa/send", params))
        cache["auth_id"] = body["authId"]
        cache["auth_code"] = simulator.state.twofa[body["authId"]]["code"]
        return cache[name]
    cache[name] = value
    return value


# -- turning the three formats into data ------------------------------------------


def xml_to_data(element: ET.Element, spec: dict[str, Any]) -> dict[str, Any]:
    """Read an XML element as the spec's shape (lists are repeated elements)."""
    tags = [child.tag for child in element]
    assert set(tags) == set(spec), f"elements {tags} != documented {list(spec)}"
    data: dict[str, Any] = {}
    for key, sub in spec.items():
        if isinstance(sub, list):
            children = element.findall(key)
            data[key] = [
                xml_to_data(c, sub[0]) if isinstance(sub[0], dict) else c.text for c in children
            ]
        else:
            found = element.findall(key)
            assert len(found) == 1, f"{key} appears {len(found)} times"
            data[key] = xml_to_data(found[0], sub) if isinstance(sub, dict) else found[0].text
    return data


def v2_to_data(lines: dict[str, str], prefix: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Read v2 ``name=value`` lines as the spec's shape."""
    data: dict[str, Any] = {}
    for key, sub in spec.items():
        path = f"{prefix}{key}"
        if isinstance(sub, list):
            items: list[Any] = []
            while any(k.startswith(f"{path}.{len(items)}") for k in lines):
                item_path = f"{path}.{len(items)}"
                items.append(
                    v2_to_data(lines, item_path + ".", sub[0])
                    if isinstance(sub[0], dict)
                    else lines.pop(item_path)
                )
            data[key] = items
        elif isinstance(sub, dict):
            data[key] = v2_to_data(lines, path + ".", sub)
        else:
            data[key] = lines.pop(path)
    return data


def check_value(value: Any, kind: str, *, typed: bool, where: str) -> None:
    """Assert a scalar fits its documented kind."""
    if kind.startswith("enum:"):
        assert value in kind[5:].split("|"), f"{where}: {value!r}"
    elif kind == "str":
        assert isinstance(value, str), f"{where}: {value!r}"
    elif kind == "digits":
        assert isinstance(value, str), f"{where}: {value!r}"
        assert value.isdigit(), f"{where}: {value!r}"
    elif kind == "int":
        if typed:
            assert isinstance(value, int), f"{where}: {value!r}"
            assert not isinstance(value, bool), f"{where}: {value!r}"
        else:
            assert re.fullmatch(r"-?\d+", value), f"{where}: {value!r}"
    elif kind == "number":
        if typed:
            assert isinstance(value, int | float), f"{where}: {value!r}"
            assert not isinstance(value, bool), f"{where}: {value!r}"
        else:
            float(value)
    else:
        assert kind == "bool", kind
        if typed:
            assert isinstance(value, bool), f"{where}: {value!r}"
        else:
            assert value in ("true", "false"), f"{where}: {value!r}"


def check(data: Any, spec: Any, *, typed: bool, where: str = "") -> None:
    """Assert data has exactly the documented shape and kinds."""
    if isinstance(spec, dict):
        assert isinstance(data, dict), f"{where}: {data!r}"
        assert list(data) == list(spec), f"{where}: fields {list(data)} != {list(spec)}"
        for key, sub in spec.items():
            check(data[key], sub, typed=typed, where=f"{where}.{key}")
    elif isinstance(spec, list):
        assert isinstance(data, list), f"{where}: {data!r}"
        assert data, f"{where}: empty list"
        for index, item in enumerate(data):
            check(item, spec[0], typed=typed, where=f"{where}.{index}")
    else:
        check_value(data, spec, typed=typed, where=where)


def lookup(data: Any, path: str) -> str:
    """Return the value at a dotted path (list indices as numbers) as text."""
    for part in path.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    if isinstance(data, bool):
        return "true" if data else "false"
    return str(data)


def parse(body: str, fmt: str, spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (envelope, fields) of an answer in any format."""
    if fmt == "json":
        data = json.loads(body)
        assert list(data)[-3:] == list(ENVELOPE)
        return {k: data.pop(k) for k in ENVELOPE}, data
    if fmt == "xml":
        assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>')
        root = ET.fromstring(body)
        assert root.tag == "response"
        envelope = {k: root.findtext(k) for k in ENVELOPE}
        for k in ENVELOPE:
            element = root.find(k)
            assert element is not None
            root.remove(element)
        return envelope, xml_to_data(root, spec)
    lines = dict(line.split("=", 1) for line in body.splitlines())
    assert list(lines)[-3:] == list(ENVELOPE)
    envelope = {k: lines.pop(k) for k in ENVELOPE}
    fields = v2_to_data(lines, "", spec)
    assert not lines, f"undocumented lines {lines}"
    return envelope, fields


def normalise(envelope: dict[str, Any]) -> dict[str, Any]:
    """Return the envelope with numbers as text (xml and v2 have only text)."""
    return {k: str(v) for k, v in envelope.items()}


# -- the replay -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml", "v2"])
@pytest.mark.parametrize("method", ["GET", "POST", "POST-multipart"])
@pytest.mark.parametrize("example", EXAMPLES, ids=[e["name"] for e in EXAMPLES])
async def test_doc_example(
    simulator: RunningSimulator,
    http: ClientSession,
    example: dict[str, Any],
    method: str,
    fmt: str,
) -> None:
    cache: dict[str, str] = {}
    for name in example.get("prepare", []):
        await prepare(name, http, simulator, cache)
    params = {
        key: SMS365_API_KEY if value == "YOUR-API-KEY" else value
        for key, value in example["params"].items()
    }
    for key, name in example.get("substitute", {}).items():
        params[key] = await prepare(name, http, simulator, cache)
    params["type"] = fmt
    simulator.state.requests.clear()

    body = await api(http, simulator, example["path"], params, method)

    spec = example["returns"]
    envelope, fields = parse(body, fmt, spec)
    error = example["error"]
    if error:
        assert normalise(envelope)["status"] == "0"
        assert normalise(envelope)["error"] == str(error)
        assert fields == {}
        return
    assert normalise(envelope) == {"status": "1", "error": "0", "remarks": "Success"}
    if fmt == "json":
        assert envelope["status"] == 1
        assert envelope["error"] == 0
    check(fields, spec, typed=fmt == "json")
    for path, expected in example.get("values", {}).items():
        assert lookup(fields, path) == expected, path
    (recorded,) = simulator.state.requests
    assert recorded.method == method.split("-")[0]
    if example["path"] != "/api/mobile/check":
        assert recorded.account_id == "sms365-demo"


@pytest.mark.parametrize("example", LITERALS, ids=[e["name"] for e in LITERALS])
async def test_doc_example_with_literal_placeholders(
    simulator: RunningSimulator, http: ClientSession, example: dict[str, Any]
) -> None:
    """The examples as published, placeholders unreplaced: documented errors."""
    params = dict(example["params"])
    if not example.get("keep_key") and params.get("key") == "YOUR-API-KEY":
        params["key"] = SMS365_API_KEY
    body = await api(http, simulator, example["path"], params)
    root = ET.fromstring(body)
    assert [child.tag for child in root] == list(ENVELOPE)
    assert root.findtext("status") == "0"
    assert root.findtext("error") == str(example["error"])
