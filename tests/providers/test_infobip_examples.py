"""Every JSON answer of the Infobip-v1 style document parses into the models.

The examples (``data/infobip/doc_examples.json``, copied from the document with
the line they start on) are served by the simulator's ``body`` fault to the
real client, over HTTP, and the parsed models are compared with the example,
field by field, through an oracle that reads the document's group names.
"""

from datetime import datetime
import json
from pathlib import Path
from typing import Any

from aiohttp import ClientSession
import pytest

from custom_components.sms_gateway.providers import DeliveryStatus, InfobipClient
from custom_components.sms_gateway.providers.infobip import (
    parse_delivery_reports,
    parse_inbound_messages,
    parse_number_context,
)
from custom_components.sms_gateway.providers.phone import from_provider
from simulator.demo import INFOBIP_PASSWORD, INFOBIP_USERNAME
from tests.conftest import RunningSimulator

EXAMPLES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "infobip" / "doc_examples.json").read_text()
)

# The document's status group names (and the one example's "Queue/Accepted").
GROUPS = {
    "ACCEPTED": DeliveryStatus.ACCEPTED,
    "Queue/Accepted": DeliveryStatus.ACCEPTED,
    "PENDING": DeliveryStatus.PENDING,
    "UNDELIVERABLE": DeliveryStatus.UNDELIVERABLE,
    "DELIVERED": DeliveryStatus.DELIVERED,
    "EXPIRED": DeliveryStatus.EXPIRED,
    "REJECTED": DeliveryStatus.REJECTED,
}


def _by_kind(kind: str) -> list[dict[str, Any]]:
    return [e for e in EXAMPLES if e["kind"] == kind]


def _ids(examples: list[dict[str, Any]]) -> list[str]:
    return [e["name"] for e in examples]


def _client(sim: RunningSimulator, http: ClientSession) -> InfobipClient:
    return InfobipClient(
        http, username=INFOBIP_USERNAME, password=INFOBIP_PASSWORD, base_url=sim.url
    )


def _serve(sim: RunningSimulator, example: dict[str, Any]) -> None:
    sim.state.add_fault(kind="body", provider="infobip", body=json.dumps(example["response"]))


def _check_status(detail: Any, status: dict[str, Any], error: dict[str, Any] | None) -> None:
    assert detail.status is GROUPS[status["groupName"]]
    assert detail.provider_status == status["name"]
    assert detail.description == status["description"]
    if error is None or error["name"] == "NO_ERROR":
        assert detail.error_name is None
        assert detail.permanent is bool(error and error["permanent"])
    else:
        assert detail.error_name == error["name"]
        assert detail.error_description == error["description"]
        assert detail.permanent is error["permanent"]


def _date(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


def test_every_example_is_covered() -> None:
    assert len(EXAMPLES) == 41
    assert {e["kind"] for e in EXAMPLES} == {
        "send", "reports", "logs", "balance", "inbox", "nc_query", "nc_notify", "nc_push"
    }  # fmt: skip


@pytest.mark.parametrize("example", _by_kind("send"), ids=_ids(_by_kind("send")))
async def test_send_answers(
    simulator: RunningSimulator, http: ClientSession, example: dict[str, Any]
) -> None:
    answer = example["response"]
    _serve(simulator, example)
    recipients = [from_provider(m["to"]) for m in answer["messages"]]
    response = await _client(simulator, http).send_text_single(recipients, "Test SMS.")
    assert response.bulk_id == answer.get("bulkId")
    assert len(response.results) == len(answer["messages"])
    for result, entry in zip(response.results, answer["messages"], strict=True):
        assert result.recipient == "+" + entry["to"]
        assert result.message_id == entry["messageId"]
        assert result.segments == entry["smsCount"]
        assert result.error is None
        assert result.accepted
        _check_status(result.status, entry["status"], None)


def _check_report(report: Any, entry: dict[str, Any]) -> None:
    assert report.message_id == entry["messageId"]
    assert report.bulk_id == entry["bulkId"]
    assert report.recipient == from_provider(entry["to"])
    assert report.sent_at == _date(entry["sentAt"])
    assert report.done_at == _date(entry["doneAt"])
    assert report.segments == entry["smsCount"]
    assert report.price == pytest.approx(entry["price"]["pricePerMessage"] * entry["smsCount"])
    assert report.currency == entry["price"]["currency"]
    _check_status(report.status, entry["status"], entry["error"])


@pytest.mark.parametrize("example", _by_kind("reports"), ids=_ids(_by_kind("reports")))
async def test_delivery_report_answers(
    simulator: RunningSimulator, http: ClientSession, example: dict[str, Any]
) -> None:
    _serve(simulator, example)
    reports = await _client(simulator, http).fetch_delivery_reports()
    entries = example["response"]["results"]
    assert len(reports) == len(entries)
    for report, entry in zip(reports, entries, strict=True):
        _check_report(report, entry)
    # The notifyUrl push has the same shape.
    assert parse_delivery_reports(example["response"]) == reports


@pytest.mark.parametrize("example", _by_kind("logs"), ids=_ids(_by_kind("logs")))
async def test_log_answers(
    simulator: RunningSimulator, http: ClientSession, example: dict[str, Any]
) -> None:
    _serve(simulator, example)
    logs = await _client(simulator, http).get_logs()
    entries = example["response"]["results"]
    assert len(logs) == len(entries)
    for log, entry in zip(logs, entries, strict=True):
        _check_report(log.report, entry)
        assert (log.sender, log.text) == (entry["from"], entry["text"])
        assert log.report.mcc == entry["mccmnc"][:3]
        assert log.report.mnc == entry["mccmnc"][3:]


@pytest.mark.parametrize("example", _by_kind("balance"), ids=_ids(_by_kind("balance")))
async def test_balance_answer(
    simulator: RunningSimulator, http: ClientSession, example: dict[str, Any]
) -> None:
    _serve(simulator, example)
    balance = await _client(simulator, http).get_balance()
    assert (balance.amount, balance.currency) == (47.79134, "EUR")


@pytest.mark.parametrize("example", _by_kind("inbox"), ids=_ids(_by_kind("inbox")))
async def test_inbox_answers(
    simulator: RunningSimulator, http: ClientSession, example: dict[str, Any]
) -> None:
    _serve(simulator, example)
    client = _client(simulator, http)
    if "Received messages logs" in example["name"]:
        messages = await client.get_inbox_logs()
    else:
        messages = await client.fetch_inbound()
    entries = example["response"]["results"]
    assert len(messages) == len(entries)
    for message, entry in zip(messages, entries, strict=True):
        assert message.message_id == entry["messageId"]
        assert message.sender == from_provider(entry["from"])
        assert message.recipient == from_provider(entry["to"])
        assert message.text == entry["text"]
        assert message.clean_text == entry["cleanText"]
        assert message.keyword == (entry.get("keyword") or None)
        assert message.received_at == _date(entry["receivedAt"])
        assert message.segments == entry["smsCount"]
    # A forwarded received message has the same shape.
    assert parse_inbound_messages(example["response"]) == messages


def _check_number(info: Any, entry: dict[str, Any]) -> None:
    assert info.number == from_provider(entry["to"])
    assert info.mcc == entry["mccMnc"][:3]
    assert info.mnc == entry["mccMnc"][3:]
    assert info.country_prefix == entry["originalNetwork"]["countryPrefix"]
    assert (info.ported, info.roaming) == (entry["ported"], entry["roaming"])
    _check_status(info.status, entry["status"], entry["error"])
    # Absent subscribers exist; unknown ones (permanent) do not.
    assert info.valid is (
        entry["status"]["groupName"] == "DELIVERED" or not entry["error"]["permanent"]
    )


@pytest.mark.parametrize("example", _by_kind("nc_query"), ids=_ids(_by_kind("nc_query")))
async def test_number_context_answers(
    simulator: RunningSimulator, http: ClientSession, example: dict[str, Any]
) -> None:
    answer = example["response"]
    entries = answer.get("results") or answer["ncResults"]
    _serve(simulator, example)
    # Asked in the reverse order: results come back in the order asked.
    numbers = [from_provider(e["to"]) for e in reversed(entries)]
    infos = await _client(simulator, http).lookup_numbers(numbers)
    assert [i.number for i in infos] == numbers
    for info, entry in zip(infos, reversed(entries), strict=True):
        _check_number(info, entry)


@pytest.mark.parametrize("example", _by_kind("nc_push"), ids=_ids(_by_kind("nc_push")))
def test_number_context_push(example: dict[str, Any]) -> None:
    (info,) = parse_number_context(example["response"])
    _check_number(info, example["response"]["ncResults"][0])


@pytest.mark.parametrize("example", _by_kind("nc_notify"), ids=_ids(_by_kind("nc_notify")))
async def test_number_context_notify_answers(
    simulator: RunningSimulator, http: ClientSession, example: dict[str, Any]
) -> None:
    answer = example["response"]
    _serve(simulator, example)
    response = await _client(simulator, http).request_number_context(
        [from_provider(e["to"]) for e in answer["ncResults"]], "http://127.0.0.1:9/nc"
    )
    assert response.bulk_id == answer.get("bulkId")
    for request, entry in zip(response.requests, answer["ncResults"], strict=True):
        assert request.number == from_provider(entry["to"])
        assert request.message_id == entry.get("messageId")
        _check_status(request.status, entry["status"], None)
