"""Ingest: the platform's events in, verified, validated and stored once.

- `webhooks`: Standard Webhooks deliveries (POST /v1/communities/{id}/events), `member.erased` too.
- `discourse`: Discourse's own webhooks (POST /v1/communities/{id}/discourse), mapped onto the same events.
- `delivery`: what both share before the signature matters (size, JSON, the outcome).
- `api`: what both functions answer, for each outcome and each error.

What an event changes is decided in `cerchia.domain.ingest` and written by `cerchia.store.projection`.
Each function imports only its own module here, so a cold start loads one connector.
"""
