"""Child processes that end with their parent: serve's workers and ingest's parsing processes."""

import ctypes
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def exit_with_parent(parent: int, interval_s: float = 1.0) -> None:
    """Make this process get SIGTERM (and so stop) as soon as `parent`, the process that started it, dies.

    A parent killed with SIGKILL cannot stop its children, which would otherwise live on: serve's
    workers serving, ingest's parsing processes asleep on their pipe for ever. On Linux the kernel
    sends the signal itself (`prctl(PR_SET_PDEATHSIG)`; the parent must start its children from a
    thread that lives as long as it does, as uvicorn and ProcessPoolExecutor do from the main
    thread); everywhere, a watchdog thread checks `os.getppid()` every `interval_s` seconds.
    """
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))
    if os.getppid() != parent:  # the parent died before the line above took effect
        os.kill(os.getpid(), signal.SIGTERM)
        return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval_s)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="laborwatch-parent-watch", daemon=True).start()
