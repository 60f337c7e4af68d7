"""What became of each recipient, and the error an action raises for the failures.

Every send answers one ``RecipientResult`` per recipient: from the provider's
answer (``sent_result``), or for a message still waiting or given up before an
answer (``pending_result``). ``raise_for_failures`` is the one decision of
which failures an action raises (the translation keys are in ``errors``).
"""

from __future__ import annotations

from ..errors import provider_error
from ..providers import Channel, DeliveryStatus, InsufficientBalanceError, SendResult
from ..providers.text import analyze
from .message import (
    ERROR_DELIVERY_UNKNOWN,
    ERROR_DUPLICATE,
    ERROR_INTERNAL,
    QueuedMessage,
    RecipientResult,
)


def sent_result(result: SendResult, channel: Channel, entry_id: str) -> RecipientResult:
    """Return a recipient's result from the provider's answer."""
    status = result.status.status.value
    error = None if result.accepted else (result.error or status)
    if result.error == ERROR_DUPLICATE:
        # Our id was already accepted (a resend after a lost answer).
        status, error = DeliveryStatus.ACCEPTED.value, None
    return RecipientResult(
        to=result.recipient,
        status=status,
        message_id=result.message_id,
        segments=result.segments,
        encoding=result.encoding.value,
        channel=channel.value,
        error=error,
        config_entry_id=entry_id,
    )


def pending_result(
    queued: QueuedMessage, status: str, error: str | None, entry_id: str
) -> RecipientResult:
    """Return the result of a message without the provider's answer (waiting, or given up)."""
    info = analyze(queued.text)
    return RecipientResult(
        to=queued.recipient,
        status=status,
        message_id=queued.id,
        segments=info.segments,
        encoding=info.encoding.value,
        channel=queued.channel,
        error=error,
        config_entry_id=entry_id,
    )


# Per-recipient errors that have a message of their own when every recipient failed.
_SINGLE_CAUSE = {
    InsufficientBalanceError.key: "insufficient_balance",
    ERROR_DELIVERY_UNKNOWN: ERROR_DELIVERY_UNKNOWN,
    ERROR_INTERNAL: ERROR_DELIVERY_UNKNOWN,
}


def raise_for_failures(
    results: list[RecipientResult], *, partial_ok: bool, account: str = ""
) -> None:
    """Raise when recipients failed.

    Every recipient failed: always raise. Some failed: raise unless the caller
    asked for the per-recipient response (``partial_ok``), which says which.
    Queued messages are not failures: they are sent as soon as possible.
    """
    failed = [r for r in results if not r.ok]
    if not failed:
        return
    details = ", ".join(f"{r.to} ({r.error})" for r in failed)
    if len(failed) == len(results):
        causes = {r.error for r in failed}
        if len(causes) == 1 and (key := _SINGLE_CAUSE.get(str(causes.pop()))):
            raise provider_error(key, account=account, recipients=", ".join(r.to for r in failed))
        raise provider_error("send_failed", failed=details)
    if not partial_ok:
        raise provider_error(
            "partial_failure",
            sent=len(results) - len(failed),
            total=len(results),
            failed=details,
        )
