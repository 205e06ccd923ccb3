"""The documents' producer-consumer pipeline, with the producer and the consumer in separate
processes and a shmq queue of 10 slots between them (queue.Queue(maxsize=10) in the original).

    PYTHONPATH=build/python python3 examples/python/pipeline.py [--seconds 0.1]

The producer "gets a number from the network" until the main process sets an Event, then
closes its end; the consumer "stores" every number until end of stream, so nothing the
producer got is lost. Both log what they do, as the documents' threads did.
"""

import argparse
import logging
import multiprocessing
import os
import random

import shmq

FORMAT = "%(asctime)s: %(processName)s: %(message)s"


def producer(name, event):
    """Pretend we're getting a number from the network."""
    logging.basicConfig(format=FORMAT, level=logging.INFO, datefmt="%H:%M:%S")
    with shmq.Producer(name) as pipeline:
        while not event.is_set():
            message = random.randint(1, 101)
            logging.info("Producer got message: %s", message)
            pipeline.put(str(message).encode())
    logging.info("Producer received EXIT event. Exiting")


def consumer(name):
    """Pretend we're saving a number in the database."""
    logging.basicConfig(format=FORMAT, level=logging.INFO, datefmt="%H:%M:%S")
    with shmq.Consumer(name) as pipeline:
        for message in pipeline:  # ends at end of stream: the producer left, the queue drained
            logging.info("Consumer storing message: %s (queue size=%s)", int(message),
                         pipeline.qsize())
    logging.info("Consumer received end of stream. Exiting")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=0.1, help="how long the producer runs")
    parser.add_argument("--queue", default=f"pipeline-{os.getpid()}", help="the queue's name")
    args = parser.parse_args()
    logging.basicConfig(format=FORMAT, level=logging.INFO, datefmt="%H:%M:%S")

    # Created here, before either process starts: neither can miss the other.
    shmq.Producer(args.queue, capacity=10, slot_size=64).close()
    event = multiprocessing.Event()
    processes = [multiprocessing.Process(target=producer, args=(args.queue, event),
                                         name="producer"),
                 multiprocessing.Process(target=consumer, args=(args.queue,), name="consumer")]
    try:
        for process in processes:
            process.start()
        event.wait(args.seconds)
        logging.info("Main: about to set event")
        event.set()
        for process in processes:
            process.join()
    finally:
        shmq.remove_queue(args.queue, force=True)
    return max(process.exitcode for process in processes)


if __name__ == "__main__":
    raise SystemExit(main())
