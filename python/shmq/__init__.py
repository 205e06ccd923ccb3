"""shmq: a bounded queue between processes on one host, in named shared memory.

The producer-consumer pattern of queue.Queue, across processes: a Producer puts bytes into a
named queue, any number of Consumers (in other processes, or the shmq C++ programs) get them,
each item exactly once. "Accepted" means "will be delivered": once put() returns, the item is
in shared memory and survives the producer's death; a consumer killed while holding items has
them delivered to another.

    with shmq.Producer("jobs") as jobs:          # creates the queue if needed
        jobs.put(b"work item")
    for item in shmq.Consumer("jobs"):           # ends at end of stream
        print(item)

Errors raise subclasses of shmq.Error (see its help); put/get that cannot go on raise
queue.Full and queue.Empty exactly where queue.Queue does.
"""

import importlib
import multiprocessing.util
import types
import weakref

from ._errors import (EndOfStream, Error, Failure, InUse, QueueInvalid, Rejected, Timeout,
                      UsageError)
from . import _shmq
from ._shmq import (DEFAULT_CAPACITY, DEFAULT_SLOT_SIZE, Batch, __version__, list_queues,
                    remove_queue)

__all__ = ["Producer", "Consumer", "Batch", "remove_queue", "list_queues", "Error", "Failure",
           "UsageError", "QueueInvalid", "Timeout", "Rejected", "InUse", "EndOfStream",
           "DEFAULT_CAPACITY", "DEFAULT_SLOT_SIZE", "__version__"]

_QUEUE_KEYWORDS = """
        capacity        slots in the ring, when creating (default 1024); must match if given
        slot_size       payload bytes per slot, when creating (default 1024); must match if given
        producers       "multi" (any number may attach; the default when creating) or "single"
        consumers       the same for consumers ("single": a second one is refused)
        create          False: attach only to an existing queue (QueueInvalid if there is none)
        mode            permission bits of a queue we create, and the most an existing one may
                        grant (default 0o600)
        allow_owner     also accept a queue created by this uid
        wait            "block" (poll up to 200 us, then sleep in the kernel) or "spin"
        ready_timeout   seconds to wait for a creator still initialising the queue (default 2)
        note            what `shmq stat` shows beside this process (at most 128 bytes)
        serializer      an object with dumps() and loads(), e.g. the pickle module: put()
                        takes any object it dumps and get() returns what it loads
"""

# Handles attached in this process, closed when it leaves through multiprocessing's exit path
# (a multiprocessing child ends with os._exit, which runs no destructor).
_open_handles = weakref.WeakSet()


def _close_own_handles():
    for handle in list(_open_handles):
        try:
            handle._close_if_ours()
        except Exception:  # noqa: BLE001 - one handle that cannot close leaves the others open
            pass


class _ProcessHooks:
    """Re-arms the exit hook in each multiprocessing child (whose start clears the registry)
    and lets the child's copies of our handles attach again there."""

    @staticmethod
    def arm(_=None):
        multiprocessing.util.Finalize(None, _close_own_handles, exitpriority=0)
        for handle in list(_open_handles):
            handle._allow_reattach()


_hooks = _ProcessHooks()
_hooks.arm()
multiprocessing.util.register_after_fork(_hooks, _ProcessHooks.arm)


def _portable(options):
    """The options as a child process can unpickle them: a serializer module by its name."""
    serializer = options.get("serializer")
    if isinstance(serializer, types.ModuleType):
        return dict(options, serializer=_ModuleByName(serializer.__name__))
    return options


class _ModuleByName:
    def __init__(self, name):
        self.name = name

    def __reduce__(self):
        return (importlib.import_module, (self.name,))


def _attach_again(cls, name, options):
    return cls(name, **options)


class _Handle:
    """What Producer and Consumer add in Python: pickling and fork (a multiprocessing child
    attaches again by name), and the registry of handles to close at exit."""

    def _remember(self, name, options):
        self._attached_with = (name, options)
        _open_handles.add(self)

    def __reduce__(self):
        name, options = self._attached_with
        return (_attach_again, (type(self), name, _portable(options)))

    def __repr__(self):
        state = "closed" if self.closed else f"capacity={self.capacity}, slot_size={self.slot_size}"
        return f"shmq.{type(self).__name__}({self.name!r}, {state})"


class Producer(_Handle, _shmq.Producer):
    __doc__ = """Producer(name, **options): a producer attached to the named queue.

    Creates the queue, or opens it if it exists, and attaches as a producer. Options (the
    producer program's):
"""  + _QUEUE_KEYWORDS + """
    Methods as queue.Queue's: put, put_nowait, qsize, empty, full, join (blocks until the
    consumers have received everything this producer put); put_many for batches; close().
    A context manager (closes on exit) and picklable: a multiprocessing child (spawn or fork)
    gets its own attachment by the same name. A handle inherited by os.fork() raises
    UsageError there. When the last producer closes and the queue drains, consumers see end
    of stream.
    """

    def __init__(self, name, **options):
        super().__init__(name, **options)
        self._remember(name, options)


class Consumer(_Handle, _shmq.Consumer):
    __doc__ = """Consumer(name, **options): a consumer attached to the named queue.

    Creates the queue, or opens it if it exists, and attaches as a consumer. Options:
""" + _QUEUE_KEYWORDS + """\
        expect_producers  end of stream only after this many producers have attached
                        and left (default 1)
        lease           seconds this consumer may hold items it took (take) before
                        they go to other consumers (default 30; 0: for ever)

    Methods as queue.Queue's: get, get_nowait, qsize, empty, full; get_many for batches;
    take for a zero-copy Batch of memoryviews; close(). An iterator that ends at end of
    stream (``for item in Consumer("jobs")``); get() raises EndOfStream there. Each item
    goes to exactly one consumer; items a consumer held when it died go to another. A
    context manager and picklable, as Producer.
    """

    def __init__(self, name, **options):
        super().__init__(name, **options)
        self._remember(name, options)
