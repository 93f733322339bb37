"""The body of every engine computation the TUI runs in a thread worker (the run, the Jacobian, the seed
ensemble): the engine gets the worker's cancel event and a throttled progress callback, and the outcome goes
back as a message (`post_message` is thread-safe). A cancelled computation posts nothing: a newer request
owns the screen."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol, TypeVar

from textual.message import Message
from textual.worker import get_current_worker

from initscope.tui.messages import throttled_progress


class Cancellable(Protocol):
    @property
    def cancelled(self) -> bool: ...


R = TypeVar("R", bound=Cancellable)
Progress = Callable[[int, int], None]


def compute_and_post(
    post: Callable[[Message], object],
    compute: Callable[[threading.Event, Progress], R],
    progress: Callable[[int, int], Message],
    done: Callable[[R], Message],
    failed: Callable[[Exception], Message],
    delay: float = 0.0,
) -> None:
    """Call in a thread worker: `compute(cancel, progress)`, then post `done(result)`, or `failed(error)` when the
    engine raised (the app goes on and says so); `progress(done, total)` messages are throttled."""
    worker = get_current_worker()
    report = throttled_progress(post, progress, delay=delay)
    try:
        result = compute(worker.cancelled_event, report)
    except Exception as err:  # the app goes on; the message says what failed
        post(failed(err))
        return
    if worker.is_cancelled or result.cancelled:
        return
    post(done(result))
