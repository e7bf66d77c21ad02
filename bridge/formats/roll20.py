"""Roll20 rolls: chat messages, inline rolls, and what an extension scrapes.

Three shapes arrive from a Roll20 extension:

- a chat message of type `rollresult` / `gmrollresult` whose `content` is the
  roll JSON (`{"type": "V", "rolls": [...], "total": n}`); its `R` entries are
  dice (`dice`, `sides`, `mods`, `results: [{"v": 3, "d": true}]`, `d` marking a
  dropped die), `M` math, `L` labels, `C` comments and `G` nested groups;
- any chat message with `inlinerolls` (`[{"expression", "results": <roll
  JSON>}]`), one record per inline roll;
- a DOM scrape: `{"kind": "rollresult" | "gmrollresult", "formula", "total",
  "dice": [{"classes", "value"}]}` or `{"kind": "inline", "total", "title"}`
  where `title` (or `original-title`) holds Roll20's tooltip HTML; an inline
  roll scraped from a whisper carries `"whisper": true` and is private.

Roll20's own total is always kept; dice the payload marks dropped stay in the
record with `kept: false`.

Crits: a kept d20 showing 20 is a crit and 1 a fumble, unless the term sets
its own range, `cs>18` (18 or more; Roll20 reads `>` as at least, `<` as at
most, a bare number as equal) or `cf<3`: then its range decides, for that
term's dice of any size. The range comes from the term's `mods`
(`customCrit`/`customFumble`: `[{"comp": ">=", "point": 18}]`) or, failing
that, from the formula's matching dice term.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from bridge.errors import FormatError
from bridge.formats.common import (
    RollContext,
    array,
    dice_count,
    dropped,
    embedded_json,
    face,
    integer,
    mapping,
    number,
    opt_text,
    optional_list,
    optional_mapping,
    record,
    sub_roll_dropped,
    text,
)
from core_client import DiceGroup, Die, Platform, RollRecord, Visibility
from core_client.contract.enums import Comparison

Point = tuple[Comparison, int]

# `/gmroll` shows the result to the roller and the GMs: private (bridge.formats).
ROLL_TYPES = {"rollresult": Visibility.PUBLIC, "gmrollresult": Visibility.PRIVATE}
_EXPLODING = ("exploding", "compounding", "penetrating")
# Every pattern here is linear in its input: no unbounded repeat may be retried
# from each start position (the tooltip once used `(.*?)\s+=`, quadratic on a
# title of repeated "Rolling "). Fields are bounded too, so work per field is small.
MAX_TITLE = 16_384  # a tooltip of 100d6 is about 6 KB
_TERM = re.compile(r"(\d{0,6})d(\d{1,6}|F|%)", re.IGNORECASE)
_PAREN = re.compile(r"\(([^()]*)\)")
_SPAN = re.compile(r'<span class="([^"<>]{0,200})">\s{0,20}(-?\d{1,10})\s{0,20}</span>')
_TAG = re.compile(r"<[^<>]*>")
_ROLLING = re.compile(r"Rolling\s")
# A dice term and its modifiers, to find a `cs`/`cf` the roll JSON did not carry.
_TERM_MODS = re.compile(r"\d{0,6}d(?:\d{1,6}|F|%)((?:[a-z!]{1,3}[<>=]{0,2}\d{0,6}){0,10})", re.I)
_POINT = re.compile(r"c([sf])([<>]?=?)(\d{1,6})", re.I)
_COMPARE = {">": Comparison.GE, ">=": Comparison.GE, "<": Comparison.LE, "<=": Comparison.LE}
_EQUALS = re.compile(r"\s=\s")
_TEMPLATE = re.compile(r"&\{template:([^}]{1,100})\}")
_TEMPLATE_NAME = re.compile(r"\{\{(?:rname|name|title)=([^}]{1,200})\}\}")
# Roll20 names the kept or dropped end `h`/`l` in some payloads, `top`/`bottom` in others.
_ENDS = {"h": "h", "top": "h", "high": "h", "l": "l", "bottom": "l", "low": "l"}


def from_chat_message(payload: object, ctx: RollContext) -> list[RollRecord]:
    """Convert a `rollresult`/`gmrollresult` chat message to one record."""
    msg = mapping(payload, "payload")
    kind = str(msg.get("type"))
    if kind not in ROLL_TYPES:
        raise FormatError("must be 'rollresult' or 'gmrollresult'", field="payload.type")
    content = msg.get("content")
    roll = _roll_json(content, "payload.content")
    groups = _groups(array(roll.get("rolls"), "payload.content.rolls"), "payload.content.rolls")
    label = _comment(roll)
    formula = text(msg.get("origRoll") or _formula(roll), "payload.origRoll")
    crit, fumble = _verdict(groups, formula)
    return [
        record(
            ctx,
            Platform.ROLL20,
            formula=_without_label(formula, label),
            total=number(roll.get("total"), "payload.content.total"),
            groups=groups,
            raw=dict(msg),
            source_message_id=_message_id(msg),
            character_name=opt_text(msg.get("who"), "payload.who"),
            label=label,
            visibility=ROLL_TYPES[str(kind)],
            crit=crit,
            fumble=fumble,
        )
    ]


def _without_label(formula: str, label: str | None) -> str:
    """Return `origRoll` without the comment Roll20 leaves at its end (it is the label)."""
    if label and formula.endswith(label) and len(formula) > len(label):
        return formula.removesuffix(label).rstrip() or formula
    return formula


def from_inline_rolls(payload: object, ctx: RollContext) -> list[RollRecord]:
    """Convert each of a chat message's `inlinerolls` to a record."""
    msg = mapping(payload, "payload")
    inline = array(msg.get("inlinerolls"), "payload.inlinerolls", allow_empty=False)
    visibility = Visibility.PRIVATE if msg.get("type") == "whisper" else Visibility.PUBLIC
    message_id = _message_id(msg)
    label = _template_label(msg)
    records = []
    for i, item in enumerate(inline):
        where = f"payload.inlinerolls[{i}]"
        entry = mapping(item, where)
        roll = _roll_json(entry.get("results"), f"{where}.results")
        groups = _groups(array(roll.get("rolls"), f"{where}.results.rolls"), f"{where}.results")
        expression = text(entry.get("expression"), f"{where}.expression")
        crit, fumble = _verdict(groups, expression)
        records.append(
            record(
                ctx,
                Platform.ROLL20,
                formula=expression,
                total=number(roll.get("total"), f"{where}.results.total"),
                groups=groups,
                raw=dict(msg) if i == 0 else {"inlineroll": i, "message_id": message_id},
                source_message_id=f"{message_id}#{i}" if message_id else None,
                character_name=opt_text(msg.get("who"), "payload.who"),
                label=label,
                visibility=visibility,
                crit=crit,
                fumble=fumble,
            )
        )
    return records


def _template_label(msg: Mapping[str, Any]) -> str | None:
    """Return what a roll template says the rolls are: `Longsword (atk)`, or None."""
    content = msg.get("content") if isinstance(msg.get("content"), str) else ""
    found = _TEMPLATE.search(str(content))
    template = opt_text(msg.get("rolltemplate"), "payload.rolltemplate") or (
        found.group(1).strip() if found else None
    )
    if template is None:
        return None
    named = _TEMPLATE_NAME.search(str(content))
    name = named.group(1).strip() if named else ""
    return f"{name} ({template})"[:200] if name else template[:200]


def from_scrape(payload: object, ctx: RollContext) -> list[RollRecord]:
    """Convert what an extension scraped from Roll20's chat page to a record."""
    page = mapping(payload, "payload")
    kind = str(page.get("kind"))
    if kind == "inline":
        return [_scraped_inline(page, ctx)]
    if kind not in ROLL_TYPES:
        raise FormatError("must be 'rollresult', 'gmrollresult' or 'inline'", field="payload.kind")
    scraped = [
        _scraped_die(d, f"payload.dice[{i}]")
        for i, d in enumerate(array(page.get("dice"), "payload.dice"))
    ]
    formula = re.sub(r"^rolling\s+", "", text(page.get("formula"), "payload.formula"), flags=re.I)
    groups = _by_sides([die for die, _ in scraped])
    crit = any("critsuccess" in classes for die, classes in scraped if die.kept)
    fumble = any("critfail" in classes for die, classes in scraped if die.kept)
    return [
        record(
            ctx,
            Platform.ROLL20,
            formula=formula,
            total=number(page.get("total"), "payload.total"),
            groups=groups,
            raw=dict(page),
            source_message_id=_message_id(page),
            character_name=opt_text(page.get("who"), "payload.who"),
            visibility=ROLL_TYPES[str(kind)],
            crit=crit or None,
            fumble=fumble or None,
        )
    ]


def _roll_json(value: object, where: str) -> Mapping[str, Any]:
    roll = mapping(embedded_json(value, where), where)
    if "rolls" not in roll or "total" not in roll:
        raise FormatError("must hold 'rolls' and 'total'", field=where)
    return roll


def _groups(rolls: list[Any], where: str) -> tuple[DiceGroup, ...]:
    groups: list[DiceGroup] = []
    for i, item in enumerate(rolls):
        if isinstance(item, list):  # a `G` group's sub-roll is itself a list of entries
            groups += _groups(item, f"{where}[{i}]")
            continue
        entry = mapping(item, f"{where}[{i}]")
        kind = entry.get("type")
        if kind == "R":
            groups.append(_dice(entry, f"{where}[{i}]"))
        elif kind == "G":
            groups += _group(entry, f"{where}[{i}]")
        elif kind == "L" and groups:
            last = groups[-1]
            label = opt_text(entry.get("text"), f"{where}[{i}].text")
            groups[-1] = DiceGroup(last.notation, last.sides, last.dice, label, last.subtotal)
    return tuple(groups)


def _group(entry: Mapping[str, Any], where: str) -> list[DiceGroup]:
    """Return a `G` group's dice; a sub-roll its keep/drop left out (`d`) is not kept.

    `{1d20+5,1d20+5}kh1` has one result per sub-roll, the dropped one marked
    `d: true`; its dice are recorded as not kept, so a dropped 1 is no fumble.
    """
    results = optional_list(entry, "results")
    groups: list[DiceGroup] = []
    for j, sub in enumerate(array(entry.get("rolls"), f"{where}.rolls")):
        found = _groups(sub if isinstance(sub, list) else [sub], f"{where}.rolls[{j}]")
        if sub_roll_dropped(results, j, discarded=("d",)):
            found = tuple(dropped(g) for g in found)
        groups += found
    return groups


def _dice(entry: Mapping[str, Any], where: str) -> DiceGroup:
    sides: int | str = "F" if entry.get("fate") else integer(entry.get("sides"), f"{where}.sides")
    results = array(entry.get("results"), f"{where}.results")
    count = dice_count(integer(entry.get("dice"), f"{where}.dice"), len(results), f"{where}.dice")
    mods = optional_mapping(entry, "mods")
    explodes = any(k in mods for k in _EXPLODING)
    dice = []
    for j, result in enumerate(results):
        res = mapping(result, f"{where}.results[{j}]")
        value = face(
            integer(res.get("v"), f"{where}.results[{j}].v"), sides, f"{where}.results[{j}].v"
        )
        dropped = bool(res.get("d")) or bool(res.get("r"))
        exploded = explodes and value == sides
        dice.append(Die(sides, value, not dropped, exploded, bool(res.get("r"))))
    notation = f"{count}d{sides}" + _mods_text(mods) + _points_text(mods)
    subtotal = sum(d.value for d in dice if d.kept)
    return DiceGroup(notation, sides, tuple(dice), subtotal=subtotal)


def _mods_text(mods: Mapping[str, Any]) -> str:
    keep = mods.get("keep") if isinstance(mods.get("keep"), Mapping) else None
    drop = mods.get("drop") if isinstance(mods.get("drop"), Mapping) else None
    if keep:
        return f"k{_ENDS.get(str(keep.get('end')), 'h')}{keep.get('count', 1)}"
    if drop:
        return f"d{_ENDS.get(str(drop.get('end')), 'l')}{drop.get('count', 1)}"
    return "!" if any(k in mods for k in _EXPLODING) else ""


def _points_text(mods: Mapping[str, Any]) -> str:
    """Return a term's custom crit/fumble ranges in Roll20 notation: `cs>18cf<3`."""
    out = ""
    for key, letter in (("customCrit", "s"), ("customFumble", "f")):
        for point in mods.get(key) or [] if isinstance(mods.get(key), list) else []:
            if isinstance(point, Mapping) and isinstance(point.get("point"), int):
                comp = str(point.get("comp", "=="))
                sign = ">" if comp.startswith(">") else "<" if comp.startswith("<") else "="
                out += f"c{letter}{sign}{point['point']}"
    return out


def _points(notation: str) -> tuple[list[Point], list[Point]]:
    """Return the crit and fumble ranges a term's notation sets (`cs>18`, `cf<3`)."""
    crits: list[Point] = []
    fumbles: list[Point] = []
    for letter, sign, point in _POINT.findall(notation):
        found = (_COMPARE.get(sign, Comparison.EQ), int(point))
        (crits if letter.lower() == "s" else fumbles).append(found)
    return crits, fumbles


def _hits(points: list[Point], value: int) -> bool:
    return any(
        value >= n if how is Comparison.GE else value <= n if how is Comparison.LE else value == n
        for how, n in points
    )


def _verdict(groups: tuple[DiceGroup, ...], formula: str) -> tuple[bool, bool]:
    """Return crit and fumble: a term's own `cs`/`cf` range, else a kept d20's 20 or 1."""
    terms = _TERM_MODS.findall(formula[:MAX_TITLE])
    crit = fumble = False
    for k, group in enumerate(groups):
        crits, fumbles = _points(group.notation)
        if not (crits or fumbles) and k < len(terms) and len(terms) == len(groups):
            crits, fumbles = _points(terms[k])
        kept = [d.value for d in group.dice if d.kept]
        default = group.sides == 20
        crit |= any(_hits(crits, v) for v in kept) if crits else default and 20 in kept
        fumble |= any(_hits(fumbles, v) for v in kept) if fumbles else default and 1 in kept
    return crit, fumble


def _formula(roll: Mapping[str, Any]) -> str:
    parts = []
    for item in roll.get("rolls", []):
        if isinstance(item, Mapping) and item.get("type") == "R":
            mods = optional_mapping(item, "mods")
            parts.append(f"{item.get('dice')}d{item.get('sides')}{_mods_text(mods)}")
        elif isinstance(item, Mapping) and item.get("type") == "M":
            parts.append(str(item.get("expr", "")))
    return "".join(parts)


def _comment(roll: Mapping[str, Any]) -> str | None:
    comments = [
        str(r.get("text", "")).strip()
        for r in roll.get("rolls", [])
        if isinstance(r, Mapping) and r.get("type") == "C"
    ]
    return " ".join(c for c in comments if c) or None


def _message_id(msg: Mapping[str, Any]) -> str | None:
    for key in ("id", "_id", "message_id", "messageid"):
        if msg.get(key):
            return opt_text(msg.get(key), f"payload.{key}")
    return None


def _class_list(value: object, where: str) -> list[str]:
    if isinstance(value, list):
        return [str(c) for c in value]
    if isinstance(value, str):
        return value.split()
    raise FormatError("must be a class string or an array of classes", field=where)


def _scraped_die(value: object, where: str) -> tuple[Die, list[str]]:
    die = mapping(value, where)
    classes = _class_list(die.get("classes", ""), f"{where}.classes")
    sides = die.get("sides") or next((c[1:] for c in classes if _TERM.fullmatch("1" + c)), None)
    if sides is None:
        raise FormatError("has no 'sides' and no dN class", field=where)
    size: int | str = "F" if str(sides).upper() == "F" else integer(sides, f"{where}.sides")
    value = face(integer(die.get("value"), f"{where}.value"), size, f"{where}.value")
    return Die(size, value, "dropped" not in classes), classes


def _by_sides(dice: list[Die]) -> tuple[DiceGroup, ...]:
    groups: list[DiceGroup] = []
    for die in dice:
        if groups and groups[-1].sides == die.sides:
            last = groups[-1]
            groups[-1] = DiceGroup(last.notation, last.sides, (*last.dice, die))
        else:
            groups.append(DiceGroup(f"d{die.sides}", die.sides, (die,)))
    return tuple(
        DiceGroup(f"{len(g.dice)}d{g.sides}", g.sides, g.dice, subtotal=_kept_sum(g.dice))
        for g in groups
    )


def _kept_sum(dice: tuple[Die, ...]) -> int:
    return sum(d.value for d in dice if d.kept)


def _scraped_inline(page: Mapping[str, Any], ctx: RollContext) -> RollRecord:
    expression, breakdown = _tooltip(page)
    classes = _class_list(page.get("classes", ""), "payload.classes")
    return record(
        ctx,
        Platform.ROLL20,
        formula=expression,
        total=number(page.get("total"), "payload.total"),
        groups=_inline_groups(expression, breakdown),
        raw=dict(page),
        source_message_id=_message_id(page),
        character_name=opt_text(page.get("who"), "payload.who"),
        visibility=Visibility.PRIVATE if page.get("whisper") is True else Visibility.PUBLIC,
        crit=("fullcrit" in classes or "critsuccess" in classes) or None,
        fumble=("fullfail" in classes or "critfail" in classes) or None,
    )


def _tooltip(page: Mapping[str, Any]) -> tuple[str, str]:
    """Return the expression and the dice breakdown of an inline roll's tooltip."""
    title = page.get("title") or page.get("original_title") or page.get("original-title")
    raw_title = text(title, "payload.title")
    if len(raw_title) > MAX_TITLE:
        raise FormatError(f"must be at most {MAX_TITLE} characters", field="payload.title")
    tip = _TAG.sub(_keep_spans, html.unescape(raw_title))
    # The first "Rolling " and the first " = " after it: two linear scans.
    rolling = _ROLLING.search(tip)
    equals = _EQUALS.search(tip, rolling.end()) if rolling else None
    if rolling is None or equals is None or not tip[rolling.end() : equals.start()].strip():
        raise FormatError("is not a Roll20 'Rolling EXPR = RESULT' tooltip", field="payload.title")
    return tip[rolling.end() : equals.start()].strip(), tip[equals.end() :].lstrip()


def _inline_groups(expression: str, breakdown: str) -> tuple[DiceGroup, ...]:
    """Pair each parenthesised group of dice with the expression's dice terms, in order."""
    terms = [
        ("F" if s.upper() == "F" else 100 if s == "%" else int(s))
        for _, s in _TERM.findall(expression)
    ]
    groups = []
    for k, paren in enumerate(_PAREN.findall(breakdown)):
        sides: int | str = terms[k] if k < len(terms) else 0
        dice = tuple(
            Die(sides, int(v), "dropped" not in c.split()) for c, v in _SPAN.findall(paren)
        )
        if dice:
            groups.append(DiceGroup(f"{len(dice)}d{sides}", sides, dice, subtotal=_kept_sum(dice)))
    return tuple(groups)


def _keep_spans(match: re.Match[str]) -> str:
    # Dice live in <span class="basicdiceroll ..."> tags; every other tag is noise.
    tag = match.group(0)
    return tag if tag.startswith(("<span", "</span")) else ""
