"""Translations mirror en.json: same key paths and the same placeholders per string."""

import json
from pathlib import Path
import re

import pytest

TRANSLATIONS = Path(__file__).parent.parent / "custom_components" / "sms_gateway" / "translations"
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
LANGUAGES = sorted(path.stem for path in TRANSLATIONS.glob("*.json") if path.stem != "en")


def _strings(node: object, path: str = "") -> dict[str, object]:
    """Flatten nested translation dicts into {"a.b.c": value}."""
    if isinstance(node, dict):
        flat: dict[str, object] = {}
        for key, value in node.items():
            flat.update(_strings(value, f"{path}.{key}" if path else key))
        return flat
    return {path: node}


def _load(language: str) -> dict[str, object]:
    return _strings(json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8")))


def translation_differences(language: str) -> list[str]:
    """Describe every key or placeholder mismatch between en.json and <language>.json."""
    english = _load("en")
    other = _load(language)
    problems = [f"missing: {key}" for key in english.keys() - other.keys()]
    problems += [f"extra: {key}" for key in other.keys() - english.keys()]
    for key in english.keys() & other.keys():
        source, target = english[key], other[key]
        if not isinstance(target, str) or not target.strip():
            problems.append(f"not a non-empty string: {key}")
            continue
        if set(PLACEHOLDER.findall(str(source))) != set(PLACEHOLDER.findall(target)):
            problems.append(
                f"placeholders differ: {key}: "
                f"{sorted(PLACEHOLDER.findall(str(source)))} != {sorted(PLACEHOLDER.findall(target))}"
            )
    return sorted(problems)


def test_greek_translation_exists() -> None:
    assert "el" in LANGUAGES


@pytest.mark.parametrize("language", LANGUAGES)
def test_translation_matches_english(language: str) -> None:
    assert translation_differences(language) == []
