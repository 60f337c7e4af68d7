"""Benchmark 3: event-loop health during a 500-message burst."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
import gc
import logging
import re
import time
from typing import Any

from homeassistant import block_async_io
from homeassistant.core import HomeAssistant

from custom_components.sms_gateway import outbox as outbox_module
from custom_components.sms_gateway.providers import OutgoingMessage, ProviderClient
from tests.bench.common import MakeEntry, Stopwatch, add_latency, call_send, number, top_up
from tests.bench.report import LATENCY_S, RESULTS, ms, ratio
from tests.conftest import RunningSimulator

SLOW_CALLBACK = 0.005  # seconds: asyncio logs every callback at least this slow
WARN_CALLBACK = 0.05  # seconds: the threshold that counts as a problem
BURST = 500
DRIVER = "coro=<test_event_loop_health()"  # the benchmark's own task, starting the burst


@dataclass
class LoopWatch:
    """asyncio slow-callback records and blocking-call warnings seen while active."""

    # (seconds, handle, wall-clock end) of each slow callback
    slow: list[tuple[float, str, float]] = field(default_factory=list)
    blocking: list[str] = field(default_factory=list)
    # (wall-clock start, seconds, generation) of each garbage collection
    collections: list[tuple[float, float, int]] = field(default_factory=list)

    @property
    def slowest(self) -> float:
        """Return the slowest callback logged (0 when none reached the threshold)."""
        return max((s for s, _, _ in self.slow), default=0.0)

    def gc_inside(self, seconds: float, end: float) -> float:
        """Return the garbage-collection time inside a callback that ended at ``end``."""
        start = end - seconds
        return sum(max(0.0, min(end, t + d) - max(start, t)) for t, d, _ in self.collections)

    @property
    def slowest_without_gc(self) -> float:
        """Return the slowest callback without GC pauses, leaving out the load driver's own."""
        return max(
            (s - self.gc_inside(s, end) for s, handle, end in self.slow if DRIVER not in handle),
            default=0.0,
        )

    @property
    def longest_gc(self) -> float:
        """Return the longest garbage-collection pause."""
        return max((d for _, d, _ in self.collections), default=0.0)

    def over(self, seconds: float) -> int:
        """Return how many callbacks took at least ``seconds``."""
        return sum(s >= seconds for s, _, _ in self.slow)


class _Capture(logging.Handler):
    def __init__(self, watch: LoopWatch) -> None:
        super().__init__(logging.DEBUG)
        self.watch = watch

    def emit(self, record: logging.LogRecord) -> None:
        message = record.msg if isinstance(record.msg, str) else ""
        if record.name == "asyncio" and message.startswith("Executing") and record.args:
            args = record.args if isinstance(record.args, tuple) else ()
            if len(args) >= 2 and isinstance(args[1], float):
                handle = re.sub(r"\s+", " ", str(args[0]))[:300]
                self.watch.slow.append((args[1], handle, record.created))
        elif "Detected blocking call" in message or "Caught blocking call" in message:
            self.watch.blocking.append(record.getMessage().splitlines()[0][:300])


@contextmanager
def watching(loop: asyncio.AbstractEventLoop) -> Iterator[LoopWatch]:
    """Record slow callbacks (asyncio debug) and blocking-call warnings."""
    watch = LoopWatch()
    handler = _Capture(watch)
    root = logging.getLogger()
    asyncio_logger = logging.getLogger("asyncio")
    loop_logger = logging.getLogger("homeassistant.util.loop")
    levels = (asyncio_logger.level, loop_logger.level)
    asyncio_logger.setLevel(logging.WARNING)
    loop_logger.setLevel(logging.DEBUG)  # repeated reports are logged at debug level
    root.addHandler(handler)
    started: list[float] = []

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[:] = [time.time()]
        elif started:
            watch.collections.append((started[0], time.time() - started[0], info["generation"]))

    gc.callbacks.append(on_gc)
    debug, threshold = loop.get_debug(), loop.slow_callback_duration
    loop.set_debug(True)
    loop.slow_callback_duration = SLOW_CALLBACK
    try:
        yield watch
    finally:
        loop.set_debug(debug)
        loop.slow_callback_duration = threshold
        gc.callbacks.remove(on_gc)
        root.removeHandler(handler)
        asyncio_logger.setLevel(levels[0])
        loop_logger.setLevel(levels[1])


@contextmanager
def blocking_call_detection() -> Iterator[None]:
    """Turn on Home Assistant's blocking-call detection (as at runtime) if it is off."""
    enabled_here = not block_async_io._BLOCKED_CALLS.calls
    if enabled_here:
        block_async_io.enable()
    try:
        yield
    finally:
        if enabled_here:
            calls = block_async_io._BLOCKED_CALLS.calls
            for call in calls:
                setattr(call.object, call.function, call.original_func)
            calls.clear()


def at_least(seconds: float) -> str:
    """Format a slowest-callback duration; below the logging threshold it is unknown."""
    return ms(seconds) if seconds >= SLOW_CALLBACK else f"< {SLOW_CALLBACK * 1000:g} ms"


async def test_event_loop_health(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """Slowest callback and blocking-call warnings while 500 messages go out."""
    top_up(simulator)
    entry = await make_entry("infobip")
    add_latency(simulator, LATENCY_S)
    client: ProviderClient = entry.runtime_data.client
    loop = asyncio.get_running_loop()

    async def baseline() -> None:
        """500 single sends through the bare client, 4 at a time (no pipeline)."""
        gate = asyncio.Semaphore(4)

        async def one(index: int) -> None:
            async with gate:
                await client.send(OutgoingMessage(recipients=(number(index),), text="base"))

        await asyncio.gather(*(one(i) for i in range(BURST)))

    async def batched() -> None:
        """5 concurrent actions with 100 recipients each."""
        await asyncio.gather(
            *(
                call_send(hass, entry, [number(1000 + 100 * c + i) for i in range(100)], "b")
                for c in range(BURST // 100)
            )
        )

    async def single() -> None:
        """500 concurrent actions with one recipient each."""
        await asyncio.gather(
            *(call_send(hass, entry, [number(2000 + i)], f"s {i}") for i in range(BURST))
        )

    scenarios: list[tuple[str, Callable[[], Awaitable[None]]]] = [
        ("baseline: bare client, 500 × 1 recipient, 4 at a time", baseline),
        ("ours: 5 concurrent actions × 100 recipients", batched),
        ("ours: 500 concurrent actions × 1 recipient", single),
    ]
    table = RESULTS.table(
        "3",
        "3. Event-loop health during a 500-message burst",
        "asyncio debug mode with `slow_callback_duration` ="
        f" {SLOW_CALLBACK * 1000:g} ms; every “Executing … took X seconds” record is"
        " captured, and every “Detected blocking call” warning with Home Assistant's"
        " blocking-call detection on (as at runtime). The baseline sends the same 500"
        " messages through the bare provider client (no outbox, no storage), in the same"
        " Home Assistant.",
        [
            "burst",
            "wall",
            f"callbacks ≥ {SLOW_CALLBACK * 1000:g} ms",
            f"callbacks ≥ {WARN_CALLBACK * 1000:g} ms",
            "slowest callback",
            "slowest, excl. GC and driver",
            "excl. GC ÷ baseline",
            "longest GC pause",
            "blocking-call warnings",
        ],
    )
    watches: list[LoopWatch] = []
    slowest_handles: list[str] = []
    with blocking_call_detection():
        for name, scenario in scenarios:
            await hass.async_block_till_done(wait_background_tasks=True)
            with watching(loop) as watch, Stopwatch() as wall:
                await scenario()
                await hass.async_block_till_done(wait_background_tasks=True)
            watches.append(watch)
            base = max(watches[0].slowest_without_gc, SLOW_CALLBACK)
            table.rows.append(
                [
                    name,
                    ms(wall.elapsed),
                    str(len(watch.slow)),
                    str(watch.over(WARN_CALLBACK)),
                    at_least(watch.slowest),
                    at_least(watch.slowest_without_gc),
                    ratio(max(watch.slowest_without_gc, SLOW_CALLBACK) / base),
                    ms(watch.longest_gc),
                    str(len(watch.blocking)),
                ]
            )
            if watch.slow:
                seconds, handle, end = max(watch.slow)
                slowest_handles.append(
                    f"{name}: {ms(seconds)} ({ms(watch.gc_inside(seconds, end))} of it in"
                    f" garbage collection) in `{handle[:120]}…`"
                )
    table.notes.extend(f"Slowest — {text}" for text in slowest_handles)
    table.notes.append(
        "GC pauses are Python's cyclic garbage collector (a full collection walks the whole"
        " heap of the test process, Home Assistant and pytest included); they are timed with"
        " `gc.callbacks` and subtracted from the callbacks they fell into. “Driver” is the"
        " benchmark's own task, whose one step creates the 500 tasks of the burst (slow in"
        " debug mode, which records where each task was created); it is left out of the"
        " “excl.” column."
    )
    concurrency = getattr(outbox_module, "MAX_CONCURRENT_REQUESTS", None)
    per_second = getattr(outbox_module, "MAX_REQUESTS_PER_SECOND", None)
    if concurrency is not None:
        limit = f"at most {concurrency} requests at once"
        if per_second is not None:
            limit += f" and {per_second:g} per second"
        table.notes.append(
            f"The outbox sends {limit} per account, which paces the 500 single-recipient"
            f" actions (≥ {BURST / concurrency * LATENCY_S:.1f} s at {LATENCY_S * 1000:g} ms"
            " latency" + (f", ≥ {BURST / per_second:.0f} s" if per_second else "") + ")."
        )
    blocking = [b for w in watches for b in w.blocking]
    table.notes.extend(f"Blocking call: {b}" for b in blocking[:5])
    assert blocking == []
