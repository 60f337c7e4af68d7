"""Fixtures shared by the simulator tests."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from simulator.core import finalize


@pytest.fixture
async def cancel_scheduled_reports() -> AsyncIterator[None]:
    """Cancel the report timers of messages scheduled far ahead (sms365 tests use it)."""
    yield
    loop = asyncio.get_running_loop()
    for handle in list(loop._scheduled):  # type: ignore[attr-defined]
        if handle._callback is finalize:
            handle.cancel()
