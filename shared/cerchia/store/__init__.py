"""DynamoDB access for Cerchia: the single table, its keys and its transactions.

Nothing outside this package spells a key. `ClientError`s become domain errors here.
"""

from cerchia.store.table import Store, get_store

__all__ = ["Store", "get_store"]
