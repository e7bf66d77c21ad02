"""Settings as text: `config.toml` as shipped, and the effective settings with secrets masked.

Both are generated from the settings types' declarations, so the shipped
file cannot drift from the code (a test compares them).
"""

from __future__ import annotations

from bot.config.load import Key, all_keys, keys, sections
from bot.config.schema import Settings
from bot.config.values import to_toml

HEADER = """\
# FumbleBot configuration. Every setting is here with a default that works for
# `fumblebot run`. Any key can be overridden from the environment as
# FUMBLEBOT_<SECTION>_<KEY>, e.g. FUMBLEBOT_CORE_PORT=9000.
#
# Secrets are never read from this file; set them in the environment:
"""


def template() -> str:
    """Return config.toml as shipped: every setting at its default, with its help."""
    lines = [HEADER.rstrip("\n"), *_secret_help()]
    for section, kind in sections():
        lines += ["", f"[{section}]"]
        for key in keys(section, kind):
            if not key.secret:
                lines += [f"# {key.declared.help}", f"{key.name} = {to_toml(key.default)}"]
    return "\n".join(lines) + "\n"


def _secret_help() -> list[str]:
    lines = []
    for key in all_keys():
        if key.secret:
            lines += [f"#   {key.env} ({key.section}.{key.name})", f"#       {key.declared.help}"]
    return lines


def describe(settings: Settings) -> str:
    """Render the effective settings as TOML, with secrets masked."""
    lines = []
    for section, kind in sections():
        lines.append(f"[{section}]")
        current = getattr(settings, section)
        for key in keys(section, kind):
            lines.append(f"{key.name} = {_shown(key, getattr(current, key.name))}")
        lines.append("")
    return "\n".join(lines)


def _shown(key: Key, value: object) -> str:
    if not key.secret:
        return to_toml(value)
    return f'"<set: {key.env}>"' if value else "# not set"
