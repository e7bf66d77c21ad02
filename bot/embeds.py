"""Discord embeds for FumbleBot's answers, built without touching the network.

Every builder keeps to Discord's limits (title 256, description 4,096, field
value 1,024, 6,000 in all), so a huge roll is summarised rather than refused.
"""

from __future__ import annotations

import discord

from core_client.contract.answers import CharacterDict, RollStats
from core_client.dice import Distribution, RollResult, render_markdown
from core_client.dice.nodes import format_number

CRIT_COLOUR = discord.Colour.green()
FUMBLE_COLOUR = discord.Colour.red()
PLAIN_COLOUR = discord.Colour.blurple()
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_LIMIT = 1024
CHART_NAME = "distribution.png"


def clip(text: str, limit: int) -> str:
    """Cut text to a limit, marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _format_total(total: int | float) -> str:
    if isinstance(total, float) and total.is_integer():
        total = int(total)
    return f"{total:,}" if isinstance(total, int) else f"{total:,.2f}"


def verdict_of(crit: bool, fumble: bool) -> str | None:
    """Return the words for a roll's crit and fumble, as every roll shows them."""
    if crit and not fumble:
        return "Critical!"
    if fumble and not crit:
        return "Fumble!"
    return "Critical and fumble!" if crit else None


def _verdict(results: list[RollResult]) -> tuple[discord.Colour, str | None]:
    crit = any(r.crit for r in results)
    fumble = any(r.fumble for r in results)
    colour = CRIT_COLOUR if crit and not fumble else FUMBLE_COLOUR if fumble and not crit else None
    return colour or PLAIN_COLOUR, verdict_of(crit, fumble)


def roll_embed(results: list[RollResult], roller: str, label: str | None) -> discord.Embed:
    """Return the embed answering a roll (or its repeats): breakdown, total, crit or fumble."""
    first = results[0]
    what = label or first.expression
    times = f" ×{len(results)}" if len(results) > 1 else ""
    colour, verdict = _verdict(results)
    embed = discord.Embed(
        title=clip(f"{roller} rolls {what}{times}", TITLE_LIMIT),
        description=_breakdowns(results),
        colour=colour,
    )
    if len(results) == 1:
        embed.add_field(name="Total", value=f"**{_format_total(first.total)}**", inline=True)
    else:
        totals = ", ".join(_format_total(r.total) for r in results)
        embed.add_field(name="Totals", value=clip(totals, FIELD_LIMIT), inline=False)
    if verdict:
        embed.add_field(name="Result", value=verdict, inline=True)
    return embed


def _breakdowns(results: list[RollResult]) -> str:
    if len(results) == 1:
        return render_markdown(results[0], max_length=DESCRIPTION_LIMIT)
    # Share the description fairly; each line keeps its own total visible.
    budget = DESCRIPTION_LIMIT // len(results) - 8
    lines = [
        f"{i}. {render_markdown(r, max_length=budget)}" for i, r in enumerate(results, start=1)
    ]
    return clip("\n".join(lines), DESCRIPTION_LIMIT)


def stats_embed(dist: Distribution, *, with_chart: bool) -> discord.Embed:
    """Return the embed describing an expression's exact distribution."""
    embed = discord.Embed(
        title=clip(f"Odds of {dist.expression}", TITLE_LIMIT), colour=PLAIN_COLOUR
    )
    embed.add_field(name="Mean", value=f"{dist.mean:.2f}", inline=True)
    embed.add_field(name="Std dev", value=f"{dist.stdev:.2f}", inline=True)
    embed.add_field(
        name="Range", value=f"{format_number(dist.min)} – {format_number(dist.max)}", inline=True
    )
    embed.description = _odds_table(dist)
    if with_chart:
        embed.set_image(url=f"attachment://{CHART_NAME}")
    return embed


def _odds_table(dist: Distribution, rows: int = 24) -> str:
    table = dist.table()
    step = max(1, -(-len(table) // rows))  # ceil: at most `rows` lines
    lines = ["total   P(=)     P(≥)"]
    for value, p, tail in table[::step]:
        lines.append(f"{format_number(value):>5}  {p:7.2%}  {tail:7.2%}")
    return clip("```\n" + "\n".join(lines) + "\n```", DESCRIPTION_LIMIT)


def stats_answer_embed(title: str, stats: RollStats) -> discord.Embed:
    """Describe roll statistics, with a plain verdict on the d20s."""
    d20 = stats["d20"]
    embed = discord.Embed(title=clip(title, TITLE_LIMIT), colour=PLAIN_COLOUR)
    embed.add_field(name="Rolls", value=str(stats["rolls"]), inline=True)
    embed.add_field(name="Crits", value=str(stats["crits"]), inline=True)
    embed.add_field(name="Fumbles", value=str(stats["fumbles"]), inline=True)
    if d20["count"]:
        mean = f"{d20['mean']:.2f}" if d20["mean"] is not None else "–"
        embed.add_field(
            name="d20s",
            value=f"{d20['count']} rolled · mean {mean} (expected {d20['expected_mean']:.1f})\n"
            f"natural 20s: {d20['nat20']} · natural 1s: {d20['nat1']}",
            inline=False,
        )
        # Core's verdict carries the p-value when it means something, and none
        # when there are too few rolls for it to mean anything.
        verdict = d20["verdict"]
        embed.add_field(name="Are my dice cursed?", value=clip(verdict, FIELD_LIMIT), inline=False)
    else:
        embed.description = "No d20s rolled yet."
    return embed


def character_embed(character: CharacterDict) -> discord.Embed:
    """Describe a character: HP, AC and ability scores."""
    stats = character["stats"]
    embed = discord.Embed(title=clip(character["name"], TITLE_LIMIT), colour=PLAIN_COLOUR)
    if "hp" in stats:
        hp = f"{stats['hp']}" + (f" / {stats['hp_max']}" if "hp_max" in stats else "")
        embed.add_field(name="HP", value=hp, inline=True)
    if "ac" in stats:
        embed.add_field(name="AC", value=str(stats["ac"]), inline=True)
    abilities = stats.get("abilities") or {}
    if abilities:
        line = " · ".join(f"{k.upper()} {v}" for k, v in abilities.items())
        embed.add_field(name="Abilities", value=clip(line, FIELD_LIMIT), inline=False)
    embed.set_footer(text=f"from {character['source_platform']}")
    return embed
