"""shmq across processes: Ctrl-C, fork, multiprocessing children (spawn and fork), two
producers and two consumers exactly once, and a killed consumer's items delivered again."""

import collections
import multiprocessing
import os
import pathlib
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

import shmq
from conftest import read_line, run_python, start_python

LIMIT = 60  # seconds any child may take


def finish(processes):
    """Joins multiprocessing children, bounded; kills what overran and fails the test."""
    for process in processes:
        process.join(LIMIT)
    overran = [p for p in processes if p.is_alive()]
    for process in overran:
        process.kill()
        process.join()
    assert not overran, "a child overran its time"
    assert [p.exitcode for p in processes] == [0] * len(processes)


def interrupted(code, queue_name, first_line):
    """Runs `code` in a child that prints `first_line` once it is about to block, sends it
    SIGINT while it waits, and returns the rest of what it printed."""
    child = start_python(code, queue_name)
    try:
        assert read_line(child) == first_line
        time.sleep(0.2)  # let it go to sleep; an earlier signal is caught all the same
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=LIMIT)
    finally:
        child.kill()
    assert child.returncode == 0, err
    return out.split()


def test_ctrl_c_interrupts_a_blocking_get_and_leaves_the_queue_usable(queue_name):
    assert interrupted("""
import sys, shmq
consumer = shmq.Consumer(sys.argv[1])
print("waiting", flush=True)
try:
    consumer.get()
except KeyboardInterrupt:
    print("interrupted", flush=True)
with shmq.Producer(sys.argv[1]) as producer:
    producer.put(b"after")
print(consumer.get(timeout=10).decode(), flush=True)
""", queue_name, "waiting\n") == ["interrupted", "after"]


def test_ctrl_c_interrupts_a_blocking_put_with_nothing_put(queue_name):
    assert interrupted("""
import sys, shmq
producer = shmq.Producer(sys.argv[1], capacity=4, slot_size=64)
producer.put_many([b"x"] * 4 * 12)  # every slot full: 12 packed in each
print("full", producer.qsize(), flush=True)
try:
    producer.put(b"y" * 64)
except KeyboardInterrupt:
    print("interrupted", producer.qsize(), flush=True)
""", queue_name, "full 4\n") == ["interrupted", "4"]


def test_a_handle_inherited_across_fork_raises_in_the_child(queue_name):
    producer = shmq.Producer(queue_name)
    pid = os.fork()
    if pid == 0:  # the child: report through the exit code only
        code = 1
        try:
            producer.put(b"from the child")
        except shmq.UsageError as error:
            code = 0 if "inherited across fork" in str(error) else 2
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    producer.put(b"from the parent")  # the parent's handle is untouched
    with shmq.Consumer(queue_name) as consumer:
        assert consumer.get_nowait() == b"from the parent"
    producer.close()


def put_items(producer, first, count):
    """Puts first .. first + count: by put_many, ten at a time, and the last by put."""
    for i in range(first, first + count, 10):
        producer.put_many([b"%d" % n for n in range(i, min(i + 10, first + count))])
    producer.put(b"%d" % (first + count))  # one by put, too


def get_items(consumer, results):
    results.put([int(item) for item in consumer])


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_a_handle_passed_to_a_multiprocessing_child_attaches_there(queue_name, start_method):
    context = multiprocessing.get_context(start_method)
    producer = shmq.Producer(queue_name, capacity=64)
    consumer = shmq.Consumer(queue_name)
    results = context.Queue()
    children = [context.Process(target=put_items, args=(producer, 0, 99)),
                context.Process(target=get_items, args=(consumer, results))]
    for child in children:
        child.start()
    finish(children[:1])
    producer.close()  # the last producer: the stream ends once the queue drains
    got = results.get(timeout=LIMIT)
    finish(children[1:])
    assert sorted(got) == list(range(100))
    consumer.close()


def test_two_producers_and_two_consumers_deliver_every_item_exactly_once(queue_name):
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    # The parent's handles stay open until the children are done: closed earlier, the last
    # producer to leave could end the stream before the children's own attachments begin.
    producers = [shmq.Producer(queue_name, capacity=32) for _ in range(2)]  # a small ring wraps
    consumers = [shmq.Consumer(queue_name, expect_producers=2) for _ in range(2)]
    children = [context.Process(target=get_items, args=(consumer, results))
                for consumer in consumers]
    children += [context.Process(target=put_items, args=(producer, n, 4999))
                 for producer, n in zip(producers, (0, 5000))]
    for child in children:
        child.start()
    finish(children[2:])
    for handle in producers:
        handle.close()
    got = results.get(timeout=LIMIT) + results.get(timeout=LIMIT)
    finish(children[:2])
    counts = collections.Counter(got)
    assert sorted(counts) == list(range(10000))
    assert set(counts.values()) == {1}


def test_a_killed_consumers_items_go_to_another(queue_name):
    with shmq.Producer(queue_name, capacity=16) as producer:
        producer.put_many([b"%d" % i for i in range(40)])
        holder = start_python("""
import sys, time, shmq
consumer = shmq.Consumer(sys.argv[1])
batch = consumer.take()
print(len(batch), flush=True)
time.sleep(60)
""", queue_name)
        try:
            held = int(read_line(holder))
            assert held > 0
            os.kill(holder.pid, signal.SIGKILL)  # the interpreter itself: no wrapper between
            holder.wait(timeout=LIMIT)
        finally:
            holder.kill()
    with shmq.Consumer(queue_name) as consumer:
        got = [int(item) for item in consumer]
    assert got == list(range(40))


def test_a_child_that_exits_through_multiprocessing_closes_its_handles(queue_name, bin_dir):
    context = multiprocessing.get_context("fork")
    with shmq.Producer(queue_name) as producer, shmq.Consumer(queue_name) as consumer:
        child = context.Process(target=put_items, args=(producer, 0, 9))
        child.start()
        finish([child])  # it left through os._exit, which runs no destructor
        check = subprocess.run([bin_dir / "shmq", "check", queue_name], capture_output=True,
                               text=True, timeout=LIMIT)
        assert check.returncode == 0, check.stdout + check.stderr  # no dead process attached
        got = consumer.get_many(timeout=LIMIT)
        while len(got) < 10:
            got += consumer.get_many(timeout=LIMIT)
        assert got == [b"%d" % i for i in range(10)]


def test_pickling_a_handle_outside_multiprocessing_attaches_again(queue_name):
    result = run_python("""
import pickle, sys, shmq
producer = shmq.Producer(sys.argv[1], capacity=16, note="pickled")
copy = pickle.loads(pickle.dumps(producer))
print(copy.capacity, copy.name == producer.name)
""", queue_name)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["16", "True"]


def test_the_pipeline_example_stores_every_number_it_got(queue_name):
    example = pathlib.Path(__file__).parents[2] / "examples" / "python" / "pipeline.py"
    result = subprocess.run([sys.executable, example, "--seconds", "0.2", "--queue", queue_name],
                            capture_output=True, text=True, timeout=LIMIT,
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert result.returncode == 0, result.stderr
    got = re.findall(r"Producer got message: (\d+)", result.stderr)
    stored = re.findall(r"Consumer storing message: (\d+) \(queue size=\d+\)", result.stderr)
    assert got and stored == got
    assert "Consumer received end of stream" in result.stderr


def read_inherited_view(consumer, view, results):
    results.put((consumer.qsize(), bytes(view)))  # qsize() attaches again, here


def test_a_view_inherited_by_a_multiprocessing_child_stays_readable(queue_name):
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    with shmq.Producer(queue_name) as producer, shmq.Consumer(queue_name) as consumer:
        producer.put(b"hello")
        batch = consumer.take()
        view = batch[0]
        child = context.Process(target=read_inherited_view, args=(consumer, view, results))
        child.start()
        finish([child])  # it died of SIGSEGV before: attaching again unmapped the view
        assert results.get(timeout=LIMIT) == (0, b"hello")
        view.release()
        batch.release()


def fail_to_attach_again(consumer, results):
    for call in (consumer.get_nowait, consumer.get_many):
        try:
            call()
        except Exception as error:  # noqa: BLE001 - its class is the result
            results.put(type(error).__name__)


def test_a_fast_method_raises_the_library_error_as_its_class(queue_name):
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    shmq.Producer(queue_name).close()
    consumer = shmq.Consumer(queue_name, create=False)
    shmq.remove_queue(queue_name, force=True)  # the child's attaching again finds no queue
    child = context.Process(target=fail_to_attach_again, args=(consumer, results))
    child.start()
    finish([child])
    # get_nowait (a fast-call method) raised RuntimeError before
    assert [results.get(timeout=LIMIT) for _ in range(2)] == ["QueueInvalid", "QueueInvalid"]
    consumer.close()


def use_inherited_handle(consumer, results):
    try:
        consumer.get(timeout=0.01)
    except Exception as error:  # noqa: BLE001 - its class is the result
        results.put(type(error).__name__)


def test_a_child_forked_while_a_thread_waits_in_the_handle_can_use_its_copy(queue_name):
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    with shmq.Producer(queue_name) as producer, shmq.Consumer(queue_name) as consumer:
        waiter = threading.Thread(target=lambda: consumer.get(timeout=LIMIT))
        waiter.start()
        while True:  # until the thread is inside get()
            try:
                consumer.qsize()
            except shmq.UsageError:
                break
        child = context.Process(target=use_inherited_handle, args=(consumer, results))
        child.start()
        finish([child])
        producer.put(b"wake")
        waiter.join(timeout=LIMIT)
    assert results.get(timeout=LIMIT) == "Empty"  # "in use by another thread" before
