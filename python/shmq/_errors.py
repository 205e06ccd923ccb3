"""shmq's exceptions: one class per exit-code category of the shmq programs."""

import queue

__all__ = ["Error", "Failure", "UsageError", "QueueInvalid", "Timeout", "Rejected", "InUse",
           "EndOfStream"]


class Error(Exception):
    """Base of every shmq exception.

    Attributes: ``code``, the library's name for what went wrong ("not_found",
    "geometry_mismatch", ...); ``errno``, the operating system's error number behind it, or 0;
    ``exit_code``, what the shmq programs exit with for the same failure.
    """

    exit_code = 1

    def __init__(self, message="", code="", errno=0):
        super().__init__(message)
        self.code = code
        self.errno = errno


class Failure(Error):
    """An operating-system call failed (exit code 1); ``errno`` says why."""

    exit_code = 1


class UsageError(Error, ValueError):
    """A bad argument or a handle used where it may not be (exit code 2): an invalid queue
    name, a capacity out of range, a closed handle, one inherited across fork."""

    exit_code = 2


class QueueInvalid(Error):
    """The queue is missing, corrupt, incompatible, another user's, of another geometry or
    mode, full of processes, has no room in /dev/shm, or was lost while in use (exit code 3)."""

    exit_code = 3


class Timeout(Error, TimeoutError):
    """A deadline passed: attaching (the queue's mutex stayed held), or join(timeout)
    (exit code 4). A put or get that times out raises queue.Full or queue.Empty instead."""

    exit_code = 4


class Rejected(Error, ValueError):
    """An item larger than the queue carries (max_message_size); nothing was put
    (exit code 6)."""

    exit_code = 6


class InUse(Error):
    """remove_queue(): live processes are attached, and force was not given (exit code 7)."""

    exit_code = 7


_shut_down = (queue.ShutDown,) if hasattr(queue, "ShutDown") else ()


class EndOfStream(Error, *_shut_down):
    """get() after every producer has left and the queue drained: no item will come (as
    queue.ShutDown, of which it is a subclass where Python has it). Iterating a Consumer ends
    there instead of raising. Exit code 0: the consumer program's success."""

    exit_code = 0


for _class in (Error, Failure, UsageError, QueueInvalid, Timeout, Rejected, InUse, EndOfStream):
    _class.__module__ = "shmq"  # shown as shmq.QueueInvalid, where users import it from
