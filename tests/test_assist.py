"""Assist over SMS and the reply action, through the simulator.

A handset texts the simulator, which pushes the SMS to the account's webhook
(or serves it to the pull); the answer is read from the messages the simulator
accepted, with their sender.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
import shutil
from typing import Any, Literal

from aiohttp import ClientSession
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import automation, conversation
from homeassistant.components.conversation import (
    AbstractConversationAgent,
    ConversationInput,
    ConversationResult,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_gateway.assist import cap_text, looks_automatic
from custom_components.sms_gateway.const import DOMAIN
from custom_components.sms_gateway.inbound import ReceivedSms
from custom_components.sms_gateway.providers.text import analyze
from tests.conftest import ALICE, BOB, MakeEntry, RunningSimulator
from tests.outage import advance
from tests.wire import (
    INFOBIP_SEND,
    SIM_PROVIDER,
    STRANGER,
    VOIP_NUMBER,
    inject,
    poll,
    webhook_url,
)

LIGHT = "light.kitchen_light"
INFOBIP_NUMBER = "41793026727"  # the number the simulator says Infobip messages were sent to
BLUEPRINT = (
    Path(__file__).parent.parent
    / "blueprints"
    / "automation"
    / "sms_gateway"
    / "answer_sms_with_assist.yaml"
)


class RecordingAgent(AbstractConversationAgent):
    """A conversation agent that answers with what it was asked, and records each input."""

    def __init__(self, answer: str | None = None) -> None:
        """Answer ``answer``, or "You said: <text>"."""
        self.inputs: list[ConversationInput] = []
        self.answer = answer

    @property
    def supported_languages(self) -> Literal["*"]:
        """Every language."""
        return "*"

    async def async_process(self, user_input: ConversationInput) -> ConversationResult:
        """Record the input and answer."""
        self.inputs.append(user_input)
        response = intent.IntentResponse(language=user_input.language)
        response.async_set_speech(self.answer or f"You said: {user_input.text}")
        return ConversationResult(response=response, conversation_id=user_input.conversation_id)


async def kitchen_light(hass: HomeAssistant) -> None:
    """Add a template light named "Kitchen light" (kept in an input_boolean), off."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "input_boolean", {"input_boolean": {"kitchen": {}}})
    switch = {"entity_id": "input_boolean.kitchen"}
    light = {
        "name": "Kitchen light",
        "state": "{{ is_state('input_boolean.kitchen', 'on') }}",
        "turn_on": [{"action": "input_boolean.turn_on", "target": switch}],
        "turn_off": [{"action": "input_boolean.turn_off", "target": switch}],
    }
    assert await async_setup_component(hass, "template", {"template": [{"light": [light]}]})
    await hass.async_block_till_done()
    assert hass.states.get(LIGHT).state == "off"  # type: ignore[union-attr]


async def recording_agent(
    hass: HomeAssistant, answer: str | None = None
) -> tuple[str, RecordingAgent]:
    """Register a recording agent; return its agent id and the agent."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, conversation.DOMAIN, {})
    agent_entry = MockConfigEntry(domain="test_agent")
    agent_entry.add_to_hass(hass)
    agent = RecordingAgent(answer)
    conversation.async_set_agent(hass, agent_entry, agent)
    return agent_entry.entry_id, agent


class Phone:
    """Handsets texting an account through the simulator, and what came back."""

    def __init__(
        self,
        hass: HomeAssistant,
        simulator: RunningSimulator,
        http: ClientSession,
        provider: str,
        freezer: FrozenDateTimeFactory | None = None,
    ) -> None:
        """Text ``provider``'s demo account (pushed; pulled when a freezer is given)."""
        self.hass, self.simulator, self.http = hass, simulator, http
        self.provider, self.freezer = provider, freezer
        self.count = 0

    async def text(self, sender: str, body: str) -> None:
        """Text the account from ``sender`` and wait for everything that follows."""
        self.count += 1
        deliver = "pull" if self.freezer is not None else "push"
        await inject(
            self.http,
            self.simulator,
            provider=SIM_PROVIDER[self.provider],
            message_id=f"in-{self.count}",
            text=body,
            deliver=deliver,
            **{"from": sender.removeprefix("+")},
        )
        if self.freezer is not None:
            await poll(self.hass, self.freezer)
        for _ in range(3):  # the agent, the answer's send, the provider
            await self.hass.async_block_till_done()
            await self.simulator.drain()

    def answers(self) -> list[tuple[str, str | None, str]]:
        """Return (to, from, text) of every SMS the provider accepted, in order."""
        return [(m.to, m.sender, m.text) for m in self.simulator.state.messages.values()]


async def account(
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    simulator: RunningSimulator,
    provider: str,
    **options: Any,
) -> MockConfigEntry:
    """Add an account with Assist on, its webhook where the simulator pushes."""
    entry = await make_entry(provider, options={"assist": True, **options})
    url = webhook_url(await hass_client_no_auth(), provider)
    if provider == "infobip":
        simulator.state.accounts["infobip-demo"].forward_url = url
    else:
        simulator.state.accounts["voip-demo"].numbers[VOIP_NUMBER] = url
    return entry


@pytest.mark.parametrize(
    ("provider", "texted"), [("infobip", INFOBIP_NUMBER), ("voip_communications", VOIP_NUMBER)]
)
async def test_a_trusted_sms_turns_on_the_light_and_the_sender_gets_the_answer(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    http: ClientSession,
    provider: str,
    texted: str,
) -> None:
    """Done: Home Assistant's own agent turns the light on; the answer comes from the texted number."""
    await kitchen_light(hass)
    await account(make_entry, hass_client_no_auth, simulator, provider)
    phone = Phone(hass, simulator, http, provider)

    await phone.text(ALICE, "Turn on the kitchen light")

    assert hass.states.get(LIGHT).state == "on"  # type: ignore[union-attr]
    [(to, sender, text)] = phone.answers()
    assert to == ALICE.removeprefix("+")
    assert sender == texted  # voip: the two-way number that was texted
    assert text == "Turned on the light"


async def test_pulled_messages_are_answered_too(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    http: ClientSession,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An SMS fetched from the Infobip inbox is answered like a pushed one."""
    agent_id, agent = await recording_agent(hass)
    await make_entry("infobip", options={"assist": True, "assist_agent": agent_id})
    phone = Phone(hass, simulator, http, "infobip", freezer)

    await phone.text(ALICE, "status please")

    assert [i.text for i in agent.inputs] == ["status please"]
    assert phone.answers() == [(ALICE.removeprefix("+"), INFOBIP_NUMBER, "You said: status please")]


async def test_a_follow_up_continues_the_senders_conversation(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    http: ClientSession,
) -> None:
    """Each sender has one conversation id (no number in it); follow-ups reuse it."""
    agent_id, agent = await recording_agent(hass)
    await account(
        make_entry, hass_client_no_auth, simulator, "voip_communications", assist_agent=agent_id
    )
    phone = Phone(hass, simulator, http, "voip_communications")

    await phone.text(ALICE, "Turn on the kitchen light")
    await phone.text(ALICE, "and the bedroom?")
    await phone.text(BOB, "What time is it?")

    alice_first, alice_second, bob = (i.conversation_id for i in agent.inputs)
    assert alice_first is not None
    assert alice_first == alice_second
    assert bob != alice_first
    for conversation_id in (alice_first, bob):
        assert ALICE.removeprefix("+") not in conversation_id
        assert BOB.removeprefix("+")[-6:] not in conversation_id
    assert [a[2] for a in phone.answers()] == [
        "You said: Turn on the kitchen light",
        "You said: and the bedroom?",
        "You said: What time is it?",
    ]


async def test_the_default_agent_keeps_the_conversation_of_a_sender(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    http: ClientSession,
) -> None:
    """Home Assistant's chat session of the sender holds both messages of a follow-up."""
    await kitchen_light(hass)
    entry = await account(make_entry, hass_client_no_auth, simulator, "infobip")
    phone = Phone(hass, simulator, http, "infobip")

    await phone.text(ALICE, "Turn on the kitchen light")
    await phone.text(ALICE, "Turn off the kitchen light")

    assert hass.states.get(LIGHT).state == "off"  # type: ignore[union-attr]
    assert [a[2] for a in phone.answers()] == ["Turned on the light", "Turned off the light"]
    assistant_id = f"{DOMAIN}-"
    sessions = hass.data["chat_session"]
    ours = [cid for cid in sessions if cid.startswith(assistant_id)]
    assert len(ours) == 1, "one conversation for one sender"
    assert entry.entry_id not in ours[0]


@pytest.mark.parametrize(
    ("sender", "body", "options"),
    [
        pytest.param(STRANGER, "Turn on the kitchen light", {}, id="untrusted-sender"),
        pytest.param(
            STRANGER, "Turn on the kitchen light", {"accept_any_sender": True}, id="accept-any"
        ),
        pytest.param(
            ALICE, "Turn on the kitchen light", {"passphrase": "tulip"}, id="no-passphrase"
        ),
        pytest.param(
            ALICE,
            "tulipp Turn on the kitchen light",
            {"passphrase": "tulip"},
            id="wrong-passphrase",
        ),
        pytest.param(ALICE, "Auto-reply: I am out of office until Monday", {}, id="auto-reply"),
        pytest.param(ALICE, "Automatic reply: away", {}, id="automatic-reply"),
        pytest.param(
            ALICE,
            "id:4711 sub:001 dlvrd:001 submit date:2505011020 done date:2505011021 stat:DELIVRD",
            {},
            id="smpp-receipt",
        ),
        pytest.param(ALICE, "Delivery report: your message was delivered", {}, id="receipt"),
        pytest.param(ALICE, "   ", {}, id="blank"),
    ],
)
async def test_strangers_wrong_passphrases_and_machines_get_nothing(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    http: ClientSession,
    sender: str,
    body: str,
    options: dict[str, Any],
) -> None:
    """Nothing reaches the agent, nothing is done, nothing is sent."""
    agent_id, agent = await recording_agent(hass)
    await kitchen_light(hass)
    await account(
        make_entry, hass_client_no_auth, simulator, "infobip", assist_agent=agent_id, **options
    )
    phone = Phone(hass, simulator, http, "infobip")

    await phone.text(sender, body)

    assert agent.inputs == []
    assert phone.answers() == []
    assert hass.states.get(LIGHT).state == "off"  # type: ignore[union-attr]


async def test_the_passphrase_lets_the_message_through_without_itself(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    http: ClientSession,
) -> None:
    """With the passphrase the agent gets the rest of the text; it never sees the passphrase."""
    agent_id, agent = await recording_agent(hass)
    await account(
        make_entry,
        hass_client_no_auth,
        simulator,
        "infobip",
        assist_agent=agent_id,
        passphrase="tulip",
    )
    phone = Phone(hass, simulator, http, "infobip")

    await phone.text(ALICE, "Tulip: turn off the heating")

    assert [i.text for i in agent.inputs] == ["turn off the heating"]
    assert [a[2] for a in phone.answers()] == ["You said: turn off the heating"]


async def test_assist_off_answers_nothing(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    http: ClientSession,
) -> None:
    """The option is off by default: a trusted SMS is an event, not a conversation."""
    agent_id, agent = await recording_agent(hass)
    await make_entry("infobip", options={"assist_agent": agent_id})
    url = webhook_url(await hass_client_no_auth(), "infobip")
    simulator.state.accounts["infobip-demo"].forward_url = url
    await Phone(hass, simulator, http, "infobip").text(ALICE, "Turn on the kitchen light")

    assert agent.inputs == []
    assert simulator.state.messages == {}


async def test_the_rate_limit_holds_per_sender(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    http: ClientSession,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """3 an hour: the 4th and 5th of Alice reach no agent; Bob is not affected; an hour later Alice is."""
    agent_id, agent = await recording_agent(hass)
    await account(
        make_entry, hass_client_no_auth, simulator, "infobip", assist_agent=agent_id, assist_rate=3
    )
    phone = Phone(hass, simulator, http, "infobip")

    for index in range(5):
        await phone.text(ALICE, f"question {index}")
    await phone.text(BOB, "my question")

    assert [i.text for i in agent.inputs] == [
        "question 0",
        "question 1",
        "question 2",
        "my question",
    ]
    assert len(phone.answers()) == 4
    assert caplog.text.count("limit of 3 messages an hour") == 1
    assert ALICE.removeprefix("+") not in caplog.text

    await advance(hass, freezer, 3601)
    await phone.text(ALICE, "question 5")
    assert agent.inputs[-1].text == "question 5"
    assert len(phone.answers()) == 5


async def test_an_answer_is_capped_in_segments(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    http: ClientSession,
) -> None:
    """A 2000-character answer leaves as at most the configured segments."""
    agent_id, _ = await recording_agent(hass, answer="All fine. " * 200)
    await account(
        make_entry,
        hass_client_no_auth,
        simulator,
        "infobip",
        assist_agent=agent_id,
        assist_max_segments=2,
    )
    await Phone(hass, simulator, http, "infobip").text(ALICE, "status?")

    [message] = simulator.state.messages.values()
    assert message.segments == 2
    assert message.text.endswith("...")
    assert message.text.startswith("All fine. All fine.")


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("short", 1),
        ("x" * 160, 1),
        ("x" * 161, 2),
        ("€" * 200, 3),  # two septets each
        ("Καλημέρα " * 40, 2),  # UCS-2
        ("😀" * 100, 1),  # surrogate pairs are never split
    ],
)
def test_cap_text_fits_the_segments(text: str, segments: int) -> None:
    """The capped text never takes more segments than allowed, and keeps what fits."""
    capped = cap_text(text, segments)
    assert analyze(capped).segments <= segments
    if analyze(text.strip()).segments <= segments:
        assert capped == text.strip()
    else:
        assert capped.endswith("...")
        assert len(capped) > 20


async def test_the_agent_failing_sends_nothing(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    http: ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An agent that no longer exists: a warning (no number), no answer, the account goes on."""
    assert await async_setup_component(hass, "homeassistant", {})
    await account(
        make_entry, hass_client_no_auth, simulator, "infobip", assist_agent="conversation.gone"
    )
    await Phone(hass, simulator, http, "infobip").text(ALICE, "hello")

    assert simulator.state.messages == {}
    assert "the conversation agent failed" in caplog.text
    assert ALICE.removeprefix("+") not in caplog.text


async def test_without_conversation_the_account_still_loads(
    hass: HomeAssistant,
    make_entry: MakeEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Conversation cannot be set up (here: Home Assistant's core integration is missing)."""
    entry = await make_entry("infobip", options={"assist": True})

    assert entry.state is ConfigEntryState.LOADED
    assert "Assist over SMS needs the conversation integration" in caplog.text


async def test_the_accounts_own_number_and_empty_answers_send_nothing(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    http: ClientSession,
) -> None:
    """A message from the account's own sender number is not answered; nor is a blank answer."""
    agent_id, agent = await recording_agent(hass, answer=" ")
    await account(
        make_entry,
        hass_client_no_auth,
        simulator,
        "infobip",
        assist_agent=agent_id,
        sender=BOB.removeprefix("+"),
    )
    phone = Phone(hass, simulator, http, "infobip")

    await phone.text(BOB, "hello from myself")
    assert agent.inputs == []
    await phone.text(ALICE, "say nothing")
    assert [i.text for i in agent.inputs] == ["say nothing"]
    assert phone.answers() == []


async def test_an_answer_the_provider_refuses_is_logged(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    http: ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The provider refuses the answer: a warning without the number; the next one goes out."""
    agent_id, _ = await recording_agent(hass)
    await account(make_entry, hass_client_no_auth, simulator, "infobip", assist_agent=agent_id)
    simulator.state.add_fault(kind="status", provider="infobip", status=400, path=INFOBIP_SEND)
    phone = Phone(hass, simulator, http, "infobip")

    await phone.text(ALICE, "first")
    assert phone.answers() == []
    assert "the Assist answer was not sent" in caplog.text
    assert ALICE.removeprefix("+") not in caplog.text
    await phone.text(ALICE, "second")
    assert [a[2] for a in phone.answers()] == ["You said: second"]


def test_a_sender_id_that_is_no_number_looks_automatic() -> None:
    """Alphanumeric senders (services, short codes) are machines."""
    received = ReceivedSms(
        config_entry_id="e",
        message_id="m",
        sender="INFO",
        sender_name=None,
        recipient=None,
        text="Your code is 1234",
        keyword="Your",
        clean_text="code is 1234",
        received_at=dt_util.utcnow(),
        trusted=True,
        may_trigger=True,
    )
    assert looks_automatic(received, [])
    assert not looks_automatic(replace(received, sender=ALICE), [None])
    assert looks_automatic(replace(received, sender=ALICE), [ALICE])


# -- the reply action ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "texted"), [("infobip", INFOBIP_NUMBER), ("voip_communications", VOIP_NUMBER)]
)
async def test_reply_answers_through_the_number_texted(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    http: ClientSession,
    provider: str,
    texted: str,
) -> None:
    """sms_gateway.reply with the event's message_id answers the sender from the texted number."""
    entry = await account(make_entry, hass_client_no_auth, simulator, provider, assist=False)
    events: list[Any] = []
    hass.bus.async_listen("sms_gateway_message_received", events.append)
    phone = Phone(hass, simulator, http, provider)
    await phone.text(STRANGER, "Is the shop open?")
    [event] = events

    response = await hass.services.async_call(
        DOMAIN,
        "reply",
        {"message_id": event.data["message_id"], "message": "Yes, until 8"},
        blocking=True,
        return_response=True,
    )

    await simulator.drain()
    assert phone.answers() == [(STRANGER.removeprefix("+"), texted, "Yes, until 8")]
    [result] = response["results"]  # type: ignore[index, call-overload]
    assert result["to"] == STRANGER
    assert result["status"] == "accepted"
    assert result["config_entry_id"] == entry.entry_id


async def test_reply_to_an_unknown_message_is_a_translated_user_error(
    hass: HomeAssistant, make_entry: MakeEntry
) -> None:
    """An id no account received: ServiceValidationError with a translation key."""
    await make_entry("infobip")
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN, "reply", {"message_id": "nope", "message": "hi"}, blocking=True
        )
    assert caught.value.translation_key == "received_message_not_found"


# -- the blueprint ------------------------------------------------------------------------------


async def test_the_blueprint_answers_a_trusted_sms_with_assist(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    http: ClientSession,
    tmp_path: Path,
) -> None:
    """ "Answer SMS with Assist": the light goes on and Alice gets the answer; a stranger nothing."""
    await kitchen_light(hass)
    assert await async_setup_component(hass, conversation.DOMAIN, {})
    entry = await account(make_entry, hass_client_no_auth, simulator, "infobip", assist=False)
    hass.config.config_dir = str(tmp_path)
    folder = Path(hass.config.path("blueprints/automation/sms_gateway"))
    folder.mkdir(parents=True)
    shutil.copy(BLUEPRINT, folder / BLUEPRINT.name)
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "id": "sms_assist",
                "alias": "SMS assist",
                "use_blueprint": {
                    "path": f"sms_gateway/{BLUEPRINT.name}",
                    "input": {"account": entry.entry_id},
                },
            }
        },
    )
    await hass.async_block_till_done()
    phone = Phone(hass, simulator, http, "infobip")

    await phone.text(STRANGER, "Turn on the kitchen light")
    assert hass.states.get(LIGHT).state == "off"  # type: ignore[union-attr]
    assert phone.answers() == []

    await phone.text(ALICE, "Turn on the kitchen light")
    assert hass.states.get(LIGHT).state == "on"  # type: ignore[union-attr]
    assert phone.answers() == [(ALICE.removeprefix("+"), INFOBIP_NUMBER, "Turned on the light")]
