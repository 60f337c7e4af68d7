"""Packaging rules: manifest, HACS metadata, translations, forward compatibility."""

import json
from pathlib import Path
import re

from homeassistant.const import __version__ as ha_version
import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPONENT = ROOT / "custom_components" / "sms_gateway"
HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "hacs",
    "persistent_directory",
    "render_readme",
}


def test_manifest() -> None:
    manifest = json.loads((COMPONENT / "manifest.json").read_text())
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert manifest["domain"] == "sms_gateway"
    assert manifest["config_flow"] is True
    assert "webhook" in manifest["dependencies"]
    assert manifest["integration_type"] == "service"
    assert manifest["iot_class"] == "cloud_push"
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9.]+", r) for r in manifest["requirements"])
    # The venvs install exactly what the manifest pins.
    pinned = {
        line.strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert set(manifest["requirements"]) == pinned


def pinned_home_assistant(requirements: str) -> str:
    """Return the Home Assistant version a requirements file pins."""
    match = re.search(r"^homeassistant==(\S+)$", (ROOT / requirements).read_text(), re.MULTILINE)
    assert match is not None, requirements
    return match.group(1)


def test_hacs_json() -> None:
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert set(hacs) <= HACS_KEYS
    # The declared minimum is the version the minimum CI leg tests.
    assert hacs["homeassistant"] == pinned_home_assistant("requirements_min.txt")


def test_manifest_version_matches_a_release_tag() -> None:
    manifest = json.loads((COMPONENT / "manifest.json").read_text())
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    project = (ROOT / "pyproject.toml").read_text()
    assert f'version = "{manifest["version"]}"' in project


@pytest.mark.skipif(
    pinned_home_assistant("requirements_test.txt") != ha_version,
    reason="en.json is rendered with the newest Home Assistant's common strings",
)
def test_english_translation_is_rendered_from_strings() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "gen_translations", ROOT / "scripts" / "gen_translations.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    strings = json.loads((COMPONENT / "strings.json").read_text())
    rendered = module.render(strings)
    assert json.loads((COMPONENT / "translations" / "en.json").read_text()) == rendered


# APIs removed from Home Assistant before our minimum version.
REMOVED_APIS = [
    r"hass\.helpers\b",
    r"async_forward_entry_setup\(",
    r"self\.config_entry\s*=",
    r"from homeassistant\.components\.(zeroconf|dhcp|ssdp|usb|hassio|mqtt) import \w*ServiceInfo",
    r"async_extract_config_entry_ids\(\s*hass",
    r"suggested_area",
]


@pytest.mark.parametrize("pattern", REMOVED_APIS)
def test_no_removed_home_assistant_apis(pattern: str) -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in COMPONENT.rglob("*.py")
        if re.search(pattern, path.read_text())
    ]
    assert offenders == []


def test_providers_package_has_no_home_assistant_imports() -> None:
    providers = COMPONENT / "providers"
    offenders = [
        str(path.relative_to(ROOT))
        for path in providers.rglob("*.py")
        if re.search(r"^\s*(from|import) homeassistant", path.read_text(), re.MULTILINE)
    ]
    assert offenders == []
