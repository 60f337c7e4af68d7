"""Helpers shared by the Infobip simulator tests: doc accounts, a notify server, comparison."""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib
from dataclasses import dataclass, field
from fnmatch import fnmatch
import json
import re
from typing import Any
import xml.etree.ElementTree as ET

from aiohttp import web

from simulator.state import Account, SimulatorState

# Credentials the document's examples use: "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==" and
# "Basic dXNlcm5hbWU6cGFzc3dvcmQ=".
DOC_ACCOUNT = "doc-aladdin"


def add_doc_accounts(state: SimulatorState) -> Account:
    """Create the accounts behind the document's Authorization headers."""
    state.add_account(
        "infobip", id="doc-username", username="username", password="password", balance=47.79134
    )
    return state.add_account(
        "infobip",
        id=DOC_ACCOUNT,
        username="Aladdin",
        password="open sesame",
        balance=47.79134,
        currency="EUR",
    )


@dataclass
class NotifyServer:
    """A client callback server on 127.0.0.1 that records what it receives."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)


@contextlib.asynccontextmanager
async def notify_server() -> AsyncIterator[NotifyServer]:
    """Serve a callback URL for the length of a test."""
    server = NotifyServer(url="")

    async def handle(request: web.Request) -> web.Response:
        server.received.append(
            {
                "path": request.path,
                "content_type": request.headers.get("Content-Type", ""),
                "body": await request.text(),
            }
        )
        return web.Response(text="OK")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"http://127.0.0.1:{port}/notify"
    try:
        yield server
    finally:
        await runner.cleanup()


# -- parsing and comparing ----------------------------------------------------------


def _xml_value(element: ET.Element) -> Any:
    children = list(element)
    if not children:
        return (element.text or "").strip()
    grouped: dict[str, list[Any]] = {}
    for child in children:
        grouped.setdefault(child.tag, []).append(_xml_value(child))
    return {tag: values[0] if len(values) == 1 else values for tag, values in grouped.items()}


def parse_body(body: str, content_type: str) -> Any:
    """Parse a JSON body, or an XML body into ``{root: {tag: ...}}`` (repeated tags -> list)."""
    if "xml" in content_type:
        root = ET.fromstring(body)
        return {root.tag: _xml_value(root)}
    return json.loads(body)


def _get(data: Any, path: list[Any]) -> Any:
    for step in path:
        data = data[step]
    return data


def apply_errata(data: Any, errata: list[dict[str, Any]]) -> Any:
    """Apply the data file's documented corrections to the document's expected body."""
    for erratum in errata:
        path, op = erratum["path"], erratum["op"]
        parent = _get(data, path[:-1])
        last = path[-1]
        if op in ("replace", "add"):
            if op == "add":
                assert last not in parent, erratum
            else:
                assert last in parent or isinstance(parent, list), erratum
            parent[last] = erratum["value"]
        elif op == "insert":
            parent[last].insert(erratum["index"], erratum["value"])
        elif op == "rename":
            parent[erratum["to"]] = parent.pop(last)
        elif op == "reorder":
            parent[last] = [parent[last][i] for i in erratum["order"]]
        elif op == "wrap":
            parent[last] = {last: parent[last]}
        else:  # pragma: no cover - a broken data file
            raise AssertionError(f"unknown erratum {op}")
    return data


FORMATS = {
    "date": re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$"),
    "id": re.compile(r"^[\w-]+$"),
    "digits": re.compile(r"^\d+$"),
}
DEFAULT_VOLATILE = {"*sentAt": "date", "*doneAt": "date", "*receivedAt": "date"}


def _same_scalar(expected: Any, actual: Any) -> bool:
    if isinstance(expected, str) and isinstance(actual, str):
        if expected == actual:
            return True
        try:
            return float(expected) == float(actual)
        except ValueError:
            return False
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    return bool(expected == actual)


def compare(expected: Any, actual: Any, volatile: dict[str, str], path: str = "") -> None:
    """Same keys at every level, same values except volatile ones (present, well formed)."""
    for pattern, kind in {**DEFAULT_VOLATILE, **volatile}.items():
        if fnmatch(path, pattern):
            assert isinstance(actual, str), f"{path}: {actual!r} is not a string"
            assert FORMATS[kind].match(actual), f"{path}: {actual!r} is not a {kind}"
            return
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        assert set(expected) == set(actual), (
            f"{path}: keys differ, missing {set(expected) - set(actual)}, "
            f"extra {set(actual) - set(expected)}"
        )
        for key, value in expected.items():
            compare(value, actual[key], volatile, f"{path}.{key}" if path else key)
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{path}: expected a list, got {actual!r}"
        assert len(expected) == len(actual), (
            f"{path}: {len(actual)} items, expected {len(expected)}"
        )
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            compare(want, got, volatile, f"{path}.{index}" if path else str(index))
    else:
        assert _same_scalar(expected, actual), f"{path}: {actual!r} != {expected!r}"
