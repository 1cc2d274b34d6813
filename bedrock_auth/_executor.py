"""The thread pool behind a manager's async helpers, with its threads started up front.

A ``ThreadPoolExecutor`` starts a thread inside ``submit`` whenever none is idle. Called from
the event loop during a burst of calls, each start waits twice for the GIL behind workers
already running botocore code: measured on 2 cores, 64 such starts blocked the loop for
210-260 ms. Started all at once while none is busy, they took about 0.2 ms each (more on a
loaded machine).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

#: At most this many threads are started up front; a larger pool grows on demand beyond it.
PRESTARTED_THREADS = 128


def started_executor(size: int) -> ThreadPoolExecutor:
    """A pool of ``size`` threads, up to ``PRESTARTED_THREADS`` of them already running.

    128 idle threads cost about 2.4 MiB and a few tens of milliseconds to start, once per
    manager, on its first async call (call ``manager.executor()`` at startup to pay it there).
    """
    executor = ThreadPoolExecutor(size, thread_name_prefix="bedrock-auth")
    gate = threading.Event()
    for _ in range(min(size, PRESTARTED_THREADS)):
        executor.submit(gate.wait)  # every thread is held at the gate, so each submit starts one
    gate.set()
    return executor
