"""Fixtures of the Python tests: a unique queue name per test, removed afterwards whatever
happened, and the built C++ programs (SHMQ_BIN, set by ctest)."""

import itertools
import os
import pathlib
import select
import subprocess
import sys

import pytest

import shmq

_counter = itertools.count()


@pytest.fixture
def queue_name():
    name = f"shmq-pytest-{os.getpid()}-{next(_counter)}"
    yield name
    try:
        shmq.remove_queue(name, force=True)
    except shmq.Error:
        pass


@pytest.fixture
def bin_dir():
    path = os.environ.get("SHMQ_BIN")
    if not path:
        pytest.skip("SHMQ_BIN (the directory of the built programs) is not set")
    return pathlib.Path(path)


def run_python(code, *args, timeout=30, **kwargs):
    """Runs `code` in a fresh interpreter (this one) with the package on its path, bounded."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-c", code, *args], env=env, timeout=timeout,
                          capture_output=True, text=True, **kwargs)


def start_python(code, *args, **kwargs):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def read_line(child, timeout=30):
    """The child's next line of output, waiting at most `timeout` seconds (then the test fails)."""
    ready, _, _ = select.select([child.stdout], [], [], timeout)
    assert ready, "the child printed nothing in time"
    return child.stdout.readline()
