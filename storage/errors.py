"""The one exception hierarchy of Core."""

from __future__ import annotations

import uuid


class StorageError(Exception):
    """Base of every error Core raises on purpose."""


class MigrationError(StorageError):
    """The database schema could not be brought to the current revision."""


class CryptoError(StorageError):
    """A key is malformed, or stored credentials do not decrypt."""


class CampaignNotFoundError(StorageError):
    """No campaign visible to the caller has that id."""


class VersionConflictError(StorageError):
    """A write named a version that is no longer current."""

    def __init__(self, entity: str, current: int) -> None:
        self.entity = entity
        self.current = current
        super().__init__(f"the {entity} is at version {current}")


class ClaimConflictError(StorageError):
    """A game link names a VTT game or Discord channel another campaign holds."""

    def __init__(self, field: str, holder: uuid.UUID) -> None:
        self.field = field
        self.holder = holder
        super().__init__(f"another campaign ({holder}) holds that {field}")
