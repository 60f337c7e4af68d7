"""End-to-end fixtures: a real ``hass`` process and the provider simulator.

Run with ``scripts/test --e2e`` (which installs Chromium and Playwright first),
or directly::

    scripts/py -m pytest -p no:homeassistant --confcutdir=tests/e2e tests/e2e

The session fixture :func:`e2e` picks free ports, writes a temporary
configuration directory (a copy of ``config/configuration.yaml`` on the chosen
port, the integration symlinked from the checkout), starts the simulator and
``hass`` as subprocesses, provisions the demo through Home Assistant's REST and
websocket APIs (``scripts/provision.py``) and always stops both processes at the
end. Tests then talk to both over HTTP only.
"""

# ruff: noqa: T201 - progress and log tails go to pytest's captured output

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
import concurrent.futures
from dataclasses import dataclass, field
import importlib.util
import json
from pathlib import Path
import re
import signal
import socket
import subprocess
import sys
import time
from types import ModuleType
from typing import Any

import aiohttp
import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
HASS_START_TIMEOUT = 240  # seconds; ~60 s on a warm machine
LOG_TAIL_LINES = 60


def _load_provision() -> ModuleType:
    """Import scripts/provision.py (not a package) as a module."""
    spec = importlib.util.spec_from_file_location(
        "sms_gateway_provision", ROOT / "scripts" / "provision.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


provision = _load_provision()


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """Return the last lines of a log file (or why there are none)."""
    if not path.is_file():
        return f"({path} does not exist)"
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:])


def wait_until[T](
    check: Callable[[], T | None], what: str, timeout: float = 30, interval: float = 0.5
) -> T:
    """Call ``check`` until it returns a truthy value; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")
        time.sleep(interval)


class Process:
    """A subprocess with its output in a log file; stopped gently, then killed."""

    def __init__(self, name: str, args: list[str], log: Path, cwd: Path) -> None:
        """Start the process in its own session (so signals reach only it)."""
        self.name = name
        self.log = log
        self._log_file = log.open("wb")
        self.popen = subprocess.Popen(
            args,
            cwd=cwd,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def alive(self) -> bool:
        """Tell whether the process still runs."""
        return self.popen.poll() is None

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM, wait, then SIGKILL the process (only this one, by its pid)."""
        try:
            if self.alive():
                self.popen.send_signal(signal.SIGTERM)
                try:
                    self.popen.wait(timeout)
                except subprocess.TimeoutExpired:
                    print(f"{self.name} did not stop in {timeout} s: killing it")
                    self.popen.kill()
                    self.popen.wait(10)
        finally:
            self._log_file.close()


@dataclass
class E2E:
    """The running system under test and helpers to talk to it over HTTP."""

    root: Path
    config_dir: Path
    hass_url: str
    sim_url: str
    info: Any  # provision.DemoInfo
    hass: Process
    simulator: Process
    http: requests.Session = field(default_factory=requests.Session)

    # -- Home Assistant REST ---------------------------------------------------

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.info.token}"}

    def rest(self, method: str, path: str, payload: Any = None) -> requests.Response:
        """Send a REST request to Home Assistant (not checked)."""
        return self.http.request(
            method, self.hass_url + path, json=payload, headers=self._auth(), timeout=60
        )

    def call(
        self, domain: str, service: str, data: dict[str, Any], *, response: bool = False
    ) -> requests.Response:
        """Call an action: ``POST /api/services/<domain>/<service>``."""
        path = f"/api/services/{domain}/{service}" + ("?return_response" if response else "")
        return self.rest("POST", path, data)

    def state(self, entity_id: str) -> dict[str, Any]:
        """Return an entity's state object."""
        answer = self.rest("GET", f"/api/states/{entity_id}")
        assert answer.status_code == 200, f"{entity_id}: HTTP {answer.status_code} {answer.text}"
        result: dict[str, Any] = answer.json()
        return result

    def services(self, domain: str) -> set[str]:
        """Return the names of a domain's actions."""
        for item in self.rest("GET", "/api/services").json():
            if item["domain"] == domain:
                return set(item["services"])
        return set()

    def options(self, entry_id: str, **changes: Any) -> dict[str, Any]:
        """Change an entry's options through the options flow (REST), as the UI does."""
        base = "/api/config/config_entries/options/flow"
        form = self.rest("POST", base, {"handler": entry_id}).json()
        assert form["type"] == "form", form
        values: dict[str, Any] = {}
        for item in form["data_schema"]:
            suggested = (item.get("description") or {}).get("suggested_value")
            if suggested is not None:
                values[item["name"]] = suggested
            elif "default" in item:
                values[item["name"]] = item["default"]
        unknown = set(changes) - {item["name"] for item in form["data_schema"]}
        assert not unknown, f"not in the options form: {unknown}"
        values.update(changes)
        result = self.rest("POST", f"{base}/{form['flow_id']}", values).json()
        assert result["type"] == "create_entry", result
        data: dict[str, Any] = result.get("result") or values
        return data

    def entry_state(self, entry_id: str) -> str:
        """Return a config entry's state (``loaded``, ...)."""
        for entry in self.rest("GET", "/api/config/config_entries/entry").json():
            if entry["entry_id"] == entry_id:
                return str(entry["state"])
        return "missing"

    # -- Home Assistant websocket ----------------------------------------------

    def ws(self, type_: str, **fields: Any) -> dict[str, Any]:
        """Send one websocket command; return the whole result message."""

        async def run() -> dict[str, Any]:
            async with aiohttp.ClientSession() as session:
                ws = await session.ws_connect(
                    self.hass_url.replace("http", "ws", 1) + "/api/websocket"
                )
                try:
                    assert (await ws.receive_json(timeout=30))["type"] == "auth_required"
                    await ws.send_json({"type": "auth", "access_token": self.info.token})
                    assert (await ws.receive_json(timeout=30))["type"] == "auth_ok"
                    await ws.send_json({"id": 1, "type": type_, **fields})
                    while True:
                        msg: dict[str, Any] = await ws.receive_json(timeout=60)
                        if msg.get("id") == 1 and msg.get("type") == "result":
                            return msg
                finally:
                    await ws.close()

        # A thread of its own: Playwright's sync API runs an event loop in this one.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, run()).result()

    # -- simulator ---------------------------------------------------------------

    def sim(self, method: str, path: str, payload: Any = None) -> Any:
        """Call the simulator's control API (``/_sim/...``); return its JSON."""
        answer = self.http.request(method, self.sim_url + path, json=payload, timeout=30)
        assert answer.status_code in (200, 201), f"{path}: {answer.status_code} {answer.text}"
        return answer.json()

    def last_seq(self) -> int:
        """Return the sequence number of the newest protocol request."""
        seqs = [r["seq"] for r in self.sim("GET", "/_sim/requests")]
        return max(seqs, default=0)

    def requests_since(self, seq: int, **query: str) -> list[dict[str, Any]]:
        """Return protocol requests newer than ``seq`` (filters: provider, path)."""
        params = "&".join(f"{k}={v}" for k, v in {"since": str(seq), **query}.items())
        result: list[dict[str, Any]] = self.sim("GET", f"/_sim/requests?{params}")
        return result

    def messages(self, **query: str) -> list[dict[str, Any]]:
        """Return the messages the simulated providers accepted."""
        params = "&".join(f"{k}={v}" for k, v in query.items())
        result: list[dict[str, Any]] = self.sim("GET", f"/_sim/messages?{params}")
        return result

    # -- logs ------------------------------------------------------------------------

    @property
    def hass_log(self) -> Path:
        """Home Assistant's log file."""
        return self.config_dir / "home-assistant.log"

    def integration_errors(self) -> list[str]:
        """Return the log's ERROR lines (with what follows) from our integration."""
        if not self.hass_log.is_file():
            return []
        errors: list[str] = []
        lines = self.hass_log.read_text(encoding="utf-8", errors="replace").splitlines()
        for index, line in enumerate(lines):
            if " ERROR " in line and "custom_components.sms_gateway" in line:
                errors.append("\n".join(lines[index : index + 15]))
        return errors

    def deprecation_reports(self) -> list[str]:
        """Return what Home Assistant reported about our use of its APIs.

        The frame helper logs "Detected that custom integration 'sms_gateway'
        ..." (deprecated API, moved device, wrong thread), helpers.deprecation
        logs "... is deprecated ..." lines; either, naming us, is a failure.
        """
        if not self.hass_log.is_file():
            return []
        return [
            line
            for line in self.hass_log.read_text(encoding="utf-8", errors="replace").splitlines()
            if "sms_gateway" in line
            and ("Detected that custom integration" in line or "deprecated" in line.casefold())
        ]

    def log_tails(self) -> str:
        """Return the tails of both logs, for failure reports."""
        return (
            f"--- {self.hass_log} ---\n{tail(self.hass_log)}\n"
            f"--- {self.hass.log} ---\n{tail(self.hass.log, 20)}\n"
            f"--- {self.simulator.log} ---\n{tail(self.simulator.log, 30)}\n"
        )


_RUNNING: list[E2E] = []


def write_config(config_dir: Path, port: int) -> None:
    """Write the test configuration: config/configuration.yaml on ``port``."""
    config_dir.mkdir(parents=True)
    source = (ROOT / "config" / "configuration.yaml").read_text(encoding="utf-8")
    text = re.sub(r"127\.0\.0\.1:8123\b", f"127.0.0.1:{port}", source)
    text = re.sub(r"(?m)^(\s*server_port:)\s*8123\s*$", rf"\g<1> {port}", text)
    assert f"server_port: {port}" in text, "config/configuration.yaml has no server_port"
    (config_dir / "configuration.yaml").write_text(text, encoding="utf-8")
    (config_dir / "custom_components").mkdir()
    (config_dir / "custom_components" / "sms_gateway").symlink_to(
        ROOT / "custom_components" / "sms_gateway", target_is_directory=True
    )
    (config_dir / "automations.yaml").write_text("[]\n", encoding="utf-8")
    (config_dir / "scenes.yaml").write_text("[]\n", encoding="utf-8")
    (config_dir / "scripts.yaml").write_text("{}\n", encoding="utf-8")


def wait_for_http(url: str, process: Process, timeout: float) -> None:
    """Wait until ``url`` answers 200; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(
                f"{process.name} exited with {process.popen.returncode}:\n{tail(process.log)}"
            )
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise RuntimeError(f"{process.name} did not answer {url} in {timeout} s:\n{tail(process.log)}")


@pytest.fixture(scope="session")
def e2e(tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2E]:
    """Start the simulator and Home Assistant, provision the demo; stop both at the end."""
    root = tmp_path_factory.mktemp("e2e")
    config_dir = root / "config"
    hass_port, sim_port = free_port(), free_port()
    while sim_port == hass_port:
        sim_port = free_port()
    write_config(config_dir, hass_port)
    hass_url, sim_url = f"http://127.0.0.1:{hass_port}", f"http://127.0.0.1:{sim_port}"
    started = time.monotonic()
    simulator = Process(
        "simulator",
        [
            sys.executable,
            "-m",
            "simulator",
            "--host",
            "127.0.0.1",
            "--port",
            str(sim_port),
            "--report-delay",
            "1",
        ],
        root / "simulator.log",
        ROOT,
    )
    hass: Process | None = None
    running: E2E | None = None
    try:
        hass = Process(
            "hass",
            [str(VENV_BIN / "hass"), "-c", str(config_dir)],
            config_dir / "hass-stdout.log",
            ROOT,
        )
        wait_for_http(f"{sim_url}/_sim/health", simulator, 30)
        wait_for_http(f"{hass_url}/manifest.json", hass, HASS_START_TIMEOUT)
        print(f"\nHome Assistant answered after {time.monotonic() - started:.0f} s")
        info = asyncio.run(
            provision.ensure_demo(
                hass_url,
                sim_url,
                config_dir,
                password="e2e-demo-password",
                log=lambda line: print(f"provision: {line}"),
            )
        )
        print(f"provisioned after {time.monotonic() - started:.0f} s; config in {config_dir}")
        running = E2E(root, config_dir, hass_url, sim_url, info, hass, simulator)
        _RUNNING.append(running)
        yield running
    except BaseException:
        print(f"--- {config_dir / 'home-assistant.log'} ---")
        print(tail(config_dir / "home-assistant.log"))
        if hass is not None:
            print(f"--- {hass.log} ---\n{tail(hass.log, 20)}")
        print(f"--- {simulator.log} ---\n{tail(simulator.log, 30)}")
        raise
    finally:
        _RUNNING.clear()
        if hass is not None:
            hass.stop(60)
        simulator.stop(15)
    if running is not None:
        errors = running.integration_errors()
        assert not errors, "custom_components.sms_gateway logged errors:\n" + "\n".join(errors)
        reports = running.deprecation_reports()
        assert not reports, "Home Assistant reported sms_gateway:\n" + "\n".join(reports)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Attach the tails of Home Assistant's and the simulator's logs to a failure."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.failed and _RUNNING:
        report.sections.append(("e2e logs", _RUNNING[0].log_tails()))


def pretty(data: Any) -> str:
    """Format JSON data for assertion messages."""
    return json.dumps(data, indent=1, ensure_ascii=False)[:3000]
