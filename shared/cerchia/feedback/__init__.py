"""SES feedback: bounces and complaints become suppressed addresses; every SES event becomes a metric.

The handler `record_ses_feedback` calls `record_notification`; the rules are in `cerchia.domain.feedback`.
"""

from cerchia.feedback.service import record_notification

__all__ = ["record_notification"]
