"""The collector's policy: survivors of full passes frozen, cycles among them freed by a thaw."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest

from bot.collector import CORE_YOUNG_THRESHOLD, Collector, short_pauses


class Node:
    """An object that can sit in a reference cycle."""

    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> tuple[Node, weakref.ref[Node]]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return a, weakref.ref(a)


@pytest.fixture
def collector() -> Iterator[Collector]:
    collector = Collector()
    collector.start()
    try:
        yield collector
    finally:
        collector.stop()


def test_a_full_pass_freezes_what_survived_it(collector: Collector) -> None:
    frozen = gc.get_freeze_count()
    kept = [Node() for _ in range(1000)]
    gc.collect()
    assert gc.get_freeze_count() >= frozen + len(kept)
    assert collector.frozen_passes >= 1


def test_a_frozen_cycle_waits_for_the_thaw_and_no_longer(collector: Collector) -> None:
    node, alive = cycle()
    gc.collect()  # `node` is reachable here: frozen with the survivors
    del node
    gc.collect()
    assert alive() is not None  # a cycle among frozen objects: the full pass did not see it
    assert collector.thaw() >= 2
    assert alive() is None
    assert gc.get_freeze_count() > 0  # and the survivors of the thaw are frozen again


def test_acyclic_frozen_objects_are_freed_at_once(collector: Collector) -> None:
    node = Node()
    alive = weakref.ref(node)
    gc.collect()
    del node
    assert alive() is None  # reference counting, frozen or not


def test_stopping_hands_everything_back() -> None:
    collector = Collector()
    collector.start()
    collector.stop()
    assert gc.get_freeze_count() == 0
    node, alive = cycle()
    gc.collect()
    del node
    gc.collect()
    assert alive() is None


async def test_the_server_policy_thaws_on_its_period() -> None:
    async with short_pauses(thaw_seconds=0.05) as collector:
        node, alive = cycle()
        gc.collect()
        del node
        for _ in range(100):
            if alive() is None:
                break
            await asyncio.sleep(0.01)
        assert alive() is None
        assert collector.thaws >= 1
    assert gc.get_freeze_count() == 0


def test_a_young_threshold_holds_while_it_runs_and_none_keeps_cpythons() -> None:
    before = gc.get_threshold()
    for young, during in [(CORE_YOUNG_THRESHOLD, CORE_YOUNG_THRESHOLD), (None, before[0])]:
        collector = Collector(young)
        collector.start()
        try:
            assert gc.get_threshold() == (during, *before[1:])
        finally:
            collector.stop()
        assert gc.get_threshold() == before
