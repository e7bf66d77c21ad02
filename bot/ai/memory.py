"""Short-term conversation memory per channel: the last few turns, for a while.

A conversation is keyed by campaign *and* channel, so re-linking a channel to
another campaign starts afresh instead of carrying the old campaign's talk into
the new one's prompts. Turns expire `ttl` seconds after they were said; at most
`max_turns` turns per conversation and `max_conversations` conversations are
kept (the least recently used goes first), so memory stays bounded.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.ai.providers.base import ChatMessage

Clock = Callable[[], float]
Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Turn:
    """A question and its answer, with when they were said."""

    question: str
    answer: str
    at: float


@dataclass(slots=True)
class Conversation:
    """The live turns of one channel and the id they are reported under."""

    id: str
    turns: deque[Turn] = field(default_factory=deque)


class ConversationMemory:
    """Remember recent turns per (campaign, channel) with a TTL and bounded size."""

    def __init__(
        self,
        *,
        ttl: float,
        max_turns: int,
        max_conversations: int = 10_000,
        clock: Clock = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._max_turns = max_turns
        self._max_conversations = max_conversations
        self._clock = clock
        self._conversations: OrderedDict[Key, Conversation] = OrderedDict()

    def _live(self, key: Key) -> Conversation | None:
        """Return the conversation with its expired turns dropped, or None if empty."""
        conversation = self._conversations.get(key)
        if conversation is None:
            return None
        horizon = self._clock() - self._ttl
        while conversation.turns and conversation.turns[0].at <= horizon:
            conversation.turns.popleft()
        if not conversation.turns:
            del self._conversations[key]
            return None
        return conversation

    def history(self, campaign_id: str, channel_id: str) -> list[ChatMessage]:
        """Return the channel's live turns as alternating user/assistant messages."""
        conversation = self._live((campaign_id, channel_id))
        if conversation is None:
            return []
        messages: list[ChatMessage] = []
        for turn in conversation.turns:
            messages += [ChatMessage("user", turn.question), ChatMessage("assistant", turn.answer)]
        return messages

    def remember(self, campaign_id: str, channel_id: str, question: str, answer: str) -> str:
        """Add a turn to the channel's conversation; return the conversation id."""
        key = (campaign_id, channel_id)
        conversation = self._live(key) or Conversation(f"conv_{uuid.uuid4().hex}")
        conversation.turns.append(Turn(question, answer, self._clock()))
        while len(conversation.turns) > self._max_turns:
            conversation.turns.popleft()
        self._conversations[key] = conversation
        self._conversations.move_to_end(key)
        while len(self._conversations) > self._max_conversations:
            self._conversations.popitem(last=False)
        return conversation.id

    def forget(self, campaign_id: str, channel_id: str) -> None:
        """Drop the channel's conversation."""
        self._conversations.pop((campaign_id, channel_id), None)
