"""Render custom_components/sms_gateway/strings.json into translations/en.json.

Home Assistant core does this with its own tooling; custom integrations ship
the rendered file. References like ``[%key:common::config_flow::data::username%]``
are resolved from Home Assistant's own strings, or from ours
(``[%key:component::sms_gateway::...%]``).

Usage: scripts/py scripts/gen_translations.py [--check]
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import sys
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
COMPONENT = ROOT / "custom_components" / "sms_gateway"
REFERENCE = re.compile(r"\[%key:([a-z0-9_:]+)%\]")


def _common_strings() -> dict[str, Any]:
    import homeassistant

    path = Path(homeassistant.__file__).parent / "strings.json"
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _lookup(tree: dict[str, Any], dotted: list[str]) -> str:
    node: Any = tree
    for part in dotted:
        node = node[part]
    if not isinstance(node, str):
        raise TypeError(f"reference {'::'.join(dotted)} is not a string")
    return node


def render(strings: dict[str, Any]) -> dict[str, Any]:
    """Resolve every [%key:...%] reference."""
    common = _common_strings()

    def resolve(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: resolve(item) for key, item in value.items()}
        if isinstance(value, str):

            def replace(match: re.Match[str]) -> str:
                parts = match.group(1).split("::")
                if parts[0] == "common":
                    return str(resolve(_lookup(common, parts)))
                if parts[:2] == ["component", "sms_gateway"]:
                    return str(resolve(_lookup(strings, parts[2:])))
                raise KeyError(match.group(0))

            return REFERENCE.sub(replace, value)
        return value

    return dict(resolve(strings))


def main() -> int:
    """Write (or with --check, compare) translations/en.json."""
    strings = json.loads((COMPONENT / "strings.json").read_text(encoding="utf-8"))
    rendered = json.dumps(render(strings), indent=2, ensure_ascii=False) + "\n"
    target = COMPONENT / "translations" / "en.json"
    if "--check" in sys.argv:
        if target.read_text(encoding="utf-8") != rendered:
            print("translations/en.json is stale: run scripts/gen_translations.py")
            return 1
        return 0
    target.write_text(rendered, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
