"""The one send pipeline behind every surface (action, notify entities, legacy notify).

It resolves targets (saved recipient names or numbers) to E.164, checks the
message against the provider's capabilities before any request, and sends it
in as few requests as the provider allows. Nothing is lost on the way:

* **Durable**: every message is recorded in the account's outbox (a Home
  Assistant ``Store``, written atomically and coalesced) with a stable id per
  recipient, and leaves it only when the provider accepted or permanently
  refused it. Messages waiting at shutdown are sent after the next start; the
  account loads even while the provider is unreachable.
* **Independent messages**: each message is a small state machine with its own
  attempts and backoff (exponential, jittered, ``Retry-After`` honoured up to
  an hour); a message the provider keeps failing does not hold the others.
  Age is counted on the monotonic clock: a clock step cannot expire a message.
* **Never twice**: Infobip-compatible APIs take our id per destination, so a
  resend after an ambiguous failure (the answer was lost) cannot send twice.
  sms365 and voip-communications have no such key: they are retried only when
  the request provably never reached them; otherwise the message becomes
  ``unknown`` and a repair issue says so. A message whose answer was lost never
  moves to another account, and a send split into several provider requests
  records each request's outcome per recipient before the next one.
* **Refused credentials** hold the queue (and start reauthentication) instead
  of dropping it; it resumes when the account is reloaded after reauth.
* **Contained**: an unexpected error in one send makes that message
  ``unknown`` (with a repair issue); the queue goes on.
* **Failover**: an account may name a fallback account, used when this one is
  unreachable for longer than a grace period, out of balance, or lacks the
  requested channel. The fallback never fails over itself.

Modules, each importing only those before it: ``message`` (the state
machine's data), ``build`` (targets and checks), ``store`` (storage),
``notices`` (events and repairs), ``results`` (per-recipient results and the
error an action raises for them), ``failover`` (which messages may go to the
fallback account), and the outbox itself in three layers: ``state`` (the
messages and the provider's health), ``attempt`` (one attempt to send a batch
and its outcome), ``core`` (``Outbox``: requests, retries, failover). What a
provider error reads like to the user is decided in ``..errors``.
"""

from __future__ import annotations

import random

from .core import Outbox
from .message import (
    BACKOFF_BASE,
    BACKOFF_MAX,
    FAILOVER_GRACE,
    MAX_CONCURRENT_REQUESTS,
    MAX_QUEUED,
    MAX_RETRY_AFTER,
    MAX_TARGETS,
    STATUS_QUEUED,
    MessageState,
    QueuedMessage,
    RecipientResult,
    SendRequest,
    backoff,
)
from .results import raise_for_failures

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_MAX",
    "FAILOVER_GRACE",
    "MAX_CONCURRENT_REQUESTS",
    "MAX_QUEUED",
    "MAX_RETRY_AFTER",
    "MAX_TARGETS",
    "STATUS_QUEUED",
    "MessageState",
    "Outbox",
    "QueuedMessage",
    "RecipientResult",
    "SendRequest",
    "backoff",
    "raise_for_failures",
    "random",
]
