"""The leaders' console: sign-in by emailed single-use links, server-side sessions, and a few pages.

- `sessions`: the single-use links, the `cerchia_session` cookie, sessions and their CSRF token.
- `service`: what the pages do (sign-in requests, the week so far, polls, settings).
- `web`: routes, forms and answers (303 after every POST, 403 for anything not this session's).
"""
