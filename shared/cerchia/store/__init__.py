"""DynamoDB access for Cerchia: the single table, its keys and its transactions.

Nothing outside this package spells a key. `client.py` alone touches the DynamoDB client, and its
one mapper turns `ClientError`s into domain errors (`cerchia.errors`). `Store` (table.py) is the
public face; each aggregate has its repository module (communities, roster, posts, jobs, ledger,
weeks, polls, nudges, digests, suppression, console, preferences, members).
"""

from cerchia.store.table import Store, get_store

__all__ = ["Store", "get_store"]
