"""Two threads, two CPU-bound jobs: do they run at the same moment in CPython?

The book's one Python listing (the FAQ question "How do these verdicts fare in
Python?"). Run it with the machine's interpreter:

    python3 listings/python/gil_cpu_bound.py

It checks first that the GIL is enabled, then prints whether two threads
doing one pure Python job each ran in parallel. It prints no timings, so that its
output is the same on every run; `booktools outputs` compares it with
output/gil_cpu_bound.txt. Where it cannot show the property (one CPU, or an
interpreter running without the GIL) it prints one `skipped: ` line instead,
which the check counts as not observed.
"""

import os
import sys
import threading
import time

# ANCHOR: job
ROUNDS = 2_000_000


def pure_python():
    """Bytecode from start to end: a thread needs the GIL throughout."""
    total = 0
    for i in range(ROUNDS):
        total += i % 7
    return total
# ANCHOR_END: job


# ANCHOR: measure
def on_two_threads(job):
    """Runs `job` once on each of two threads. Returns the wall time of the
    pair and the CPU time the two threads used, added together."""
    cpu = [0.0, 0.0]

    def run(k):
        start = time.thread_time()
        job()
        cpu[k] = time.thread_time() - start

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, sum(cpu)


# Two jobs done one after the other take at least their CPU time together,
# however busy the machine; done at the same moment, on two CPUs, about half
# of it. Below this fraction, the threads overlapped for most of their work.
PARALLEL = 0.7
# A machine busy with other work may give the two threads no common moment
# in one try; one try that shows it is enough.
TRIES = 10


def ran_in_parallel(job):
    for _ in range(TRIES):
        wall, cpu = on_two_threads(job)
        if wall < PARALLEL * cpu:
            return True
    return False
# ANCHOR_END: measure


def gil_enabled():
    # sys._is_gil_enabled() exists from Python 3.13; before it, the GIL is
    # always on. BOOK_GIL=0 pretends it is off, only to try the skip path
    # below on an interpreter that has it.
    if os.environ.get("BOOK_GIL") == "0":
        return False
    return getattr(sys, "_is_gil_enabled", lambda: True)()


def yes_no(flag):
    return "yes" if flag else "no"


def main():
    if not gil_enabled():
        # A free-threaded build (3.13 on) runs without the lock unless told
        # otherwise: the property this listing shows is not there to see.
        print(
            "skipped: python/gil_cpu_bound: this python3 runs without the "
            "GIL (a free-threaded build), so its threads have no lock to "
            "take turns with"
        )
        return
    cpus = len(os.sched_getaffinity(0))
    if cpus < 2:
        print(
            "skipped: python/gil_cpu_bound: two threads can run at the same "
            f"moment only on two CPUs, and this process may use {cpus}"
        )
        return
    # Only an interpreter with the GIL gets here, so the output says which
    # kind it ran on without a line of its own.
    print(
        "with the GIL, two threads, one pure Python job each, ran in "
        "parallel: "
        f"{yes_no(ran_in_parallel(pure_python))}"
    )


if __name__ == "__main__":
    main()
