"""Everything about running Cerchia: the `cerchia` CLI and the local stack.

`cerchia_infra` may import `cerchia`; `cerchia` never imports it.
"""
