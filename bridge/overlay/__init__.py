"""The stream overlay: a read-only page of a campaign's public rolls, for OBS.

A GM makes an overlay key with `/overlay create` (`keys`); OBS loads
`/overlay/<key>` (`routes`), whose script follows `/overlay/<key>/events`,
an SSE feed of roll cards (`feed`). The key is the one credential allowed in
a URL, since a browser source can set nothing else, so it is hashed at rest,
opens nothing but these routes, and is cut out of access logs (`redact`).
"""
