"""Server-side validation mirroring Discord's documented limits.

Errors are raised as :class:`ApiError` carrying Discord-shaped bodies, e.g.
``{"code": 50035, "message": "Invalid Form Body", "errors": {"content": {"_errors": [...]}}}``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .discord_messages import iter_components
from .discord_models import JSON, MessageFlag

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
EMBED_FIELDS_MAX = 25
EMBED_LIMITS = {"title": 256, "description": 4096}
FIELD_LIMITS = {"name": 256, "value": 1024}
FOOTER_MAX = 2048
AUTHOR_NAME_MAX = 256
ACTION_ROWS_MAX = 5
ROW_ITEMS_MAX = 5
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
CHOICES_MAX = 25
WEBHOOK_NAME_MAX = 80
_COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")

Path = tuple[str | int, ...]


class ApiError(Exception):
    """An error answer of the emulated API (status + Discord JSON error body)."""

    def __init__(self, status: int, code: int, message: str, errors: JSON | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def to_payload(self) -> JSON:
        body: JSON = {"code": self.code, "message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


class FormErrors:
    """Accumulates a Discord error tree: ``{"embeds": {"0": {"title": {"_errors": [...]}}}}``."""

    def __init__(self) -> None:
        self.tree: JSON = {}

    def add(self, path: Path, code: str, message: str) -> None:
        node = self.tree
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_length(self, path: Path, value: Any, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def raise_if_any(self) -> None:
        if self.tree:
            raise ApiError(400, 50035, "Invalid Form Body", self.tree)


def not_found(code: int, what: str) -> ApiError:
    return ApiError(404, code, f"Unknown {what}")


def missing_permissions() -> ApiError:
    return ApiError(403, 50013, "Missing Permissions")


def _embed_text_length(embed: JSON) -> int:
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for fld in embed.get("fields") or []:
        total += len(fld.get("name") or "") + len(fld.get("value") or "")
    return total


def _validate_embeds(embeds: Sequence[JSON], errors: FormErrors, prefix: Path) -> None:
    path = (*prefix, "embeds")
    if len(embeds) > EMBEDS_MAX:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {EMBEDS_MAX} or fewer in length.")
    for i, embed in enumerate(embeds):
        for key, limit in EMBED_LIMITS.items():
            errors.max_length((*path, i, key), embed.get(key), limit)
        errors.max_length(
            (*path, i, "footer", "text"), (embed.get("footer") or {}).get("text"), FOOTER_MAX
        )
        author_name = (embed.get("author") or {}).get("name")
        errors.max_length((*path, i, "author", "name"), author_name, AUTHOR_NAME_MAX)
        fields = embed.get("fields") or []
        if len(fields) > EMBED_FIELDS_MAX:
            errors.add(
                (*path, i, "fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
            )
        for j, fld in enumerate(fields):
            for key, limit in FIELD_LIMITS.items():
                value = fld.get(key)
                if not value:
                    errors.add(
                        (*path, i, "fields", j, key), "BASE_TYPE_REQUIRED", "This field is required"
                    )
                errors.max_length((*path, i, "fields", j, key), value, limit)
    if sum(_embed_text_length(e) for e in embeds) > EMBED_TOTAL_MAX:
        errors.add(path, "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


def _validate_components(
    components: Sequence[JSON], flags: int, errors: FormErrors, prefix: Path
) -> None:
    path = (*prefix, "components")
    v2 = bool(flags & MessageFlag.IS_COMPONENTS_V2)
    if not v2 and len(components) > ACTION_ROWS_MAX:
        errors.add(path, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
    for i, row in enumerate(components):
        if not v2 and row.get("type") != 1:
            errors.add(
                (*path, i, "type"),
                "UNION_TYPE_CHOICES",
                "Top-level components must be action rows.",
            )
        children = row.get("components") or []
        if row.get("type") == 1 and len(children) > ROW_ITEMS_MAX:
            errors.add(
                (*path, i, "components"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 5 in length.",
            )
    seen: set[str] = set()
    for comp in iter_components(list(components)):
        custom_id = comp.get("custom_id")
        if comp.get("type") == 2:
            errors.max_length((*path, "label"), comp.get("label"), BUTTON_LABEL_MAX)
            if comp.get("style") == 5 and not comp.get("url"):
                errors.add((*path, "url"), "BASE_TYPE_REQUIRED", "Link buttons need a url.")
            if comp.get("style") not in (5, 6) and not custom_id:
                errors.add((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
        if custom_id is None:
            continue
        errors.max_length((*path, "custom_id"), custom_id, CUSTOM_ID_MAX)
        if custom_id in seen:
            errors.add(
                path, "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"
            )
        seen.add(custom_id)


def check_message(
    body: JSON, *, prefix: Path = (), has_files: bool = False, creating: bool = True
) -> None:
    """Validate a message create/edit body (content, embeds, components)."""
    errors = FormErrors()
    content = body.get("content")
    if content is not None and not isinstance(content, str):
        errors.add(
            (*prefix, "content"), "STRING_TYPE_CONVERT", "Could not interpret value as string."
        )
    errors.max_length((*prefix, "content"), content, CONTENT_MAX)
    embeds = body.get("embeds") or []
    _validate_embeds(embeds, errors, prefix)
    flags = int(body.get("flags") or 0)
    components = body.get("components") or []
    _validate_components(components, flags, errors, prefix)
    errors.raise_if_any()
    has_payload = content or embeds or components or has_files
    if creating and not (has_payload or body.get("sticker_ids") or body.get("poll")):
        raise ApiError(400, 50006, "Cannot send an empty message")


def check_autocomplete(data: JSON) -> None:
    errors = FormErrors()
    choices = data.get("choices") or []
    if len(choices) > CHOICES_MAX:
        errors.add(("data", "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for i, choice in enumerate(choices):
        name = choice.get("name")
        if not name:
            errors.add(
                ("data", "choices", i, "name"), "BASE_TYPE_REQUIRED", "This field is required"
            )
        errors.max_length(("data", "choices", i, "name"), name, 100)
        errors.max_length(("data", "choices", i, "value"), choice.get("value"), 100)
    errors.raise_if_any()


def check_deferred(data: JSON) -> None:
    """A type 5 (deferred) response may only carry the ephemeral flag."""
    errors = FormErrors()
    for key in data:
        if key != "flags":
            errors.add(("data", key), "INTERACTION_DEFERRED_FIELD", "Only flags are allowed here.")
    if int(data.get("flags") or 0) & ~MessageFlag.EPHEMERAL:
        errors.add(("data", "flags"), "INTERACTION_DEFERRED_FLAGS", "Only EPHEMERAL is allowed.")
    errors.raise_if_any()


def check_webhook_name(name: Any, key: str) -> None:
    errors = FormErrors()
    if not isinstance(name, str) or not name.strip():
        errors.add((key,), "BASE_TYPE_REQUIRED", "This field is required")
    else:
        errors.max_length((key,), name, WEBHOOK_NAME_MAX)
        for banned in ("clyde", "discord"):
            if banned in name.lower():
                errors.add(
                    (key,), "USERNAME_INVALID_CONTAINS", f'Username cannot contain "{banned}"'
                )
    errors.raise_if_any()


def check_commands(commands: Sequence[JSON]) -> None:
    """A subset of Discord's application command validation."""
    errors = FormErrors()
    seen: set[tuple[str, int]] = set()
    for i, cmd in enumerate(commands):
        name = str(cmd.get("name") or "")
        ctype = int(cmd.get("type", 1))
        if ctype == 1 and (not _COMMAND_NAME.match(name) or name != name.lower()):
            errors.add((i, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        if (name, ctype) in seen:
            errors.add((i, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME", "Duplicate command name")
        seen.add((name, ctype))
        if ctype == 1:
            _check_options(cmd, errors, (i,))
    errors.raise_if_any()


def _check_options(node: JSON, errors: FormErrors, path: Path) -> None:
    desc = node.get("description")
    if not isinstance(desc, str) or not 1 <= len(desc) <= 100:
        errors.add(
            (*path, "description"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )
    options = node.get("options") or []
    if len(options) > 25:
        errors.add((*path, "options"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    optional_seen = False
    for j, opt in enumerate(options):
        opath = (*path, "options", j)
        if not _COMMAND_NAME.match(str(opt.get("name") or "")):
            errors.add(
                (*opath, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Option name is invalid"
            )
        if opt.get("type") in (1, 2):
            _check_options(opt, errors, opath)
            continue
        if opt.get("required"):
            if optional_seen:
                errors.add(
                    opath,
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            optional_seen = True
        if len(opt.get("choices") or []) > CHOICES_MAX:
            errors.add(
                (*opath, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
            )
        d = opt.get("description")
        if not isinstance(d, str) or not 1 <= len(d) <= 100:
            errors.add(
                (*opath, "description"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
