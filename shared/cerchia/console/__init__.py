"""The leaders' console: sign-in by emailed single-use links, server-side sessions, and a few pages.

- `sessions`: the single-use links, the `cerchia_session` cookie, sessions and their CSRF token.
- `service`: sign-in requests, the leader behind a session, settling posts, the community's settings.
- `overview`: the home page's week so far, waiting posts, silent newcomers and pending polls.
- `polls`: a new poll from the form; cancelling or closing one now.
- `web`: routes, forms and answers (303 after every POST, 403 for anything not this session's).
"""
