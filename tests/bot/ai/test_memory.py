"""Conversation memory: per (campaign, channel), with a TTL and bounded size."""

from __future__ import annotations

from bot.ai.memory import ConversationMemory
from bot.ai.providers.base import ChatMessage
from tests.bot.ai.conftest import FakeClock


def test_turns_come_back_as_alternating_messages(clock: FakeClock) -> None:
    memory = ConversationMemory(ttl=60, max_turns=5, clock=clock)
    first = memory.remember("c1", "ch1", "Who is Mira?", "The bard.")
    second = memory.remember("c1", "ch1", "And Thorn?", "The fighter.")
    assert first == second
    assert memory.history("c1", "ch1") == [
        ChatMessage("user", "Who is Mira?"),
        ChatMessage("assistant", "The bard."),
        ChatMessage("user", "And Thorn?"),
        ChatMessage("assistant", "The fighter."),
    ]


def test_turns_expire_after_the_ttl_and_a_new_conversation_starts(clock: FakeClock) -> None:
    memory = ConversationMemory(ttl=60, max_turns=5, clock=clock)
    old = memory.remember("c1", "ch1", "q1", "a1")
    clock.advance(30)
    memory.remember("c1", "ch1", "q2", "a2")
    clock.advance(31)
    assert [m.content for m in memory.history("c1", "ch1")] == ["q2", "a2"]
    clock.advance(30)
    assert memory.history("c1", "ch1") == []
    assert memory.remember("c1", "ch1", "q3", "a3") != old


def test_channels_and_campaigns_do_not_share_memory(clock: FakeClock) -> None:
    memory = ConversationMemory(ttl=60, max_turns=5, clock=clock)
    memory.remember("c1", "ch1", "secret of campaign 1", "noted")
    assert memory.history("c1", "ch2") == []
    # The same channel re-linked to another campaign starts afresh.
    assert memory.history("c2", "ch1") == []


def test_memory_is_bounded_in_turns_and_conversations(clock: FakeClock) -> None:
    memory = ConversationMemory(ttl=60, max_turns=2, max_conversations=2, clock=clock)
    for n in range(5):
        memory.remember("c1", "ch1", f"q{n}", f"a{n}")
    assert [m.content for m in memory.history("c1", "ch1")] == ["q3", "a3", "q4", "a4"]
    memory.remember("c1", "ch2", "q", "a")
    memory.remember("c1", "ch3", "q", "a")
    assert memory.history("c1", "ch1") == []
    assert memory.history("c1", "ch3") != []


def test_forget_drops_a_conversation(clock: FakeClock) -> None:
    memory = ConversationMemory(ttl=60, max_turns=2, clock=clock)
    memory.remember("c1", "ch1", "q", "a")
    memory.forget("c1", "ch1")
    assert memory.history("c1", "ch1") == []
