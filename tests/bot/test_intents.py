"""Setting up the Discord application: the Message Content intent, on or off.

Run as a real `fumblebot run` process against the Discord emulator, whose
`privileged_intents` plays the Developer Portal's switches.
"""

from __future__ import annotations

from pathlib import Path

from tests.emulators.discord_api import DiscordEmulator
from tests.support.fumblebot_process import FumbleBotProcess, run_env


def env_with_bot(emu: DiscordEmulator, tmp_path: Path, **extra: str) -> dict[str, str]:
    return run_env(tmp_path, FUMBLEBOT_DISCORD_TOKEN=emu.bot_token, **extra).env


async def test_a_missing_message_content_intent_is_one_line_saying_where_to_switch_it_on(
    emu: DiscordEmulator, tmp_path: Path
) -> None:
    emu.state.privileged_intents = 0  # nothing switched on in the Developer Portal
    process = FumbleBotProcess(env_with_bot(emu, tmp_path), emu=emu)
    await process.start()
    code, err = await process.wait_exit()
    assert code == 2
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("fumblebot: Discord refused the Message Content intent")
    assert "Privileged Gateway Intents" in last
    assert "discord.com/developers/applications" in last


async def test_with_message_content_off_in_the_config_slash_commands_still_work(
    emu: DiscordEmulator, tmp_path: Path
) -> None:
    emu.state.privileged_intents = 0
    player = emu.add_user("alice")
    guild = emu.add_guild(name="Table", owner=player)
    channel = emu.add_text_channel(guild, name="table")
    process = FumbleBotProcess(
        env_with_bot(emu, tmp_path, FUMBLEBOT_DISCORD_MESSAGE_CONTENT="false"), emu=emu
    )
    await process.start()
    try:
        await emu.wait_commands_synced(timeout=30)
        inter = await emu.invoke_slash(guild, channel, player, "roll", {"expression": "1d1"})
        answer = await inter.wait_response()
        assert answer.embed is not None
    finally:
        code, err = await process.stop()
    assert code == 0, err
    assert "Traceback" not in err
