"""Welcoming new members: one email per membership, in the member's language.

- `service`: `welcome_member` (the table stream's call) and `send_welcome`; a welcome SES cannot
  send yet is kept as a `welcome` job.
- `jobs`: `run_welcome_job`, the due sweep's retry of that job.
- `emails`: `compose_welcome`, the email itself.

Welcoming a member also schedules the quiet-newcomer check of `cerchia.nudges.newcomers`.
"""
