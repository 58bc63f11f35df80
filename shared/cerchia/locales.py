"""The languages Cerchia speaks: every list of them (settings, forms, catalogues, rules) is this one."""

LOCALES = ("en", "it")
