"""Leader nudges: posts nobody answered and quiet newcomers, told to each leader in one email.

How it works (docs/nudges.md tells the whole story):

- Ingest keys every unanswered post in the sparse `unanswered` index by the instant its first nudge
  is due (created_at + the community's `unanswered_after_hours`). The sweep, every 15 minutes,
  queries `unanswered_at <= now`: it reads only the posts whose nudge has come.
- Per community, one transaction moves each due post's key on (to the reminder at twice the
  threshold; out of reach after the reminder) and appends the (post, stage) entries to each
  leader's nudge queue. A queue is due now, or when that leader's quiet hours end.
- Each due queue becomes one email. Its entries are first recorded as the queue's outgoing batch,
  whose id is the ledger period; then the email goes out through the ledger; then the batch is
  cleared. A sweep that dies half-way is retried: a batch already sent is found sent in the ledger
  and only cleared, the others go out; nobody gets the same nudge twice.
- Quiet newcomers: welcoming a member schedules a `newcomer` job; when it comes due and the member
  has neither posted nor replied, they get one friendly email and the leaders' queues get their name.

The modules, each imported by name (this file re-exports nothing, so a handler loads only its part):

- `sweep`: the 15-minute sweep (`sweep`, `next_due`): queue due posts, email each due queue.
- `reads`: what one sweep reads once (communities, leaders, authors' names).
- `emails`: the nudge email (`compose_nudge`, `NudgeLine`, `NewcomerLine`, `introductions_url`).
- `newcomers`: quiet newcomers (`schedule_newcomer_check`, `run_newcomer_check`, `compose_newcomer`);
  `cerchia.welcome` calls `schedule_newcomer_check` from here.
- `links`: the signed "I'll answer it" / "No reply needed" links (`nudge_link`).
- `pages`: what those links show and do (`nudge_link_page`).

The pure rules (plans, quiet hours, which posts still wait) are in `cerchia.domain.nudges`.
"""
