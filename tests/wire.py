"""What the simulator received, read the same way by every send test."""

from simulator.state import RecordedRequest
from tests.conftest import RunningSimulator

INFOBIP_SEND = "/restapi/sms/1/text/advanced"
SMS365_SEND = "/api/sms/send"
SMS365_BULK = "/api/sms/bulk"
SMS365_VIBER_SEND = "/api/viber/send"
SMS365_VIBER_BULK = "/api/viber/bulk"
VOIP_SEND = "/api-v2/index.php/sms/send"
SEND_PATHS = {
    INFOBIP_SEND,
    SMS365_SEND,
    SMS365_BULK,
    SMS365_VIBER_SEND,
    SMS365_VIBER_BULK,
    VOIP_SEND,
}
# The simulator's name of each provider (fault rules, request log), and its demo account.
SIM_PROVIDER = {"infobip": "infobip", "sms365": "sms365", "voip_communications": "voip"}
SIM_ACCOUNT = {
    "infobip": "infobip-demo",
    "sms365": "sms365-demo",
    "voip_communications": "voip-demo",
}


def sends(simulator: RunningSimulator) -> list[RecordedRequest]:
    """Return the send requests the simulator got (not credential checks or polls)."""
    return [
        r
        for r in simulator.state.requests
        if r.path in SEND_PATHS and r.method == "POST" and (r.json or r.form)
    ]


def form(request: RecordedRequest) -> dict[str, str]:
    """Return a form request's fields, one value each."""
    assert request.form is not None
    return {key: values[-1] for key, values in request.form.items()}


def sent_text(request: RecordedRequest) -> str:
    """Return the text a send request carried, whatever the provider."""
    if request.json is not None:
        return str(request.json["messages"][0]["text"])
    fields = form(request)
    return fields.get("msg") or fields["text"]


def sent_numbers(request: RecordedRequest) -> list[str]:
    """Return the destination digits of a send request."""
    if request.json is not None:
        return [d["to"] for d in request.json["messages"][0]["destinations"]]
    return form(request)["to"].split(",")


def sent_sender(request: RecordedRequest) -> str | None:
    """Return the sender of a send request."""
    if request.json is not None:
        return request.json["messages"][0].get("from")
    return form(request).get("from")
