"""Crit verdicts remembered across deliveries (`storage.critrules.Judged`)."""

from __future__ import annotations

from typing import Any

from core_client.contract import DiceGroup, Die, codec
from storage.critrules import Comparison, Judged, Reads, Rule, verdict


def rule(key: str, threshold: int, crit_type: str = "crit") -> Rule:
    return Rule(key, (20,), Reads.HIGHEST, Comparison.GE, threshold, crit_type, 1)


def d20(value: int) -> tuple[tuple[DiceGroup, ...], Any]:
    groups = (DiceGroup("1d20", 20, (Die(20, value),)),)
    return groups, codec.to_builtins(groups)


NAT20, RANGE19 = [rule("nat20", 20)], [rule("range19", 19)]


def test_equal_rules_share_a_number_and_other_rules_do_not() -> None:
    judged = Judged()
    assert judged.ruleset(list(NAT20)) == judged.ruleset(tuple(NAT20))
    assert judged.ruleset(NAT20) != judged.ruleset(RANGE19)


def test_each_set_of_rules_gets_its_own_verdict_on_the_same_dice() -> None:
    judged = Judged()
    dice, groups = d20(19)
    for rules, crit in [(NAT20, False), (RANGE19, True), (NAT20, False), (RANGE19, True)]:
        found = judged.verdict(judged.ruleset(rules), rules, dice)
        assert found == verdict(rules, groups)
        assert found[0] is crit


def test_full_tables_are_dropped_and_numbers_never_come_back() -> None:
    judged = Judged(max_verdicts=3, max_rulesets=2)
    numbers = [judged.ruleset([rule(f"r{t}", t)]) for t in range(1, 21)]
    assert len(set(numbers)) == 20  # a dropped set of rules comes back with a new number
    assert judged.ruleset([rule("r20", 20)]) == numbers[-1]  # still held
    for value in range(1, 21):  # many more dice than the table holds: still right
        dice, groups = d20(value)
        for threshold in (19, 20):
            rules = [rule("t", threshold)]
            expected = verdict(rules, groups)
            assert judged.verdict(judged.ruleset(rules), rules, dice) == expected
    assert len(judged._verdicts) <= 3
    assert len(judged._rulesets) <= 2
