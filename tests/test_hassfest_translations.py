"""hassfest's translation checks, run on strings.json and every translations/*.json.

Home Assistant core checks integration translations with hassfest, in
``script/hassfest/translations.py`` of home-assistant/core. hassfest is not part
of the installed ``homeassistant`` package, so the rules of that file that apply
to this integration are ported here. They run on Home Assistant's own
``homeassistant.helpers.config_validation`` (``cv``) and ``voluptuous``, as in
hassfest.

Ported from ``script/hassfest/translations.py``:

* ``validate_translation_value`` on every translated string:
  ``cv.string_with_no_html``, ``string_no_single_quoted_placeholders``,
  ``validate_placeholders`` (placeholders must be identifiers; none in entity
  states, state attributes and units), no combined references
  (``RE_COMBINED_REFERENCE``), no leading or trailing whitespace, and no URLs
  (``RE_URL``: they belong in description placeholders).
* ``translation_key_validator`` (``RE_TRANSLATION_KEY``: lowercase, digits,
  ``-`` and ``_``, no leading, trailing or doubled separators), ``cv.slug`` and
  ``cv.schema_with_slug_keys`` on the keys hassfest checks.
* ``gen_data_entry_schema`` for ``config``, ``options``, ``config_subentries``
  (``entry_type`` and ``initiate_flow.user`` required) and for repair issues'
  ``fix_flow``: the keys a step and a flow may have, the removed ``config.title``
  (``REMOVED_TITLE_MSG``), ``data_description`` keys that must exist in the
  step's ``data``, and the user step description that helper integrations need
  (``mandatory_description``).
* ``gen_issues_schema`` (a title, and a description or a fix flow, not both)
  and ``_EXCEPTIONS_SCHEMA``.
* From ``gen_strings_schema``: the ``title``, ``config``, ``config_subentries``,
  ``options``, ``selector``, ``device_automation``, ``issues``, ``device``,
  ``entity``, ``exceptions`` and ``services`` sections.
* ``validate_translation_file``'s reference check for strings.json
  (``find_references``): every ``[%key:...%]`` must resolve, against Home
  Assistant's own strings.json (``common::...``) or ours
  (``component::sms_gateway::...``), and point at a plain string, not at another
  reference ("Lokalise supports only one level of references").

Differences from hassfest:

* hassfest checks a custom integration's strings.json and translations/en.json;
  here every translations/*.json gets the same schema.
* Not a hassfest rule: translations/*.json may not contain ``[%key:...%]``
  references. Only core's translation build resolves them; Home Assistant loads
  a custom integration's translation files as they are.
* A ``config.title`` is an error here; hassfest only warns for custom
  integrations.
* Every failing rule is reported: the validators that hassfest chains with
  ``vol.All`` (which stops at the first failure) all run.
* Not ported, as nothing here uses them: the ``preview_features``,
  ``system_health``, ``config_panel``, ``application_credentials``,
  ``entity_component``, ``conditions``, ``triggers``, ``conversation`` and
  ``common`` sections (they are rejected as unknown keys until ported), the
  auth, onboarding and hardware schemas, the brand-name title rules (core
  integrations only) and the ``.translations`` directory check.
"""

from collections.abc import Callable
import json
from pathlib import Path
import re
import string
from typing import Any

import homeassistant
import homeassistant.helpers.config_validation as cv
import pytest

# After homeassistant: newer releases (2026.10 here, not 2026.8) install a voluptuous shim on import.
import voluptuous as vol

ROOT = Path(__file__).resolve().parent.parent
COMPONENT = ROOT / "custom_components" / "sms_gateway"
DOMAIN = "sms_gateway"
FILES = [COMPONENT / "strings.json", *sorted((COMPONENT / "translations").glob("*.json"))]

# -- script/hassfest/translations.py ------------------------------------------

UNDEFINED = 0
REQUIRED = 1
REMOVED = 2

RE_REFERENCE = r"\[\%key:(.+)\%\]"
RE_TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
RE_COMBINED_REFERENCE = re.compile(r"(.+\[%)|(%\].+)")
RE_PLACEHOLDER_IN_SINGLE_QUOTES = re.compile(r"'{\w+}'")
RE_URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)

REMOVED_TITLE_MSG = (
    "config.title key has been moved out of config and into the root of strings.json. "
    "Starting Home Assistant 0.109 you only need to define this key in the root "
    "if the title needs to be different than the name of your integration in the "
    "manifest."
)


def translation_key_validator(value: str) -> str:
    """Validate value is valid translation key."""
    if RE_TRANSLATION_KEY.match(value) is None:
        raise vol.Invalid(
            f"Invalid translation key '{value}', need to be [a-z0-9-_]+ and"
            " cannot start or end with a hyphen or underscore."
        )

    return value


def validate_translation_value(value: Any, allow_placeholders: bool = True) -> str:
    """Validate that the value is a valid translation.

    - prevents string with HTML
    - prevents strings with single quoted placeholders
    - prevents strings with placeholders using invalid identifiers
    - prevents placeholders where they are not allowed
    - prevents combined translations
    """
    string_value = cv.string_with_no_html(value)
    string_value = string_no_single_quoted_placeholders(string_value)
    string_value = validate_placeholders(string_value, allow_placeholders)
    if RE_COMBINED_REFERENCE.search(string_value):
        raise vol.Invalid("the string should not contain combined translations")
    if string_value != string_value.strip():
        raise vol.Invalid("the string should not contain leading or trailing spaces")
    if RE_URL.search(string_value):
        raise vol.Invalid(
            "the string should not contain URLs, please use description placeholders instead"
        )
    return string_value


def translation_value_validator(value: Any) -> str:
    """Validate translation value with default options."""
    return validate_translation_value(value)


def custom_translation_value_validator(
    allow_placeholders: bool = True,
) -> Callable[[Any], str]:
    """Validate translation value with custom options."""

    def _validator(value: Any) -> str:
        return validate_translation_value(value, allow_placeholders)

    return _validator


def string_no_single_quoted_placeholders(value: str) -> str:
    """Validate that the value does not contain placeholders inside single quotes."""
    if RE_PLACEHOLDER_IN_SINGLE_QUOTES.search(value):
        raise vol.Invalid("the string should not contain placeholders inside single quotes")
    return value


def validate_placeholders(value: str, allow_placeholders: bool) -> str:
    """Validate that placeholders in translations use valid identifiers."""
    formatter = string.Formatter()

    for _, field_name, _, _ in formatter.parse(value):
        if field_name:  # skip literal text segments
            if not allow_placeholders:
                raise vol.Invalid("placeholders are not supported in this value")
            if not field_name.isidentifier():
                raise vol.Invalid("placeholders must be valid identifiers ([a-zA-Z_][a-zA-Z0-9_]*)")
    return value


def removed_title_validator(value: Any) -> Any:
    """Mark removed title (hassfest only warns for custom integrations)."""
    raise vol.Invalid(REMOVED_TITLE_MSG)


def every(*validators: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Like ``vol.All`` for validators that return their input, but report all failures."""

    def validate(value: Any) -> Any:
        errors: list[vol.Invalid] = []
        for validator in validators:
            try:
                validator(value)
            except vol.MultipleInvalid as err:
                errors.extend(err.errors)
            except vol.Invalid as err:
                errors.append(err)
        if errors:
            raise vol.MultipleInvalid(errors)
        return value

    return validate


def gen_data_entry_schema(
    *,
    flow_title: int,
    require_step_title: bool,
    mandatory_description: str | None = None,
    subentry_flow: bool = False,
) -> Callable[[Any], Any]:
    """Generate a data entry schema."""
    step_title_class = vol.Required if require_step_title else vol.Optional
    schema: dict[Any, Any] = {
        vol.Optional("flow_title"): translation_value_validator,
        vol.Required("step"): {
            str: {
                step_title_class("title"): translation_value_validator,
                vol.Optional("description"): translation_value_validator,
                vol.Optional("data"): {str: translation_value_validator},
                vol.Optional("data_description"): {str: translation_value_validator},
                vol.Optional("menu_options"): {str: translation_value_validator},
                vol.Optional("menu_option_descriptions"): {str: translation_value_validator},
                vol.Optional("submit"): translation_value_validator,
                vol.Optional("sections"): {
                    str: {
                        vol.Optional("data"): {str: translation_value_validator},
                        vol.Optional("data_description"): {str: translation_value_validator},
                        vol.Optional("description"): translation_value_validator,
                        vol.Optional("name"): translation_value_validator,
                    },
                },
            }
        },
        vol.Optional("error"): {str: translation_value_validator},
        vol.Optional("abort"): {str: translation_value_validator},
        vol.Optional("progress"): {str: translation_value_validator},
        vol.Optional("create_entry"): {str: translation_value_validator},
    }
    if subentry_flow:
        schema[vol.Required("entry_type")] = translation_value_validator
        schema[vol.Required("initiate_flow")] = {
            vol.Required("user"): translation_value_validator,
            str: translation_value_validator,
        }
    else:
        schema[vol.Optional("initiate_flow")] = {
            vol.Required("user"): translation_value_validator,
        }
    if flow_title == REQUIRED:
        schema[vol.Required("title")] = translation_value_validator
    elif flow_title == REMOVED:
        schema[vol.Optional("title", msg=REMOVED_TITLE_MSG)] = removed_title_validator

    def steps(value: Any) -> dict[str, Any]:
        if isinstance(value, dict) and isinstance(value.get("step"), dict):
            return {k: v for k, v in value["step"].items() if isinstance(v, dict)}
        return {}  # the schema reports it

    def data_description_validator(value: dict[str, Any]) -> dict[str, Any]:
        """Validate data description."""
        for step_id, step_info in steps(value).items():
            if "data_description" not in step_info:
                continue

            for key in step_info["data_description"]:
                if key not in step_info.get("data", {}):
                    raise vol.Invalid(
                        f"data_description key {key} is not in data",
                        path=["step", step_id, "data_description", key],
                    )

        return value

    validators = [vol.Schema(schema), data_description_validator]

    if mandatory_description is not None:

        def validate_description_set(value: dict[str, Any]) -> dict[str, Any]:
            """Validate description is set."""
            if not isinstance(value, dict) or not isinstance(value.get("step"), dict):
                return value  # the schema reports it
            found = value["step"]
            if mandatory_description not in found:
                raise vol.Invalid(f"{mandatory_description} needs to be defined")

            if "description" not in found[mandatory_description]:
                raise vol.Invalid(f"Step {mandatory_description} needs a description")

            return value

        validators.append(validate_description_set)

    return every(*validators)


def gen_issues_schema() -> dict[Any, Any]:
    """Generate the issues schema."""
    return {
        str: every(
            cv.has_at_least_one_key("description", "fix_flow"),
            vol.Schema(
                {
                    vol.Required("title"): translation_value_validator,
                    vol.Exclusive("description", "fixable"): translation_value_validator,
                    vol.Exclusive("fix_flow", "fixable"): gen_data_entry_schema(
                        flow_title=UNDEFINED,
                        require_step_title=False,
                    ),
                },
            ),
        )
    }


_EXCEPTIONS_SCHEMA = {
    vol.Optional("exceptions"): cv.schema_with_slug_keys(
        {vol.Optional("message"): translation_value_validator},
        slug_validator=cv.slug,
    ),
}


def gen_strings_schema(integration_type: str) -> vol.Schema:
    """Generate a strings schema (the sections this integration can use)."""
    no_placeholders = custom_translation_value_validator(allow_placeholders=False)
    return vol.Schema(
        {
            vol.Optional("title"): translation_value_validator,
            vol.Optional("config"): gen_data_entry_schema(
                flow_title=REMOVED,
                require_step_title=False,
                mandatory_description=("user" if integration_type == "helper" else None),
            ),
            vol.Optional("config_subentries"): cv.schema_with_slug_keys(
                gen_data_entry_schema(
                    flow_title=REMOVED,
                    require_step_title=False,
                    subentry_flow=True,
                ),
                slug_validator=vol.Any("_", cv.slug),
            ),
            vol.Optional("options"): gen_data_entry_schema(
                flow_title=UNDEFINED,
                require_step_title=False,
            ),
            vol.Optional("selector"): cv.schema_with_slug_keys(
                {
                    vol.Optional("choices"): cv.schema_with_slug_keys(
                        translation_value_validator,
                        slug_validator=translation_key_validator,
                    ),
                    vol.Optional("options"): cv.schema_with_slug_keys(
                        translation_value_validator,
                        slug_validator=translation_key_validator,
                    ),
                    vol.Optional("unit_of_measurement"): cv.schema_with_slug_keys(
                        translation_value_validator,
                        slug_validator=translation_key_validator,
                    ),
                    vol.Optional("fields"): vol.Any(
                        # Old format: "key": "translation"
                        cv.schema_with_slug_keys(str),
                        # New format: "key": {"name": ..., "description": ...}
                        cv.schema_with_slug_keys(
                            {
                                vol.Required("name"): str,
                                vol.Required("description"): translation_value_validator,
                            },
                            slug_validator=translation_key_validator,
                        ),
                    ),
                },
                slug_validator=vol.Any("_", cv.slug),
            ),
            vol.Optional("device_automation"): {
                vol.Optional("action_type"): {str: translation_value_validator},
                vol.Optional("condition_type"): {str: translation_value_validator},
                vol.Optional("trigger_type"): {str: translation_value_validator},
                vol.Optional("trigger_subtype"): {str: translation_value_validator},
                vol.Optional("extra_fields"): {str: translation_value_validator},
                vol.Optional("extra_fields_descriptions"): {str: translation_value_validator},
            },
            vol.Optional("issues"): gen_issues_schema(),
            vol.Optional("device"): cv.schema_with_slug_keys(
                {
                    vol.Optional("name"): translation_value_validator,
                },
                slug_validator=translation_key_validator,
            ),
            vol.Optional("entity"): cv.schema_with_slug_keys(
                cv.schema_with_slug_keys(
                    {
                        vol.Optional("name"): translation_value_validator,
                        vol.Optional("state"): cv.schema_with_slug_keys(
                            no_placeholders,
                            slug_validator=translation_key_validator,
                        ),
                        vol.Optional("state_attributes"): cv.schema_with_slug_keys(
                            {
                                vol.Optional("name"): no_placeholders,
                                vol.Optional("state"): cv.schema_with_slug_keys(
                                    no_placeholders,
                                    slug_validator=translation_key_validator,
                                ),
                            },
                            slug_validator=translation_key_validator,
                        ),
                        vol.Optional("unit_of_measurement"): no_placeholders,
                    },
                    slug_validator=translation_key_validator,
                ),
                slug_validator=cv.slug,
            ),
            **_EXCEPTIONS_SCHEMA,
            vol.Optional("services"): cv.schema_with_slug_keys(
                {
                    vol.Required("name"): translation_value_validator,
                    vol.Required("description"): translation_value_validator,
                    vol.Optional("fields"): cv.schema_with_slug_keys(
                        {
                            vol.Required("name"): str,
                            vol.Required("description"): translation_value_validator,
                            vol.Optional("example"): translation_value_validator,
                        },
                        slug_validator=translation_key_validator,
                    ),
                    vol.Optional("sections"): cv.schema_with_slug_keys(
                        {
                            vol.Required("name"): str,
                            vol.Optional("description"): translation_value_validator,
                        },
                        slug_validator=translation_key_validator,
                    ),
                },
                slug_validator=translation_key_validator,
            ),
        }
    )


def find_references(strings: dict[str, Any], prefix: str, found: list[dict[str, str]]) -> None:
    """Find references."""
    for key, value in strings.items():
        if isinstance(value, dict):
            find_references(value, f"{prefix}::{key}", found)
            continue

        if isinstance(value, str) and (match := re.match(RE_REFERENCE, value)):
            found.append({"source": f"{prefix}::{key}", "ref": match.group(1)})


def reference_errors(strings: dict[str, Any], name: str) -> list[str]:
    """Check references as validate_translation_file does for core integrations.

    hassfest resolves them in all of core's strings (script/translations/upload.py's
    generate_upload_data: homeassistant/strings.json plus component::<domain>);
    a custom integration has Home Assistant's strings.json and its own.
    """
    core = Path(homeassistant.__file__).parent / "strings.json"
    all_strings: dict[str, Any] = json.loads(core.read_text(encoding="utf-8"))
    all_strings["component"] = {DOMAIN: strings}
    references: list[dict[str, str]] = []
    find_references(strings, name, references)
    errors = []
    for reference in references:
        parts = reference["ref"].split("::")
        search: Any = all_strings
        key = parts.pop(0)
        while parts and isinstance(search, dict) and key in search:
            search = search[key]
            key = parts.pop(0)

        if parts or not isinstance(search, dict) or key not in search:
            errors.append(
                f"{reference['source']} contains invalid reference "
                f"{reference['ref']}: Could not find {key}"
            )
        elif not isinstance(search[key], str):
            errors.append(f"{reference['source']}: {reference['ref']} is not a string")
        elif match := re.match(RE_REFERENCE, search[key]):
            errors.append(
                "Lokalise supports only one level of references: "
                f'"{reference["source"]}" should point to directly '
                f'to "{match.group(1)}"'
            )
    return errors


# -- applying it --------------------------------------------------------------


def _leaves(node: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    if isinstance(node, dict):
        return [leaf for key, value in node.items() for leaf in _leaves(value, (*path, key))]
    return [(path, node)]


def _value_at(data: Any, path: list[Any]) -> Any:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def translation_errors(path: Path) -> list[str]:
    """Every rule the file breaks, as "key.path: message" lines."""
    name = str(path.relative_to(COMPONENT))
    try:
        strings = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        return [f"Invalid JSON in {name}: {err}"]
    manifest = json.loads((COMPONENT / "manifest.json").read_text(encoding="utf-8"))
    schema = gen_strings_schema(manifest.get("integration_type", "hub"))

    errors: list[str] = []
    try:
        schema(strings)
    except vol.MultipleInvalid as err:
        invalid = err.errors
    except vol.Invalid as err:
        invalid = [err]
    else:
        invalid = []
    for error in invalid:
        key_path = ".".join(str(part) for part in error.path) or "<root>"
        value = _value_at(strings, error.path)
        got = f" (got {value!r})" if isinstance(value, str) else ""
        errors.append(f"{key_path}: {error.msg}{got}")

    if path.name == "strings.json":
        errors += reference_errors(strings, name)
    else:
        errors += [
            f"{'.'.join(key)}: [%key:...%] references are only resolved in strings.json (got {value!r})"
            for key, value in _leaves(strings)
            if isinstance(value, str) and re.search(RE_REFERENCE, value)
        ]
    return sorted(errors)


@pytest.mark.parametrize("path", FILES, ids=lambda path: str(path.relative_to(COMPONENT)))
def test_translation_file_passes_hassfest(path: Path) -> None:
    errors = translation_errors(path)
    assert not errors, f"{path.relative_to(COMPONENT)} fails hassfest's rules:\n" + "\n".join(
        errors
    )


def test_rules_catch_known_problems() -> None:
    """The ported rules reject what hassfest rejects."""
    bad = [
        "+<country code> <number>",
        " leading space",
        "see https://example.com/docs",
        "a '{quoted}' placeholder",
        "{not valid}",
        "prefix [%key:common::config_flow::data::name%]",
    ]
    for value in bad:
        with pytest.raises(vol.Invalid):
            translation_value_validator(value)
    translation_value_validator("+ and the country code, e.g. +30 {number}")
    with pytest.raises(vol.Invalid):
        custom_translation_value_validator(allow_placeholders=False)("Viber {sender}")
    with pytest.raises(vol.Invalid):
        translation_key_validator("Not_a_key")
    with pytest.raises(vol.Invalid):
        gen_data_entry_schema(flow_title=UNDEFINED, require_step_title=False)(
            {"step": {"init": {"data": {}, "data_description": {"x": "X"}}}}
        )
