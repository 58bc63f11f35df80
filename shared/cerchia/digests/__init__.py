"""Weekly value digests for members, and a health report for leaders.

How a week's digests go out (everything through cerchia.jobs: the due index and the delivery queue):

1. One `digest-week` job per community waits in the due index for the next round: the moment the
   week is over and the earliest reader's digest hour approaches (domain.digests.round_opens). It
   is scheduled when the community is created and moved to the next round after each run
   (`schedule`).
2. `rounds.run_round` computes the week's content once (a stored snapshot built from the write-time
   aggregates of the week items: reads follow members and top posts, never every post of the week),
   then schedules one `digest-send` job per distinct local instant of its readers (09:00 in Rome,
   09:00 in New York...). A week with no activity stores an empty snapshot and sends nothing.
3. `rounds.run_send`, at each instant, puts that group's members on the delivery queue in chunks of
   50 (kind `digest`) and its leaders (kind `leader-digest`).
4. The delivery worker calls `delivery.deliver_member_digest` / `delivery.deliver_leader_digest` for
   each member of a chunk: each email is claimed in the ledger for (kind, community, member,
   community week), so a retried job or a redelivered chunk never sends a second copy; sends are
   paced by cerchia.mail.sending's pacer (settings.max_send_rate per worker), and SES throttling is
   retried with backoff by the mailer.

Leaders get the leader digest (health, with the week's top posts) instead of the member digest:
one email each per week. Unsubscribes, bounces and suppressions are counted for that report by
`reach.note_lost_reach`.

Other features import only `cerchia.digests.schedule` (communities) and `cerchia.digests.reach`
(feedback, preferences, the unsubscribe page).
"""
