"""The dispatch tables: every walk covers every node type, and only those."""

from __future__ import annotations

from typing import get_args

import pytest

from core_client.dice.dispatch import Dispatch
from core_client.dice.nodes import (
    EXPR_TYPES,
    MODIFIER_TYPES,
    DiceNode,
    Expr,
    Modifier,
    NumberNode,
    notation,
)
from core_client.dice.parse import parse
from core_client.dice.results import RESULT_TYPES, ResultNode


@pytest.mark.parametrize(
    ("family", "union"),
    [(EXPR_TYPES, Expr), (RESULT_TYPES, ResultNode), (MODIFIER_TYPES, Modifier)],
    ids=["syntax", "results", "modifiers"],
)
def test_each_family_lists_its_whole_union(family: tuple[type, ...], union: object) -> None:
    # A node type added to the union but not to the family would slip past the tables.
    assert set(family) == set(get_args(union))


def test_a_table_missing_a_node_type_is_refused_when_built() -> None:
    with pytest.raises(TypeError, match="missing DiceNode"):
        Dispatch[Expr, str](EXPR_TYPES, {t: repr for t in EXPR_TYPES if t is not DiceNode})


def test_a_table_with_a_foreign_type_is_refused() -> None:
    table = {**{t: repr for t in EXPR_TYPES}, int: repr}
    with pytest.raises(TypeError, match="unknown int"):
        Dispatch[Expr, str](EXPR_TYPES, table)


def test_dispatch_calls_the_handler_of_the_exact_type() -> None:
    table = {t: (lambda n, name=t.__name__: name) for t in EXPR_TYPES}
    which = Dispatch[Expr, str](EXPR_TYPES, table)
    assert which(NumberNode(1, 1)) == "NumberNode"
    assert which(parse("2d6").tree) == "DiceNode"
    assert notation(parse("{ 2d6kh1 ,3}>4 ").tree) == "{2d6kh1, 3}>4"
