"""Core: the source of truth for FumbleBot's data.

`storage.app.create_app` builds the HTTP app (signed webhooks in, the query
API out); `storage.models` and `storage/migrations` hold the schema;
`storage.ingest` and `storage.handlers` turn events into rows. See
docs/core-api.md.
"""
