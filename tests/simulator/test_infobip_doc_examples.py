"""Replay every request/response example of the Infobip-v1 style document.

Each file in ``data/infobip/`` holds one example: the document's request and
answer verbatim (line numbers in ``doc``), the state it needs (``setup``), and
every deviation, each with the reason: ``request_correction`` (a typo in the
request), ``corrected_response`` (the document's answer is malformed or
contradicts its own request), ``errata`` (edits of the expected body where
the document contradicts itself) and ``volatile`` (values the simulator
generates: ids it was not given, timestamps; they must be present and well
formed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp import BasicAuth, ClientSession
import pytest

from simulator.core import accept
from simulator.infobip import NC_OUTCOMES_KEY
from tests.conftest import RunningSimulator
from tests.simulator.infobip_support import (
    DOC_ACCOUNT,
    add_doc_accounts,
    apply_errata,
    compare,
    notify_server,
    parse_body,
)

DATA = Path(__file__).parent / "data" / "infobip"
EXAMPLES = sorted(DATA.glob("*.json"))
DOC_AUTH = BasicAuth("Aladdin", "open sesame")


def test_every_example_is_there() -> None:
    assert len(EXAMPLES) == 63


async def _setup(
    simulator: RunningSimulator, http: ClientSession, steps: list[dict[str, Any]]
) -> None:
    state = simulator.state
    for step in steps:
        kind = step["type"]
        if kind == "request":
            async with http.request(
                step["method"],
                simulator.url + step["path"],
                json=step.get("json"),
                headers={"Content-Type": "application/json"},  # every request needs one
                auth=DOC_AUTH,
            ) as resp:
                assert resp.status == 200, await resp.text()
        elif kind == "message":
            message = state.create_message(
                state.accounts[DOC_ACCOUNT],
                to=step["to"],
                text=step["text"],
                message_id=step["message_id"],
                sender=step["sender"],
                bulk_id=step["bulk_id"],
            )
            accept(simulator.app, [message])
        elif kind == "patch_message":
            message = state.messages[step["id"]]
            message.status = step["status"]
            message.price = step["price"]
            message.extra.update(step["extra"])
        elif kind == "inbound":
            payload = {
                "provider": "infobip",
                "account": DOC_ACCOUNT,
                "from": step["from"],
                "to": step["to"],
                "text": step["text"],
                "message_id": step["message_id"],
                "deliver": "pull",
            }
            async with http.post(f"{simulator.url}/_sim/inbound", json=payload) as resp:
                assert resp.status == 201, await resp.text()
        elif kind == "keywords":
            async with http.patch(
                f"{simulator.url}/_sim/accounts/{DOC_ACCOUNT}", json={"keywords": step["keywords"]}
            ) as resp:
                assert resp.status == 200
        else:
            assert kind == "nc_outcome"
            simulator.app[NC_OUTCOMES_KEY][step["number"]] = step["outcome"]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
async def test_doc_example(simulator: RunningSimulator, http: ClientSession, path: Path) -> None:
    example = json.loads(path.read_text())
    add_doc_accounts(simulator.state)
    async with notify_server() as server:
        await _setup(simulator, http, example["setup"])
        request = example["request"]
        method, url_path = request["method"], request["path"]
        fix = example.get("request_correction", {})
        method = fix.get("method", method)
        if "path_from" in fix:
            url_path = url_path.replace(fix["path_from"], fix["path_to"])
        body = request["body"]
        for old, new in example.get("substitute", {}).items():
            body = body.replace(old, new.format(notify_url=server.url))
        async with http.request(
            method,
            simulator.url + url_path,
            headers={**request["headers"], **fix.get("headers", {})},
            data=body.encode() if body else None,
        ) as resp:
            status, content_type, text = resp.status, resp.content_type, await resp.text()
        await simulator.drain()

        expected = example.get("corrected_response") or example["response"]
        assert status == example["response"]["status"], text
        assert content_type == expected["content_type"], text
        want = apply_errata(parse_body(expected["body"], content_type), example["errata"])
        compare(want, parse_body(text, content_type), example["volatile"])

        assert all(p.status == 200 for p in simulator.state.pushes), simulator.state.pushes
        pushes = [p for p in simulator.state.pushes if p.kind == "number_context"]
        wanted_pushes = example.get("expected_pushes", [])
        assert len(pushes) == len(wanted_pushes)
        for push, wanted in zip(pushes, wanted_pushes, strict=True):
            assert push.content_type == wanted["content_type"]
            compare(
                parse_body(wanted["body"], wanted["content_type"]),
                parse_body(push.body, wanted["content_type"]),
                {},
            )
        assert len(server.received) == len(simulator.state.pushes)
    assert all(r.account_id == DOC_ACCOUNT for r in simulator.state.requests if r.provider) or (
        "dXNlcm5hbWU6cGFzc3dvcmQ=" in request["headers"]["Authorization"]
    )
