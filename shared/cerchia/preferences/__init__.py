"""Member preferences: the page behind "Choose which emails you get" and the unsubscribe link.

- `service`: GET shows a member's choices, POST saves them (`show`, `save`).
- `pages`: the preference form itself (`choices_page`).
- `unsubscribe`: the `/u/{token}` page, also the List-Unsubscribe header's target (RFC 8058).
"""
