# ruff: noqa
"""Names vulture (dead-code check, `make lint`) cannot see used, each reviewed and grouped by why.

Run `vulture shared/cerchia functions infra/cerchia_infra vulture_whitelist.py` (flags in the Makefile).
A name belongs here only if something outside the scanned code uses it: Jinja templates, pydantic
(fields read through model_dump or the API schema), the standard library or Powertools calling it
by name, the tests' public seams. Anything else vulture reports is dead: delete it.
"""

# Read by the Jinja templates (shared/cerchia/templates).
_.trend_text  # digests/report.py Metric (leader-digest.txt)
_.post_meta  # digests/words.py Words (digest, welcome, nudge templates)
_.voted  # domain/cards.py PollCard (digest.html)
_.leading  # domain/tallies.py Tally (poll results email and pages)
_.claim_url  # nudges/emails.py NudgeLine (nudge templates)
_.dismiss_url

# Fields of answers and stored records: serialised by pydantic/dataclasses, read by API clients.
_.ignored_because  # domain/discourse.py, in the Discourse answer
_.already_there  # domain/members.py, in the import answer
_.cast_at  # domain/polls.py Ballot
_.changed_at
_.suppressed_at  # store/suppression.py Suppression
webhook_timestamp  # polls/openapi.py: documented headers of the webhook routes
webhook_signature
discourse_event

# Public seams the tests use to script the outside world (see tests/ses_support.py and friends).
use_pacer  # mail/sending.py
use_ses
use_sleep  # store/backoff.py
_.set_time  # local stack: move the virtual clock to an instant
_.from_dict  # local template from a parsed dict
_.environments  # local functions: the execution environments of a function
_.running  # local emulator
get_suppression  # store reads the tests assert on (the table as the outside world sees it)
sign_in_emails
_.due_jobs
_.email_status

# Called by name: Lambda's context object, http.server, copy, module __getattr__, the bench's sections.
function_version
memory_limit_in_mb
_.invoked_function_arn
client_context
_.log_group_name
_.log_stream_name
daemon_threads
request_queue_size
allow_reuse_address
protocol_version
server_version
sys_version
_.close_connection
do_DELETE
do_GET
do_HEAD
do_OPTIONS
do_PATCH
do_POST
filename  # template_cache.py: the argument Jinja passes to BytecodeCache.get_cache_key, ignored on purpose
do_PUT
_.log_message
memo  # __deepcopy__(self, memo)
__getattr__  # cerchia_infra.local: lazy names
_.dropped  # local queues and streams: what a test reads after dropping a message
week_volume  # bench sections, found by name
hot_post
requests_per_event
_.ingest_event  # bench_cold_events.py: one event per function, found by the function's name
_.manage_polls
_.deliver_emails
_.flag_unanswered_posts
_.record_ses_feedback
_.serve_member_pages
_.serve_preference_pages
_.serve_vote_pages
_.serve_nudge_links
_.ingest_discourse_event
_.manage_members
_.serve_console
