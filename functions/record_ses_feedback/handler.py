"""SNS (SES events of the configuration set): bounces and complaints suppress addresses; all are counted.

SNS invokes asynchronously: a failure is retried by Lambda, then lands in the function's
dead-letter queue. A redelivered notification counts nothing twice (keyed on SES's feedbackId).
"""

from __future__ import annotations

from cerchia import coldstart  # first of all: no garbage collection until the first event is served

# isort: split

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source

from cerchia import clock
from cerchia.feedback import record_notification
from cerchia.settings import get_settings

logger = Logger()
metrics = Metrics()


@coldstart.first_call_resumes
@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
@event_source(data_class=SNSEvent)
def lambda_handler(event: SNSEvent, context: object) -> dict:
    metrics.add_dimension(name="stage", value=get_settings().stage)
    totals: dict[str, int] = {}
    for record in event.records:
        counts = record_notification(record.sns.message, record.sns.message_id, clock.now())
        for name, value in counts.items():
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
            totals[name] = totals.get(name, 0) + value
    logger.info("ses feedback recorded", **totals)
    return totals
