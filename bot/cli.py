"""The `fumblebot` command line.

It parses arguments, loads the configuration once, configures logging (the
only place that does) and hands over to the composition root in `serve`.
Failures a user can fix end as one line on stderr and exit status 2.

Each command imports only what it uses, inside its branch: `roll` and
`check-config` must not pay for the SDKs, the web stack and discord.py that
`run` needs (tests/bot/test_cli_imports.py holds them to it).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import FumbleBotError

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger("fumblebot")

DEFAULT_CONFIG = "config.toml"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fumblebot", description="Dice, VTT bridge and AI game assistant for Discord."
    )
    parser.add_argument(
        "--config",
        default=os.environ.get("FUMBLEBOT_CONFIG"),
        help=f"path to the TOML config (default: ./{DEFAULT_CONFIG} if present, else built-ins)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("run", help="run Core, the bridge and (with a token) the bot in one process")
    sub.add_parser("core", help="run Core alone")
    sub.add_parser("service", help="run the bot and the bridge, reporting to Core at core.url")
    roll = sub.add_parser("roll", help="roll dice locally and print the breakdown")
    roll.add_argument("expression", nargs="+", help="dice notation, e.g. 2d20kh1+5 Attack")
    roll.add_argument("--seed", type=int, help="seed the dice, for reproducible rolls")
    check = sub.add_parser(
        "check-config", help="validate the configuration and print it, secrets masked"
    )
    check.add_argument(
        "--template", action="store_true", help="print config.toml with every default instead"
    )
    sub.add_parser(
        "extension-path",
        help="print the folder of the Roll20 extension, to load unpacked in Chromium",
    )
    secret = sub.add_parser("gen-secret", help="print a new webhook signing secret")
    secret.add_argument(
        "--encryption-key", action="store_true", help="print a Core encryption key instead"
    )
    invite = sub.add_parser(
        "invite", help="print the URL that adds the bot to a server, with the permissions it needs"
    )
    invite.add_argument(
        "--application-id",
        type=int,
        help="the application id (default: read from FUMBLEBOT_DISCORD_TOKEN)",
    )
    _add_outbox_parser(sub)
    _add_migrate_parser(sub)
    _add_keys_parser(sub)
    export = sub.add_parser("export", help="write a campaign and all it holds as one JSON file")
    export.add_argument("campaign", help="the campaign's id or external key")
    export.add_argument("-o", "--output", type=Path, help="the file (default: stdout)")
    load = sub.add_parser("import", help="add a campaign exported from another Core")
    load.add_argument("file", type=Path, help="a file written by 'fumblebot export'")
    return parser


def _add_migrate_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    migrate = sub.add_parser("migrate", help="migrate Core's database, or show its revision")
    actions = migrate.add_subparsers(dest="migrate_action", metavar="ACTION", required=True)
    up = actions.add_parser("upgrade", help="apply pending migrations (to REVISION, else head)")
    up.add_argument("revision", nargs="?", default="head")
    down = actions.add_parser("downgrade", help="revert migrations down to REVISION")
    down.add_argument("revision")
    actions.add_parser("current", help="show the database's revision")
    actions.add_parser("history", help="list the migrations this version ships")


def _add_keys_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = sub.add_parser("keys", help="issue, list or revoke the API keys Core issues itself")
    actions = keys.add_subparsers(dest="keys_action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="issue a key and print it, this once")
    create.add_argument("--role", default="query", choices=["query", "admin"])
    create.add_argument(
        "--campaign",
        action="append",
        default=[],
        dest="campaigns",
        help="a campaign (id or external key) the key sees; repeat for more; none: every one",
    )
    create.add_argument("--label", help="who or what holds the key")
    actions.add_parser("list", help="list issued keys (never the keys themselves)")
    revoke = actions.add_parser("revoke", help="revoke a key by id, at once")
    revoke.add_argument("key_id", metavar="ID")


def _add_outbox_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    box = sub.add_parser(
        "outbox", help="show the queue of reports to Core and its dead letters; retry or drop them"
    )
    actions = box.add_subparsers(dest="outbox_action", metavar="ACTION")
    actions.add_parser("show", help="show the queue and the dead letters (the default)")
    for name, what in (
        ("retry", "put dead letters back in the queue"),
        ("drop", "delete dead letters for good"),
    ):
        action = actions.add_parser(name, help=what)
        action.add_argument("event_ids", nargs="*", metavar="EVENT_ID", help="dead letters by id")
        action.add_argument("--all", action="store_true", dest="every", help="every dead letter")
        if name == "drop":
            action.add_argument("--yes", action="store_true", help="confirm dropping --all")


def _config_path(arg: str | None) -> Path | None:
    if arg:
        return Path(arg)
    default = Path(DEFAULT_CONFIG)
    return default if default.is_file() else None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit status."""
    args = _parser().parse_args(argv)
    if args.command == "gen-secret":
        return _gen_secret(encryption_key=args.encryption_key)
    if args.command == "extension-path":
        from bridge.assets import extension_dir

        print(extension_dir())
        return 0
    from bot.config import load

    try:
        settings = load(_config_path(args.config), os.environ)
        _configure_logging(settings)
        return _dispatch(args, settings)
    except FumbleBotError as exc:
        print(f"fumblebot: {exc}", file=sys.stderr)
        return 2


def _gen_secret(*, encryption_key: bool) -> int:
    import base64

    from core_client import signing

    key = base64.b64encode(os.urandom(32)).decode() if encryption_key else None
    print(key or signing.generate_secret())
    return 0


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "outbox":
        return _outbox(args, settings)
    if args.command in ("export", "import", "migrate"):
        return _database(args, settings.database_url)
    if args.command == "keys":
        return _keys(args, settings.database_url)
    if args.command == "check-config":
        from bot.config import describe, template

        print(template() if args.template else describe(settings), end="")
        return 0
    if args.command == "roll":
        return _roll(" ".join(args.expression), settings, args.seed)
    if args.command == "invite":
        return _invite(settings, args.application_id)
    from bot import serve

    roles = {
        "run": serve.Roles(core=True, service=True),
        "core": serve.Roles(core=True, service=False),
        "service": serve.Roles(core=False, service=True),
    }[args.command]
    serve.loop_runner()(serve.run(settings, roles))
    return 0


def _database(args: argparse.Namespace, url: str) -> int:
    """Run a command on Core's database itself: migrate, export, import."""
    if args.command == "migrate":
        from bot import migrate  # imported late: only this command needs it

        action = migrate.Action(args.migrate_action)
        return migrate.main(url, action, getattr(args, "revision", None))
    from bot import transfer  # imported late: only export and import need it

    if args.command == "export":
        return transfer.export(url, args.campaign, args.output)
    return transfer.import_(url, args.file)


def _keys(args: argparse.Namespace, url: str) -> int:
    from bot import keys  # imported late: only this command needs it

    if args.keys_action == "create":
        return keys.create(url, args.role, args.campaigns, args.label)
    if args.keys_action == "list":
        return keys.list_(url)
    return keys.revoke(url, args.key_id)


def _outbox(args: argparse.Namespace, settings: Settings) -> int:
    from bot import outbox_admin  # imported late: only this command needs it

    request = outbox_admin.Request(
        outbox_admin.Action(args.outbox_action or "show"),
        tuple(getattr(args, "event_ids", ())),
        every=getattr(args, "every", False),
        confirmed=getattr(args, "yes", False),
    )
    return outbox_admin.main(Path(settings.outbox_path), request)


def _invite(settings: Settings, application_id: int | None) -> int:
    from bot import invite
    from bot.errors import ConfigError

    if application_id is None:
        token = settings.discord.token
        if not token:
            raise ConfigError(
                "FUMBLEBOT_DISCORD_TOKEN",
                "not set, so the application is unknown",
                "set it, or pass --application-id (General Information in the Developer Portal)",
            )
        application_id = invite.application_id_from_token(token)
    print(invite.invite_url(application_id))
    print(f"Scopes: {' '.join(invite.SCOPES)}. Permissions:", file=sys.stderr)
    print(invite.describe(), file=sys.stderr)
    return 0


def roll_rng(seed: int | None) -> random.Random:
    """Return the generator of `fumblebot roll`: seeded on request, else OS randomness."""
    from core_client import dice

    return random.Random(seed) if seed is not None else dice.BlockRandom()


def _roll(expression: str, settings: Settings, seed: int | None) -> int:
    from core_client import dice

    rng = roll_rng(seed)
    try:
        result = dice.roll(expression, rng=rng, limits=settings.dice)
    except dice.DiceError as exc:
        print(f"fumblebot: {exc}", file=sys.stderr)
        return 1
    print(dice.render_markdown(result, max_length=4000))
    return 0


def _configure_logging(settings: Settings) -> None:
    from bot import logs

    logs.configure(settings.logging.level, settings.logging.format)
    # discord.py and httpx2 are chatty at INFO about routine traffic.
    for chatty in ("httpx2", "alembic.runtime.plugins"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    # At DEBUG these log whole request URLs, and interaction and webhook URLs
    # carry their tokens: never let them below INFO.
    for leaky in ("discord.http", "discord.webhook.async_", "discord.gateway"):
        logging.getLogger(leaky).setLevel(max(logging.INFO, logging.getLogger().level))


if __name__ == "__main__":
    sys.exit(main())
