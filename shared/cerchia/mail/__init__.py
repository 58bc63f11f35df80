"""Email: rendering (Jinja2, autoescaped), MIME building, SES v2 sending and the once-only ledger."""
