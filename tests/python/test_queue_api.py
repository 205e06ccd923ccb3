"""shmq's queue.Queue vocabulary in one process: every method, its exceptions and their
boundaries."""

import os
import pickle
import queue
import threading

import pytest

import shmq


@pytest.fixture
def pair(queue_name):
    producer = shmq.Producer(queue_name, capacity=8, slot_size=64)
    consumer = shmq.Consumer(queue_name)
    yield producer, consumer
    producer.close()
    consumer.close()


def test_put_then_get_returns_the_same_bytes_in_order(pair):
    producer, consumer = pair
    producer.put(b"one")
    producer.put(bytearray(b"two"))
    producer.put(memoryview(b"three"))
    producer.put(b"")
    assert [consumer.get() for _ in range(4)] == [b"one", b"two", b"three", b""]


def test_a_str_is_no_item(pair):
    producer, _ = pair
    with pytest.raises(TypeError):
        producer.put("text")


def test_full_and_empty_where_queue_queue_raises_them(pair):
    producer, consumer = pair
    with pytest.raises(queue.Empty):
        consumer.get_nowait()
    with pytest.raises(queue.Empty):
        consumer.get(block=False)
    with pytest.raises(queue.Empty):
        consumer.get(timeout=0.01)
    for i in range(producer.capacity):
        producer.put_nowait(b"%d" % i)
    assert producer.full() and consumer.full() and producer.qsize() == 8
    with pytest.raises(queue.Full):
        producer.put_nowait(b"more")
    with pytest.raises(queue.Full):
        producer.put(b"more", timeout=0.01)
    with pytest.raises(queue.Full):
        producer.put(b"more", block=False, timeout=5)
    assert consumer.get() == b"0"
    producer.put(b"fits again", timeout=0.01)
    assert consumer.qsize() == 8


def test_a_negative_timeout_is_a_value_error(pair):
    producer, consumer = pair
    with pytest.raises(ValueError):
        producer.put(b"x", timeout=-1)
    with pytest.raises(ValueError):
        consumer.get(timeout=-0.5)


def test_empty_and_qsize_follow_the_queue(pair):
    producer, consumer = pair
    assert consumer.empty() and producer.qsize() == 0
    producer.put(b"x")
    assert not consumer.empty() and consumer.qsize() == 1


def test_items_larger_than_a_slot_arrive_whole(pair):
    producer, consumer = pair
    assert producer.max_message_size == 2 * 64  # a quarter of 8 slots of 64 bytes
    item = bytes(range(128))
    producer.put(item)
    assert consumer.get() == item


def test_an_item_larger_than_the_queue_carries_is_rejected_and_nothing_is_put(pair):
    producer, consumer = pair
    with pytest.raises(shmq.Rejected) as raised:
        producer.put(b"x" * 129)
    assert raised.value.exit_code == 6 and isinstance(raised.value, ValueError)
    assert "129 bytes" in str(raised.value)
    assert consumer.qsize() == 0


def test_put_many_and_get_many_keep_order_and_pack_small_items(pair):
    producer, consumer = pair
    items = [b"item %d" % i for i in range(30)]
    producer.put_many(items)
    assert producer.qsize() < 8  # packed several to a slot
    got = []
    while len(got) < 30:
        got += consumer.get_many()
    assert got == items


def test_put_many_mixes_packed_and_fragmented_items(pair):
    producer, consumer = pair
    items = [b"a", b"b" * 100, b"c", b"d" * 64, b"e"]
    producer.put_many(items)
    got = []
    while len(got) < len(items):
        got += consumer.get_many(2)
    assert got == items


def test_put_many_that_cannot_put_everything_says_how_many_it_put(pair):
    producer, consumer = pair
    with pytest.raises(queue.Full) as raised:
        producer.put_many([b"x" * 60] * 20, block=False)
    assert raised.value.accepted == 8
    assert len(consumer.get_many()) == 8
    with pytest.raises(queue.Full) as raised:
        producer.put_many([b"y" * 60] * 9, timeout=0.01)
    assert raised.value.accepted == 8


def test_get_many_raises_empty_like_get(pair):
    _, consumer = pair
    with pytest.raises(queue.Empty):
        consumer.get_many(block=False)
    with pytest.raises(queue.Empty):
        consumer.get_many(timeout=0.01)
    with pytest.raises(ValueError):
        consumer.get_many(0)


def test_a_serializer_carries_python_objects(queue_name):
    with shmq.Producer(queue_name, serializer=pickle) as producer, \
            shmq.Consumer(queue_name, serializer=pickle) as consumer:
        producer.put({"n": 1, "items": [1, 2.5, "three"]})
        producer.put_many([(1, 2), None])
        assert consumer.get() == {"n": 1, "items": [1, 2.5, "three"]}
        assert consumer.get_many() == [(1, 2), None]
    with pytest.raises(TypeError):
        shmq.Producer(queue_name, serializer=object())


def test_end_of_stream_once_the_producer_closes_and_the_queue_drains(queue_name):
    consumer = shmq.Consumer(queue_name)
    with shmq.Producer(queue_name) as producer:
        producer.put_many([b"1", b"2", b"3"])
    assert producer.closed
    assert list(consumer) == [b"1", b"2", b"3"]
    with pytest.raises(shmq.EndOfStream) as raised:
        consumer.get()
    assert raised.value.exit_code == 0
    with pytest.raises(shmq.EndOfStream):
        consumer.get_nowait()
    with pytest.raises(shmq.EndOfStream):
        consumer.get_many()
    consumer.close()


def test_a_closed_handle_raises_usage_error(queue_name):
    producer = shmq.Producer(queue_name)
    producer.close()
    producer.close()  # idempotent
    with pytest.raises(shmq.UsageError, match="closed Producer"):
        producer.put(b"x")
    with pytest.raises(shmq.UsageError):
        producer.qsize()


def test_opening_errors_carry_their_category(queue_name):
    with pytest.raises(shmq.QueueInvalid) as raised:
        shmq.Consumer(queue_name, create=False)
    assert raised.value.code == "not_found" and raised.value.exit_code == 3
    with pytest.raises(shmq.UsageError) as raised:
        shmq.Producer("bad/name")
    assert raised.value.exit_code == 2
    with shmq.Producer(queue_name, capacity=8):
        with pytest.raises(shmq.QueueInvalid) as raised:
            shmq.Consumer(queue_name, capacity=16)
        assert raised.value.code == "geometry_mismatch"
    with pytest.raises(TypeError, match="unexpected keyword argument 'capacityy'"):
        shmq.Producer(queue_name, capacityy=8)
    with pytest.raises(ValueError):
        shmq.Producer(queue_name, producers="many")
    with pytest.raises(ValueError):
        shmq.Producer(queue_name, wait="sometimes")
    with pytest.raises(shmq.UsageError):
        shmq.Producer(queue_name + "-zero", capacity=0)


def test_single_modes_refuse_a_second_attacher(queue_name):
    with shmq.Producer(queue_name, producers="single", consumers="single") as producer:
        assert not producer.multi_producer and not producer.multi_consumer
        with pytest.raises(shmq.QueueInvalid) as raised:
            shmq.Producer(queue_name)
        assert raised.value.code == "role_taken"


def test_join_returns_once_consumers_received_everything(pair):
    producer, consumer = pair
    producer.put_many([b"a", b"b"])
    with pytest.raises(shmq.Timeout) as raised:
        producer.join(timeout=0.01)
    assert raised.value.exit_code == 4 and isinstance(raised.value, TimeoutError)
    consumer.get_many()
    producer.join(timeout=5)
    producer.join()


def test_remove_queue_and_list_queues_as_the_tool(queue_name):
    producer = shmq.Producer(queue_name)
    assert queue_name in shmq.list_queues()
    with pytest.raises(shmq.InUse) as raised:
        shmq.remove_queue(queue_name)
    assert raised.value.exit_code == 7
    producer.close()
    assert shmq.remove_queue(queue_name) is True
    assert queue_name not in shmq.list_queues()
    assert shmq.remove_queue(queue_name) is False


def test_a_zero_copy_batch_refuses_release_while_its_views_live(pair):
    producer, consumer = pair
    producer.put_many([b"abc", b"defg"])
    batch = consumer.take()
    assert [bytes(view) for view in batch] == [b"abc", b"defg"]
    view = batch[1]
    assert view.readonly and view.tobytes() == b"defg" and batch[-1] == b"defg"
    with pytest.raises(IndexError):
        batch[2]
    with pytest.raises(BufferError):
        batch.release()
    with pytest.raises(BufferError):
        consumer.get_nowait()  # would release the batch
    with pytest.raises(BufferError):
        consumer.close()
    view.release()
    assert batch.still_held()
    batch.release()
    with pytest.raises(ValueError):
        batch[0]
    assert len(batch) == 0
    producer.put(b"z")
    with consumer.take() as second:
        assert bytes(second[0]) == b"z"
    with pytest.raises(ValueError):
        second[0]


def test_the_next_read_releases_a_batch_whose_views_are_gone(pair):
    producer, consumer = pair
    producer.put_many([b"1", b"2"])
    batch = consumer.take()
    assert bytes(batch[0]) == b"1"
    producer.put(b"3")
    assert consumer.get() == b"3"
    assert len(batch) == 0


def test_one_handle_is_used_by_one_thread_at_a_time(pair):
    _, consumer = pair
    done = threading.Event()
    errors = []

    def wait_in_get():
        try:
            consumer.get(timeout=30)
        except Exception as error:  # noqa: BLE001 - reported to the main thread
            errors.append(error)
        done.set()

    waiter = threading.Thread(target=wait_in_get)
    waiter.start()
    raised = None
    while raised is None and not done.is_set():
        try:
            consumer.qsize()
        except shmq.UsageError as error:
            raised = error
    shmq.Producer(consumer.name).put(b"wake")
    waiter.join(timeout=30)
    assert raised is not None and "another thread" in str(raised)
    assert not errors


def test_a_blocked_get_releases_the_gil(pair):
    producer, consumer = pair
    got = []
    waiter = threading.Thread(target=lambda: got.append(consumer.get(timeout=30)))
    waiter.start()
    producer.put(b"from the main thread")  # runs while the other thread waits in get()
    waiter.join(timeout=30)
    assert got == [b"from the main thread"]


def test_help_explains_the_classes():
    assert "queue.Queue" in shmq.Producer.__doc__ and "serializer" in shmq.Producer.__doc__
    assert "end of stream" in shmq.Consumer.__doc__
    assert "queue.Full" in shmq.Producer.put.__doc__
    assert "BufferError" in shmq.Batch.__doc__
    assert issubclass(shmq.QueueInvalid, shmq.Error) and shmq.QueueInvalid.__module__ == "shmq"


def test_repr_names_the_queue(pair):
    producer, _ = pair
    assert repr(producer).startswith(f"shmq.Producer('{producer.name}', capacity=8")


def test_the_exporter_behind_a_view_cannot_be_made_from_python(pair):
    producer, consumer = pair
    producer.put(b"x")
    with consumer.take() as batch:
        view = batch[0]
        with pytest.raises(TypeError):
            type(view.obj)()  # it would point nowhere (it crashed before)
        view.release()


class Picky:
    """A serializer that cannot load the string "bad"."""

    @staticmethod
    def dumps(obj):
        return pickle.dumps(obj)

    @staticmethod
    def loads(data):
        obj = pickle.loads(data)
        if obj == "bad":
            raise ValueError("cannot load this one")
        return obj


def test_an_item_the_serializer_cannot_load_is_the_only_one_lost(queue_name):
    with shmq.Producer(queue_name, serializer=Picky) as producer, \
            shmq.Consumer(queue_name, serializer=Picky) as consumer:
        producer.put_many([1, "bad", 2, 3])
        assert consumer.get_many() == [1]  # it lost 1, 2 and 3 with "bad" before
        with pytest.raises(ValueError):
            consumer.get_many()
        assert consumer.get_many() == [2, 3]
        producer.put_many(["bad", 4])
        with pytest.raises(ValueError):
            consumer.get()
        assert consumer.get() == 4


def test_the_exit_hook_closes_a_consumer_whose_views_live_and_keeps_them_readable(pair):
    producer, consumer = pair
    producer.put(b"still here")
    batch = consumer.take()
    view = batch[0]
    consumer._close_if_ours()  # what a process's exit does (it unmapped the slots before)
    assert consumer.closed
    assert bytes(view) == b"still here"
    with pytest.raises(ValueError):
        batch[0]
    view.release()


def test_remove_queue_never_removes_a_file_that_is_no_queue(queue_name):
    path = f"/dev/shm/{queue_name}"
    with open(path, "wb") as other_program:
        other_program.write(os.urandom(100_000))  # what another program squatting the name has
    os.chmod(path, 0o600)
    for force in (False, True):  # force=True removed it before
        with pytest.raises(shmq.QueueInvalid):
            shmq.remove_queue(queue_name, force=force)
    assert os.path.exists(path)
    os.unlink(path)
