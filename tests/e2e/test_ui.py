"""The browser: log in, add an account through the UI config flow, open its device page.

Debian's Chromium driven by Playwright (headless, no downloaded browser). The
screenshots land in ``docs/images/`` and are used by the README.
"""

from __future__ import annotations

from collections.abc import Iterator
import os
from pathlib import Path
import re

import pytest

from .conftest import E2E, ROOT, pretty, wait_until

sync_api = pytest.importorskip("playwright.sync_api", reason="scripts/test --e2e installs it")

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
IMAGES = ROOT / "docs" / "images"
VIEWPORT = {"width": 1280, "height": 800}
VOIP_API_KEY = "demo-voip-key"  # simulator/demo.py
VOIP_API_PASSWORD = "demo-voip-secret"
TIMEOUT_MS = 30_000


@pytest.fixture
def page(e2e: E2E) -> Iterator[sync_api.Page]:
    """A logged-out Chromium page, 1280x800."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test --e2e installs Debian's chromium")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport=VIEWPORT, locale="en-US")
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            try:
                yield page
            finally:
                # What the browser showed last (for failures): next to the logs.
                page.screenshot(path=str(e2e.root / "last-page.png"))
        finally:
            browser.close()


def screenshot(page: sync_api.Page, name: str) -> Path:
    """Save a screenshot to docs/images/<name>.png once the page settled."""
    page.wait_for_timeout(1500)  # animations, lazy-loaded icons
    IMAGES.mkdir(parents=True, exist_ok=True)
    path = IMAGES / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def log_in(page: sync_api.Page, e2e: E2E) -> None:
    """Log in through Home Assistant's login page, as a person does."""
    page.goto(e2e.hass_url + "/")
    page.wait_for_url(re.compile(r"/auth/authorize"))
    page.locator("input[name=username]").fill(e2e.info.username)
    page.locator("input[name=password]").fill(e2e.info.password)
    page.get_by_role("button", name=re.compile("Log in", re.IGNORECASE)).click()
    page.wait_for_url(lambda url: "/auth/" not in url and "auth_callback" not in url)
    page.locator("home-assistant-main").wait_for()


def sms_gateway_entries(e2e: E2E) -> dict[str, str]:
    """Return the SMS Gateway entries: id -> title."""
    return {
        entry["entry_id"]: entry["title"]
        for entry in e2e.rest("GET", "/api/config/config_entries/entry").json()
        if entry["domain"] == "sms_gateway"
    }


def test_add_account_through_the_ui_and_open_its_device(e2e: E2E, page: sync_api.Page) -> None:
    """Provider step -> credentials step -> entry created -> device page; then the dashboard."""
    before = sms_gateway_entries(e2e)
    log_in(page, e2e)

    # Settings -> Devices & services -> Add integration -> search "SMS Gateway".
    page.goto(e2e.hass_url + "/config/integrations/dashboard")
    page.get_by_role("button", name=re.compile("Add integration", re.IGNORECASE)).click()
    picker = page.locator("dialog-add-integration")
    picker.get_by_placeholder(re.compile("Search", re.IGNORECASE)).first.fill("SMS Gateway")
    picker.locator("ha-integration-list-item", has_text="SMS Gateway").first.click()
    dialog = page.locator("dialog-data-entry-flow")
    dialog.get_by_text("Choose your SMS provider").wait_for()
    dialog.get_by_text("voip-communications.net").first.wait_for()
    screenshot(page, "config-flow-provider")
    dialog.get_by_role("radio", name=re.compile("voip-communications")).click()
    dialog.get_by_role("button", name=re.compile("Submit|Next")).click()

    # The form's fields, by the names of the flow's schema keys.
    dialog.locator("input[name=api_password]").wait_for()
    dialog.locator("input[name=api_key]").fill(VOIP_API_KEY)
    dialog.locator("input[name=api_password]").fill(VOIP_API_PASSWORD)
    dialog.locator("input[name=url]").fill(e2e.sim_url + "/api-v2/index.php")
    screenshot(page, "config-flow-credentials")
    dialog.get_by_role("button", name=re.compile("Submit|Next")).click()

    dialog.get_by_text(
        re.compile("Created configuration|Success|Name and assign", re.IGNORECASE)
    ).first.wait_for()
    added = wait_until(
        lambda: {k: v for k, v in sms_gateway_entries(e2e).items() if k not in before},
        "the new config entry",
        timeout=10,
    )
    assert len(added) == 1, pretty(added)
    entry_id, title = next(iter(added.items()))
    assert "voip" in title.lower(), title
    screenshot(page, "config-flow-created")
    dialog.get_by_role("button", name=re.compile("Finish", re.IGNORECASE)).click()
    wait_until(lambda: e2e.entry_state(entry_id) == "loaded", f"{title} loaded", timeout=30)

    devices = e2e.ws("config/device_registry/list")["result"]
    device = next(
        d for d in devices if d["config_entry_id"] == entry_id and d["config_subentry_id"] is None
    )
    page.goto(f"{e2e.hass_url}/config/devices/device/{device['id']}")
    page.get_by_text(device["name_by_user"] or device["name"]).first.wait_for()
    page.get_by_text("Last delivery status").first.wait_for()
    screenshot(page, "device-page")

    page.goto(f"{e2e.hass_url}/{e2e.info.dashboard}/demo")
    page.get_by_text("Infobip-compatible (simulator)").first.wait_for()
    page.get_by_text("Last delivery status").first.wait_for()
    screenshot(page, "dashboard")
