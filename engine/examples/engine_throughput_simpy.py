#!/usr/bin/env python3
"""The engine_throughput workloads on SimPy, for a side-by-side comparison.

    python3 engine/examples/engine_throughput_simpy.py timeouts|queues|mm1

Same models as engine_throughput.rs (1 ns = 1000 time units, as the Rust engine counts
picoseconds); prints the wall time. Needs `pip install simpy`.
"""
import math
import sys
import time

import simpy


def timeouts(env):
    def sleeper(env):
        for _ in range(1000):
            yield env.timeout(1000)

    for _ in range(1000):
        env.process(sleeper(env))


def queues(env):
    def producer(env, store):
        for i in range(2000):
            yield store.put(i)

    def consumer(env, store):
        for _ in range(2000):
            yield store.get()
            yield env.timeout(1000)

    for _ in range(100):
        store = simpy.Store(env, capacity=1)
        env.process(producer(env, store))
        env.process(consumer(env, store))


class Rng:
    """xorshift64*, as in engine_throughput.rs, so both draw the same variates."""

    def __init__(self, seed):
        self.state = seed

    def next_f64(self):
        x = self.state
        x ^= x >> 12
        x ^= (x << 25) & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 27
        self.state = x
        out = (x * 0x2545F4914F6CDD1D) & 0xFFFFFFFFFFFFFFFF
        return ((out >> 11) + 1) / float(1 << 53)

    def exponential(self, mean):
        return int(-math.log(self.next_f64()) * mean)


def mm1(env):
    customers = 1_000_000
    line = simpy.Store(env)

    def arrivals(env):
        rng = Rng(0x9E3779B97F4A7C15)
        for _ in range(customers):
            yield env.timeout(rng.exponential(1e6))
            yield line.put(env.now)

    def server(env):
        rng = Rng(0xD1B54A32D192ED03)
        for _ in range(customers):
            yield line.get()
            yield env.timeout(rng.exponential(0.9e6))

    env.process(arrivals(env))
    env.process(server(env))


def main():
    workloads = {"timeouts": timeouts, "queues": queues, "mm1": mm1}
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name not in workloads:
        print("usage: engine_throughput_simpy.py timeouts|queues|mm1", file=sys.stderr)
        return 2
    start = time.perf_counter()
    env = simpy.Environment()
    workloads[name](env)
    env.run()
    wall = time.perf_counter() - start
    print(f"{name}: simpy completed at {env.now} ps; wall {wall:.4f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
