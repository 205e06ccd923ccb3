"""Items per second from producer processes to consumer processes: shmq against the queues of
Python's multiprocessing, measured side by side in one run.

    PYTHONPATH=build/python python3 bench/python/throughput.py [--items N] [--runs R]

Each row moves N items of a size from P producer processes to C consumer processes (fork) and
prints the median rate of R runs, and its ratio to multiprocessing.Queue's in the same run.
The clock starts when every process is attached and ready, and stops when every consumer has
received its share; each consumer counts what it got, and the total must be N. shmq one by
one is put / get; batches put_many / get_many of 256 (bytes out); zero-copy put_many / take of
256, each item a memoryview of its slot, made and let go (the bytes not copied out).
"""

import argparse
import multiprocessing as mp
import os
import queue
import statistics
import sys
import time

import shmq

BATCH = 256  # items per put_many / get_many, and per send for the batched baselines


def run_shmq_producer(name, count, size, way, ready):
    with shmq.Producer(name) as producer:
        ready.wait()
        item = b"x" * size
        if way != "one by one":
            for start in range(0, count, BATCH):
                producer.put_many([item] * min(BATCH, count - start))
        else:
            for _ in range(count):
                producer.put(item)


def run_shmq_consumer(name, producers, way, ready, received):
    with shmq.Consumer(name, expect_producers=producers) as consumer:
        ready.wait()
        got = 0
        if way == "batches":
            try:
                while True:
                    got += len(consumer.get_many(BATCH))
            except shmq.EndOfStream:
                pass
        elif way == "zero-copy":  # each item a memoryview of its slot, made and let go
            try:
                while True:
                    with consumer.take(BATCH) as batch:
                        got += sum(1 for _ in batch)
            except shmq.EndOfStream:
                pass
        else:
            for _ in consumer:
                got += 1
        received.put(got)


def run_mp_producer(channel, count, size, consumers, ready, send):
    ready.wait()
    item = b"x" * size
    for _ in range(count):
        send(channel, item)


def run_mp_consumer(channel, ready, received, receive):
    ready.wait()
    got = 0
    while receive(channel) is not None:
        got += 1
    received.put(got)


class LockedPipe:
    """A pipe shared by several writers and readers, each side under its lock (what
    SimpleQueue is, without pickle)."""

    def __init__(self):
        self.reader, self.writer = mp.Pipe(duplex=False)
        self.read_lock, self.write_lock = mp.Lock(), mp.Lock()


def pipe_send(pipe, item):
    with pipe.write_lock:
        pipe.writer.send_bytes(item if item is not None else b"")


def pipe_receive(pipe):
    with pipe.read_lock:
        item = pipe.reader.recv_bytes()
    return item or None


BASELINES = {
    "multiprocessing.Queue": (mp.Queue, lambda q, item: q.put(item), lambda q: q.get()),
    "multiprocessing.SimpleQueue": (mp.SimpleQueue, lambda q, item: q.put(item),
                                    lambda q: q.get()),
    "multiprocessing.Pipe (bytes)": (LockedPipe, pipe_send, pipe_receive),
}


def counts(received, consumers, processes):
    """What each consumer reports it received; stops the run if a process fails first."""
    reports = []
    while len(reports) < consumers:
        try:
            reports.append(received.get(timeout=0.1))
        except queue.Empty:
            failed = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
            if failed:
                for process in processes:
                    process.kill()
                sys.exit(f"bench: a process failed (exit {failed[0]})")
    return sum(reports)


def one_run(kind, producers, consumers, items, size):
    ready = mp.Barrier(producers + consumers + 1)
    received = mp.Queue()
    share = items // producers
    if kind.startswith("shmq"):
        name = f"shmq-pybench-{os.getpid()}"
        way = kind.split(" ", 1)[1].split(" (")[0]
        processes = [mp.Process(target=run_shmq_producer, args=(name, share, size, way, ready))
                     for _ in range(producers)]
        processes += [mp.Process(target=run_shmq_consumer,
                                 args=(name, producers, way, ready, received))
                      for _ in range(consumers)]
        try:
            for process in processes:
                process.start()
            ready.wait()
            start = time.perf_counter()
            total = counts(received, consumers, processes)
            elapsed = time.perf_counter() - start
            for process in processes:
                process.join()
        finally:
            shmq.remove_queue(name, force=True)
    else:
        make, send, receive = BASELINES[kind]
        channel = make()
        processes = [mp.Process(target=run_mp_producer,
                                args=(channel, share, size, consumers, ready, send))
                     for _ in range(producers)]
        processes += [mp.Process(target=run_mp_consumer, args=(channel, ready, received, receive))
                      for _ in range(consumers)]
        for process in processes:
            process.start()
        ready.wait()
        start = time.perf_counter()
        for process in processes[:producers]:
            process.join()
        for _ in range(consumers):
            send(channel, None)  # one end marker per consumer, after every item
        total = counts(received, consumers, processes)
        elapsed = time.perf_counter() - start
        for process in processes[producers:]:
            process.join()
    if total != share * producers:
        sys.exit(f"bench: {kind} delivered {total} of {share * producers} items")
    return total / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=200_000, help="items per row and run")
    parser.add_argument("--runs", type=int, default=3, help="runs per row (the median is shown)")
    parser.add_argument("--sizes", default="64,1024", help="item sizes in bytes")
    args = parser.parse_args()
    mp.set_start_method("fork")
    kinds = ["shmq one by one", "shmq batches", "shmq zero-copy (take)", *BASELINES]
    print(f"# {os.cpu_count()} cpus, Python {sys.version.split()[0]}, {args.items} items per run, "
          f"median of {args.runs}")
    print(f"{'processes':<10} {'size':>5}  {'queue':<30} {'items/s':>12} {'x mp.Queue':>10}")
    for producers, consumers in ((1, 1), (2, 2)):
        for size in (int(s) for s in args.sizes.split(",")):
            rates = {}
            for _ in range(args.runs):  # interleaved, so that a noisy moment hits every row
                for kind in kinds:
                    rates.setdefault(kind, []).append(
                        one_run(kind, producers, consumers, args.items, size))
            base = statistics.median(rates["multiprocessing.Queue"])
            for kind in kinds:
                rate = statistics.median(rates[kind])
                print(f"{producers}x{consumers:<8} {size:>5}  {kind:<30} {rate:>12,.0f} "
                      f"{rate / base:>10.1f}", flush=True)


if __name__ == "__main__":
    main()
