"""Time-ordered ids: version 7 UUIDs, in creation order across milliseconds, never repeated."""

from __future__ import annotations

import copy
import os
import pickle
import random
import time
import uuid

import pytest

from core_client import Platform, RollRecord
from core_client.ids import ordered_uuid


def test_an_ordered_id_is_a_version_7_uuid_of_the_current_millisecond() -> None:
    before = time.time_ns() // 1_000_000
    made = ordered_uuid()
    after = time.time_ns() // 1_000_000
    assert (made.version, made.variant) == (7, uuid.RFC_4122)
    assert before <= made.int >> 80 <= after


def test_an_ordered_id_is_a_uuid_like_any_other() -> None:
    made = ordered_uuid()
    same = uuid.UUID(str(made))
    assert (made, hash(made), made.hex, made.bytes) == (same, hash(same), same.hex, same.bytes)
    assert made.is_safe is same.is_safe
    assert pickle.loads(pickle.dumps(made)) == made
    assert copy.copy(made) == made


def test_ids_made_in_later_milliseconds_sort_after_earlier_ones() -> None:
    made = []
    for _ in range(5):
        made.append(ordered_uuid())
        time.sleep(0.002)
    assert made == sorted(made)
    assert [u.hex for u in made] == sorted(u.hex for u in made)  # as Core stores them


def test_ids_of_one_millisecond_differ_in_their_random_bits() -> None:
    made = {ordered_uuid() for _ in range(10_000)}
    assert len(made) == 10_000


def test_events_and_rolls_get_ordered_ids_by_default() -> None:
    record = RollRecord(platform=Platform.DISCORD, campaign_id="c", formula="1d20", total=3)
    event = record.event()
    assert uuid.UUID(record.id).version == 7
    assert event.id.startswith("evt_")
    assert uuid.UUID(event.id.removeprefix("evt_")).version == 7


def test_ids_leave_the_random_module_alone() -> None:
    # Hypothesis (and anyone seeding `random` for a reproducible run) holds its state still.
    state = random.getstate()
    ordered_uuid()
    assert random.getstate() == state


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_forked_child_makes_other_ids_than_its_parent() -> None:
    ordered_uuid()  # the parent's generator exists before the fork
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: send its next id's random bits, then leave at once
        os.write(write, ordered_uuid().bytes[6:])
        os._exit(0)
    os.close(write)
    child = os.read(read, 64)
    os.close(read)
    os.waitpid(pid, 0)
    assert child != ordered_uuid().bytes[6:]
