"""Due times: the bounded heaps of pending jobs, and the thread that ends jobs when due."""

from __future__ import annotations

import threading

from mockserver.timers import DueTimes, Timers


def test_due_times_count_pop_and_say_what_is_next() -> None:
    due = DueTimes()
    for at, job in ((3.0, 1), (1.0, 2), (2.0, 3)):
        due.push(at, job, 0.0, 100)

    assert due.next() == 1.0 and due.count(0.0) == 3
    assert due.pop_due(2.0) == [2, 3] and due.count(2.5) == 1
    assert due.count(3.0) == 0 and due.next() is None


def test_due_times_stay_bounded() -> None:
    due = DueTimes()
    for i in range(1000):
        due.push(float(i), i, 500.0, 100)

    assert len(due) <= 100
    due.clear()
    assert len(due) == 0


def test_the_timer_thread_runs_what_is_due_and_stops() -> None:
    ran = threading.Event()
    times = [0.0]

    def run_due() -> None:
        ran.set()
        times[0] = 10.0

    timers = Timers(run_due, lambda: None if times[0] else 0.0, lambda: 5.0)
    timers.wake()
    assert ran.wait(5)
    timers.stop()
    timers.wake()  # a stopped timer starts no thread again
    assert timers._thread is None


def test_a_failing_run_does_not_end_the_timer_thread() -> None:
    calls: list[int] = []
    second = threading.Event()

    def run_due() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("one bad job")
        second.set()

    timers = Timers(run_due, lambda: None if second.is_set() else 0.0, lambda: 5.0)
    timers.wake()
    try:
        assert second.wait(5)  # it ran again after the failure
    finally:
        timers.stop()
