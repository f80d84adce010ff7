"""Python asyncio's side of weft's benchmark suite (run by bench/run.ts).

The same scenarios as bench/scenarios/*.ts, written the way asyncio code is
written. JavaScript's `await null` (suspend once, resume on the next turn of
the scheduler) is `await asyncio.sleep(0)` here. Every scenario checks its
own result and raises on a wrong one; the script then exits non-zero.

Usage: python3 bench/python/asyncio_bench.py SCENARIO --n N --warmup W
       --rounds R --min-samples S --budget MS
Prints one JSON object: {"python": version, "measured": [{name, n, samples}]}.
"""

import argparse
import asyncio
import gc
import json
import sys
import time
import tracemalloc

LONG_S = 600.0


class CheckFailed(Exception):
    pass


def fail(message):
    raise CheckFailed(f"check failed: {message}")


async def work(i):
    await asyncio.sleep(0)
    return i


def check_in_order(results, n, factor=1):
    if len(results) != n:
        fail(f"{len(results)} results, expected {n}")
    for i, value in enumerate(results):
        if value != i * factor:
            fail(f"result {i} is {value}")


# 1. spawn + await


async def spawn_gather(n):
    tasks = [asyncio.create_task(work(i)) for i in range(n)]
    check_in_order(await asyncio.gather(*tasks), n)


async def spawn_taskgroup(n):
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(work(i)) for i in range(n)]
    check_in_order([t.result() for t in tasks], n)


# 2. concurrent sleeps

SLEEP_S = 0.010
PROBE = 1000


async def sleeps(n):
    shortest = [float("inf")]
    probed = [0]

    async def sleeper(i):
        started = time.perf_counter() if i % PROBE == 0 else 0
        await asyncio.sleep(SLEEP_S)
        if started:
            probed[0] += 1
            shortest[0] = min(shortest[0], time.perf_counter() - started)
        return i

    tasks = [asyncio.create_task(sleeper(i)) for i in range(n)]
    check_in_order(await asyncio.gather(*tasks), n)
    if probed[0] != -(-n // PROBE):
        fail(f"{probed[0]} probed sleeps ended")
    if shortest[0] < SLEEP_S / 2:
        fail(f"a sleep of {SLEEP_S} s took {shortest[0]} s")


# 3. cancel


async def cancel(n):
    census = {"asleep": 0, "woke": 0}

    async def sleeper():
        census["asleep"] += 1
        await asyncio.sleep(LONG_S)
        census["woke"] += 1

    tasks = [asyncio.create_task(sleeper()) for _ in range(n)]
    await asyncio.sleep(0)
    if census["asleep"] != n:
        fail(f"{census['asleep']} of {n} tasks reached their sleep")
    started = time.perf_counter()
    for task in tasks:
        task.cancel()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    ms = (time.perf_counter() - started) * 1000
    cancelled = sum(1 for o in outcomes if isinstance(o, asyncio.CancelledError))
    if census["woke"] != 0 or cancelled != n:
        fail(f"{cancelled} of {n} tasks ended cancelled, {census['woke']} woke")
    return ms


# 4. memory


async def memory(n):
    census = {"asleep": 0}

    async def sleeper():
        census["asleep"] += 1
        await asyncio.sleep(LONG_S)

    tasks = [None] * n
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(n):
        tasks[i] = asyncio.create_task(sleeper())
    await asyncio.sleep(0)
    if census["asleep"] != n:
        fail(f"{census['asleep']} of {n} tasks reached their sleep")
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    for task in tasks:
        task.cancel()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    if sum(1 for o in outcomes if isinstance(o, asyncio.CancelledError)) != n:
        fail("not every task was cancelled")
    return (after - before) / n


# 5. lock

WORKERS = 100


async def lock(n):
    iterations = max(1, round(n / WORKERS))
    state = {"counter": 0, "inside": 0, "most": 0}
    the_lock = asyncio.Lock()

    async def worker():
        for _ in range(iterations):
            async with the_lock:
                state["inside"] += 1
                state["most"] = max(state["most"], state["inside"])
                seen = state["counter"]
                await asyncio.sleep(0)
                state["counter"] = seen + 1
                state["inside"] -= 1

    await asyncio.gather(*(worker() for _ in range(WORKERS)))
    if state["most"] != 1:
        fail(f"{state['most']} holders inside the lock at once")
    if state["counter"] != iterations * WORKERS:
        fail(f"counter {state['counter']}, expected {iterations * WORKERS}")


# 6. map

CONCURRENCY = 10


async def limited_map(n):
    semaphore = asyncio.Semaphore(CONCURRENCY)
    state = {"running": 0, "most": 0}

    async def double(x):
        async with semaphore:
            state["running"] += 1
            state["most"] = max(state["most"], state["running"])
            try:
                await asyncio.sleep(0)
                return x * 2
            finally:
                state["running"] -= 1

    results = await asyncio.gather(*(double(x) for x in range(n)))
    check_in_order(results, n, 2)
    if state["most"] > CONCURRENCY:
        fail(f"{state['most']} calls at once, limit {CONCURRENCY}")


# 7. queue

MAXSIZE = 100


async def queue(n):
    q = asyncio.Queue(MAXSIZE)
    seen = [0]

    async def producer():
        for i in range(n):
            await q.put(i)

    async def consumer():
        for _ in range(n):
            item = await q.get()
            if item != seen[0]:
                fail(f"consumer got {item}, expected {seen[0]}")
            seen[0] += 1

    await asyncio.gather(producer(), consumer())
    if seen[0] != n:
        fail(f"consumer saw {seen[0]} items, expected {n}")


# 8. timeouts

LIMIT_S = 60.0


async def timeouts(n):
    total = 0
    for i in range(n):
        async with asyncio.timeout(LIMIT_S):
            total += await work(i)
    if total != n * (n - 1) // 2:
        fail(f"results add up to {total}")


SCENARIOS = {
    "spawn": [("Python asyncio.gather", spawn_gather), ("Python asyncio.TaskGroup", spawn_taskgroup)],
    "sleep": [("Python asyncio.sleep + gather", sleeps)],
    "cancel": [("Python task.cancel + gather", cancel)],
    "memory": [("Python asyncio.create_task + sleep", memory)],
    "lock": [("Python asyncio.Lock", lock)],
    "map": [("Python asyncio.Semaphore + gather", limited_map)],
    "queue": [("Python asyncio.Queue", queue)],
    "timeouts": [("Python asyncio.timeout", timeouts)],
}


async def one(fn, n):
    gc.collect()
    started = time.perf_counter()
    own = await fn(n)
    return own if own is not None else (time.perf_counter() - started) * 1000


def measure(contenders, n, warmup, rounds, min_samples, budget_ms):
    """Warm-up rounds, then measured rounds in rotating order, each in a fresh event loop."""
    samples = {name: [] for name, _ in contenders}
    spent = {name: 0.0 for name, _ in contenders}
    for round_ in range(warmup + rounds):
        measured = round_ >= warmup
        for k in range(len(contenders)):
            name, fn = contenders[(round_ + k) % len(contenders)]
            if measured and len(samples[name]) >= min_samples and spent[name] > budget_ms:
                continue
            started = time.perf_counter()
            value = asyncio.run(one(fn, n))
            if measured:
                spent[name] += (time.perf_counter() - started) * 1000
                samples[name].append(value)
    return [{"name": name, "n": n, "samples": samples[name]} for name, _ in contenders]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--min-samples", type=int, default=3)
    parser.add_argument("--budget", type=float, default=5000)
    args = parser.parse_args()
    measured = measure(
        SCENARIOS[args.scenario], args.n, args.warmup, args.rounds, args.min_samples, args.budget
    )
    print(json.dumps({"python": sys.version.split()[0], "measured": measured}))


if __name__ == "__main__":
    main()
