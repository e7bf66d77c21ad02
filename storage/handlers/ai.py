"""ai.conversation and ai.usage: what the AI was asked, and what it cost."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from core_client.contract import AiConversation, AiUsage, codec
from storage import changes
from storage.handlers.context import Ingest, Item, insert_ignoring
from storage.handlers.users import ensure_discord_users
from storage.models import AiConversation as ConversationRow
from storage.models import AiUsage as UsageRow
from storage.models import utcnow


async def store_conversations(ctx: Ingest, items: Sequence[Item]) -> None:
    """Append the turns of ai.conversation events to their conversations."""
    for _, p in items:
        assert isinstance(p, AiConversation)
        query = select(ConversationRow).where(ConversationRow.external_key == p.conversation_id)
        row = await ctx.session.scalar(query)
        if row is None:
            row = ConversationRow(
                id=uuid.uuid4(),
                external_key=p.conversation_id,
                messages=[],
                prompt_tokens=0,
                completion_tokens=0,
            )
            row.user_id = await _user(ctx, p.user_discord_id)
            row.campaign_id = await ctx.resolver.campaign(p.campaign_id)
            row.campaign_key = p.campaign_id
        row.provider, row.model = p.provider.value, p.model
        row.messages = [*row.messages, *codec.to_builtins(p.messages)]
        row.prompt_tokens += p.prompt_tokens
        row.completion_tokens += p.completion_tokens
        await changes.save(ctx.session, row)


async def _user(ctx: Ingest, discord_id: str | None) -> uuid.UUID | None:
    if discord_id is None:
        return None
    return (await ensure_discord_users(ctx, [discord_id], {}))[discord_id]


async def store_usage(ctx: Ingest, items: Sequence[Item]) -> None:
    """Insert a run of ai.usage events."""
    now = utcnow()
    rows = []
    for event, p in items:
        assert isinstance(p, AiUsage)
        conversation = None
        if p.conversation_id is not None:
            query = select(ConversationRow.id).where(
                ConversationRow.external_key == p.conversation_id
            )
            conversation = await ctx.session.scalar(query)
        rows.append(
            {
                "id": uuid.uuid4(),
                "idempotency_key": event.id,
                "conversation_id": conversation,
                "user_id": await _user(ctx, p.user_discord_id),
                "campaign_id": await ctx.resolver.campaign(p.campaign_id),
                "campaign_key": p.campaign_id,
                "provider": p.provider.value,
                "model": p.model,
                "prompt_tokens": p.prompt_tokens,
                "completion_tokens": p.completion_tokens,
                "created_at": now,
                "updated_at": now,
            }
        )
    await ctx.session.execute(
        insert_ignoring(ctx.session, UsageRow.__table__, ["idempotency_key"]), rows
    )
