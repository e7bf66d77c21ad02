"""Render a roll as compact Discord Markdown, always within a length budget.

Dropped and rerolled dice are ~~struck~~, crits and fumbles are **bold**, dice that
count as successes or form a match (`m`) are __underlined__ and failures *italic*;
an exploding die is followed by `!`. When the full breakdown is too long, dice lists
are shortened step by step, then only the notation and total are shown; the total
is always present.
"""

from __future__ import annotations

from .dispatch import Dispatch
from .nodes import format_number
from .results import (
    RESULT_TYPES,
    Call,
    Chain,
    Constant,
    DiceTerm,
    Die,
    Group,
    Paren,
    Power,
    ResultNode,
    RollResult,
    Unary,
)

_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\*_~`|[]"})
# Dice shown per term at each level of detail; None shows them all, 0 shows a count.
_DETAIL_LEVELS = (None, 50, 10, 0)


def escape(text: str) -> str:
    """Escape Discord Markdown in user-provided text."""
    return text.translate(_MARKDOWN)


def render_markdown(result: RollResult, *, max_length: int = 4096) -> str:
    """Render `result` as `2d20kh1 (~~3~~, **20**) + 5 = `25``, at most `max_length` long."""
    total = f"`{format_number(result.total)}`"
    most = max((len(term.dice) for term in result.dice_terms), default=0)
    for cap in _DETAIL_LEVELS:
        if cap is not None and cap >= most and (cap or not most):
            continue  # this level would show every die again: the same text as before
        text = f"{_Renderer(cap).node(result.tree)} = {total}"
        if len(text) <= max_length:
            return text
    return _summary(result.expression, total, max_length)


def _summary(expression: str, total: str, max_length: int) -> str:
    """Return `` `notation` = `total` ``, cutting the notation to fit."""
    tail = f" = {total}"
    room = max_length - len(tail) - 2
    if room >= 2:
        shown = expression.replace("`", "'")
        if len(shown) > room:
            shown = shown[: room - 1] + "…"
        return f"`{shown}`{tail}"
    return total[:max_length]


class _Renderer:
    """Renders nodes with a given cap on the dice shown per term."""

    def __init__(self, cap: int | None) -> None:
        self.cap = cap
        self.node: Dispatch[ResultNode, str] = Dispatch(
            RESULT_TYPES,
            {
                Constant: lambda n: escape(format_number(n.value)) + _label(n.label),
                DiceTerm: self.term,
                Group: self.group,
                Chain: self.chain,
                Power: lambda n: f"{self.node(n.base)} \\*\\* {self.node(n.exponent)}",
                Unary: lambda n: escape(n.op) + self.node(n.operand),
                Call: lambda n: f"{n.name}({self.node(n.arg)}){_label(n.label)}",
                Paren: lambda n: f"({self.node(n.inner)}){_label(n.label)}",
            },
        )

    def chain(self, node: Chain) -> str:
        rest = "".join(f" {escape(op)} {self.node(operand)}" for op, operand in node.rest)
        return self.node(node.first) + rest

    def term(self, term: DiceTerm) -> str:
        head = escape(term.notation)
        if term.computed is not None:
            parts = term.computed
            count = escape(parts.count_text) if parts.count is None else self.node(parts.count)
            sides = escape(parts.sides_text) if parts.sides is None else self.node(parts.sides)
            head = f"{count}d{sides}{escape(parts.mods_text)}"
        dice = term.dice
        if self.cap == 0:
            return f"{head} ({len(dice)} dice: {format_number(term.value)})"
        shown = dice if self.cap is None else dice[: self.cap]
        body = ", ".join(_die(d) for d in shown)
        if len(shown) < len(dice):
            body += f", … {len(dice) - len(shown)} more"
        return f"{head} ({body})"

    def group(self, group: Group) -> str:
        items = []
        for item in group.items:
            text = self.node(item.node)
            if group.per_die:
                items.append(text)
                continue
            if item.success:
                text = f"__{text}__"
            elif item.failure:
                text = f"*{text}*"
            items.append(text if item.kept else f"~~{text}~~")
        mods = escape(group.modifiers) + _label(group.label)
        return "{" + ", ".join(items) + "}" + mods


def _label(label: str | None) -> str:
    return "" if label is None else f"\\[{escape(label)}\\]"


def _die(die: Die) -> str:
    text = escape(str(die.value))
    if die.crit or die.fumble:
        text = f"**{text}**"
    if die.success or die.matched:
        text = f"__{text}__"
    elif die.failure:
        text = f"*{text}*"
    if die.exploded:
        text += "!"
    return text if die.kept else f"~~{text}~~"
