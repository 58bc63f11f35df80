"""Event sources, as Lambda's event source mappings and EventBridge would drive the functions.

- `StreamConsumer` (local/streams.py): a DynamoDB stream read through the emulator's streams API, filtered, batched,
  with partial batch failures, bisection, retries and an on-failure destination.
- `QueueConsumer` (local/queues.py): an SQS queue (also the internal queue an SNS topic delivers to), with partial
  batch failures and the queue's redrive policy.
- `Engine`: fires schedules at their instants on the virtual clock and *settles*: drains every
  stream and queue until nothing moves. One re-entrant lock serializes the background pump, settles
  and clock moves; HTTP requests never wait for it.

Skipping idle time: a schedule whose function says when it next has work (`Schedule.next_work`)
runs only at the instants where a run could find some: the last instant at or before the work is
due, and every instant from then until the work is gone. The instants it passes over are the ones
at which a run would have found nothing, so the outcome is the one firing at every instant gives
(`skip_idle=False` does that, for comparison), and a quiet week takes a handful of runs.

Retries happen at once (no backoff): the point locally is that the outcome is the one AWS reaches.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from cerchia_infra.local.clock import ClockMovedBackwards, VirtualClock, iso
from cerchia_infra.local.functions import InvocationError
from cerchia_infra.local.queues import QueueConsumer, sns_event
from cerchia_infra.local.schedules import Schedule, last_tick_between
from cerchia_infra.local.streams import FailureDestination, Hint, Invoke, StreamConsumer

log = logging.getLogger("cerchia_infra.local.engine")

MAX_SETTLE_PASSES = 1000


class Engine:
    def __init__(
        self,
        *,
        clock: VirtualClock,
        invoke: Invoke,
        streams: Sequence[StreamConsumer] = (),
        queues: Sequence[QueueConsumer] = (),
        schedules: Sequence[Schedule] = (),
        region: str = "eu-west-1",
        account_id: str = "123456789012",
        after_settle: Callable[[], object] = lambda: None,
        pump_interval: float = 0.2,
        skip_idle: bool = True,
    ) -> None:
        self.clock = clock
        self.skip_idle = skip_idle
        self.invoke = invoke
        self.streams = list(streams)
        self.queues = list(queues)
        self.schedules = list(schedules)
        self.region = region
        self.account_id = account_id
        self.after_settle = after_settle
        self.pump_interval = pump_interval
        self.lock = threading.RLock()
        self._stop = threading.Event()
        self._pump: threading.Thread | None = None
        start = clock.now()
        for schedule in self.schedules:
            schedule.last = start  # no catching up on instants before the stack started

    # ------------------------------------------------------------------ settling

    def settle(self) -> None:
        """Drain streams and queues until nothing moves, then collect what that produced."""
        with self.lock:
            self._drain()
            self.after_settle()

    def _drain(self) -> None:
        consumers: list[StreamConsumer | QueueConsumer] = [*self.streams, *self.queues]
        for _ in range(MAX_SETTLE_PASSES):
            moved = False
            for consumer in consumers:
                moved = consumer.poll() or moved
            if not moved:
                return
        log.warning(
            "Streams and queues still busy after %d passes; a function may be feeding itself.", MAX_SETTLE_PASSES
        )

    # ------------------------------------------------------------------ time

    def advance_to(self, target: datetime, *, check: bool = True) -> datetime:
        """Move the clock to `target`, stopping at every schedule instant on the way to fire and settle."""
        with self.lock:
            if check:
                self.clock.require_not_past(target)
            self._drain()  # work already pending happens now, not at the first instant ahead
            self._run_due(target)
            self.clock.catch_up(target)
            self._drain()
            self.after_settle()
            return self.clock.now()

    def _run_due(self, until: datetime) -> None:
        while True:
            work: dict[int, datetime | None] = {}
            instant = self._next_instant(until, work)
            if instant is None:
                self._pass_over(until)
                return
            self.clock.catch_up(instant)
            fired = False
            for position, schedule in enumerate(self.schedules):
                tick = schedule.next_tick()
                if tick is None or tick > instant:
                    continue
                if self._skips(schedule):
                    # What ran before it at this instant may have given it work: then ask again.
                    due = work[position] if not fired and position in work else self._next_work(schedule)
                    if self._idle_at(schedule, instant, due):
                        continue
                schedule.last = instant
                self._fire(schedule, instant)
                fired = True
            self._drain()

    def _next_instant(self, until: datetime, work: dict[int, datetime | None]) -> datetime | None:
        """The first instant, by `until`, at which a schedule runs; `work` keeps what was asked."""
        instants = []
        for position, schedule in enumerate(self.schedules):
            tick = schedule.next_tick()
            if tick is None or tick > until:
                continue
            if self._skips(schedule):
                work[position] = self._next_work(schedule)
                if not self._skips(schedule):  # it could not say: it runs at every instant
                    instants.append(tick)
                    continue
                tick = schedule.next_useful_tick(work[position])
                if tick is None or tick > until:
                    continue
            instants.append(tick)
        return min(instants, default=None)

    def _idle_at(self, schedule: Schedule, instant: datetime, due: datetime | None) -> bool:
        """Whether a run at `instant` would find nothing; the instants up to it are passed over then."""
        if not self._skips(schedule):  # asking failed: it runs at every instant
            return False
        useful = schedule.next_useful_tick(due)
        schedule.last = last_tick_between(schedule.ticks, schedule.last, instant) or instant
        return useful is None or useful > instant or schedule.last != instant

    def _pass_over(self, until: datetime) -> None:
        """Nothing runs by `until`: the instants up to it are behind every schedule that skips."""
        for schedule in self.schedules:
            if self._skips(schedule):
                schedule.last = last_tick_between(schedule.ticks, schedule.last, until) or schedule.last

    def _skips(self, schedule: Schedule) -> bool:
        return self.skip_idle and schedule.next_work is not None

    def _next_work(self, schedule: Schedule) -> datetime | None:
        assert schedule.next_work is not None
        try:
            return schedule.next_work()
        except Exception as error:
            # The schedule keeps working, only slower: from now on it runs at every instant.
            log.info("%s cannot say when it next has work (%s); it runs at every instant.", schedule.name, error)
            schedule.next_work = None
            return None

    def _fire(self, schedule: Schedule, instant: datetime) -> None:
        event = schedule.event(instant, self.region, self.account_id)
        for attempt in range(1, schedule.attempts + 1):
            try:
                self.invoke(schedule.function_logical_id, event)
                return
            except InvocationError as error:
                log.warning("Schedule %s at %s, attempt %d failed: %s", schedule.name, iso(instant), attempt, error)
        log.error("Schedule %s at %s: giving up after %d attempt(s).", schedule.name, iso(instant), schedule.attempts)

    def move_clock(self, target: datetime | None = None, advance: float | None = None) -> datetime:
        """`/_local/clock`: to an instant, or forward by seconds (0 only settles)."""
        with self.lock:
            if target is None:
                seconds = advance or 0.0
                if seconds < 0:
                    raise ClockMovedBackwards(
                        f"The clock never moves back: advance by zero or more seconds, not {seconds:g}."
                    )
                # Computed from now, so it cannot be in the past even if the wall moved meanwhile.
                return self.advance_to(self.clock.now() + timedelta(seconds=seconds), check=False)
            return self.advance_to(target)

    # ------------------------------------------------------------------ the pump

    def pump_once(self) -> None:
        with self.lock:
            self._run_due(self.clock.now())
            self._drain()
            self.after_settle()

    def start(self) -> None:
        for consumer in self.streams:
            consumer.start()
        self._stop.clear()
        self._pump = threading.Thread(target=self._pump_loop, name="cerchia-pump", daemon=True)
        self._pump.start()

    def stop(self) -> None:
        self._stop.set()
        if self._pump is not None:
            self._pump.join(timeout=30)
            self._pump = None

    def _pump_loop(self) -> None:
        while not self._stop.wait(self.pump_interval):
            try:
                self.pump_once()
            except Exception:
                log.exception("The local stack's pump failed; it will try again.")


__all__ = ["Engine", "FailureDestination", "Hint", "Invoke", "QueueConsumer", "StreamConsumer", "sns_event"]
