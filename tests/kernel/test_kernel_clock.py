"""kernel.clock.ManualClock and kernel.wait.wait_event: virtual time for every other test."""
from __future__ import annotations

import asyncio
import math

from kernel.clock import ManualClock
from kernel.wait import WaitQueue, wait_event


async def settle(rounds: int = 8) -> None:
    for _ in range(rounds):
        await asyncio.sleep(0)


def test_manual_clock_fires_in_time_order_then_insertion_order() -> None:
    clock = ManualClock(start=0.0)
    fired: list[tuple[str, float]] = []
    clock.call_at(3.0, lambda: fired.append(("c", clock.now())))
    clock.call_at(1.0, lambda: fired.append(("a1", clock.now())))
    clock.call_at(2.0, lambda: fired.append(("b", clock.now())))
    clock.call_at(1.0, lambda: fired.append(("a2", clock.now())))
    clock.advance(2.5)
    # each timer sees now() == its own deadline; equal deadlines keep insertion order
    assert fired == [("a1", 1.0), ("a2", 1.0), ("b", 2.0)]
    assert clock.now() == 2.5
    assert clock.pending() == 1
    clock.advance(0.5)  # a deadline exactly at the target fires
    assert fired[-1] == ("c", 3.0)
    assert clock.pending() == 0


def test_manual_clock_cancelled_timer_never_fires() -> None:
    clock = ManualClock()
    fired: list[int] = []
    handle = clock.call_at(clock.now() + 1, lambda: fired.append(1))
    clock.call_at(clock.now() + 1, lambda: fired.append(2))
    handle.cancel()
    assert clock.pending() == 1
    clock.advance(10)
    assert fired == [2]


def test_manual_clock_does_not_move_by_itself_and_past_deadlines_fire_on_next_advance() -> None:
    clock = ManualClock(start=5.0)
    fired: list[float] = []
    clock.call_at(4.0, lambda: fired.append(clock.now()))  # already due
    assert clock.now() == 5.0 and fired == []
    clock.advance(0)
    assert fired == [5.0]  # time never goes backwards for a late timer


def test_manual_clock_timer_added_during_advance_fires_if_due() -> None:
    clock = ManualClock(start=0.0)
    fired: list[str] = []

    def first() -> None:
        fired.append("first")
        clock.call_at(clock.now() + 0.5, lambda: fired.append("chained"))  # due at 1.5 <= 2
        clock.call_at(clock.now() + 5, lambda: fired.append("late"))

    clock.call_at(1.0, first)
    clock.advance(2.0)
    assert fired == ["first", "chained"]
    assert clock.pending() == 1


async def test_wait_event_returns_remaining_time_when_woken() -> None:
    clock = ManualClock()
    wq = WaitQueue()
    flag = [False]
    task = asyncio.ensure_future(wait_event(wq, clock, 2.0, lambda: flag[0]))
    await settle()
    assert not task.done() and len(wq) == 1 and clock.pending() == 1
    clock.advance(0.75)
    await settle()
    wq.wake_up(1)  # spurious: cond still false, keeps sleeping with the same deadline
    await settle()
    assert not task.done()
    flag[0] = True
    wq.wake_up(1)
    await settle()
    assert task.result() == 1.25
    assert len(wq) == 0 and clock.pending() == 0  # entry and timer cleaned up


async def test_wait_event_times_out_with_zero() -> None:
    clock = ManualClock()
    wq = WaitQueue()
    task = asyncio.ensure_future(wait_event(wq, clock, 1.0, lambda: False))
    await settle()
    clock.advance(0.999)
    await settle()
    assert not task.done()
    clock.advance(0.001)
    await settle()
    assert task.result() == 0.0
    assert len(wq) == 0


async def test_wait_event_immediate_and_nonblocking_cases() -> None:
    clock = ManualClock()
    wq = WaitQueue()
    assert await wait_event(wq, clock, 3.0, lambda: True) == 3.0
    assert await wait_event(wq, clock, 0.0, lambda: True) > 0  # "true" even with no time
    assert await wait_event(wq, clock, 0.0, lambda: False) == 0.0
    assert clock.pending() == 0


async def test_wait_event_infinite_sets_no_timer_and_cancel_cleans_up() -> None:
    clock = ManualClock()
    wq = WaitQueue()
    task = asyncio.ensure_future(wait_event(wq, clock, math.inf, lambda: False))
    await settle()
    assert clock.pending() == 0 and len(wq) == 1
    clock.advance(1e9)
    await settle()
    assert not task.done()
    task.cancel()
    await settle()
    assert task.cancelled()
    assert len(wq) == 0
