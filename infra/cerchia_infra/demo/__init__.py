"""`cerchia demo`: a scripted week of two small communities on the local stack.

Each chapter (`chapter_<name>.py`, a `play(demo)` function) acts like the platform and the members
would, over HTTP; the virtual clock carries the week forward; the summary counts what went out.
"""
