"""Polls, from the leader's request to the results.

- Leaders create a poll through the API (`service.create_poll`); it waits in the due index.
- Its job (`jobs.run_poll_job`) opens it at `send_at` and emails every member who has polls on, one
  button per option (`emails`); reminds the members who have not answered 24 hours before close;
  closes it at `close_at` and emails the results to leaders and to the members who answered.
- Members answer from the email: the link's page (`pages.vote_page`) only shows the question with
  their option chosen; the form's POST (`pages.submit_vote`) records the ballot.
- The weekly digest shows polls closed that week and polls still open (`cards.poll_cards`).

Only the leader API's entry points are re-exported here: they are light, and importing this
package must not pull the mail or the pages into the API's cold start.
"""

from cerchia.polls.service import JOB_KIND, create_poll, poll_summary

__all__ = ["JOB_KIND", "create_poll", "poll_summary"]
