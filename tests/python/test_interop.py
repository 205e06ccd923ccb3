"""Python and the C++ programs on one queue, byte for byte: a Python producer into the
consumer program, the producer program into a Python consumer, and both producers at once."""

import subprocess

import shmq

LIMIT = 60
LINES = [b"line %d" % i for i in range(500)] + [b"", b"x" * 3000, b"tabs\tand spaces "]


def test_a_python_producer_feeds_the_consumer_program(queue_name, bin_dir):
    with shmq.Producer(queue_name) as producer:  # created first: the consumer waits for us
        consumer = subprocess.Popen([bin_dir / "consumer", "--name", queue_name, "--quiet"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            producer.put_many(LINES[:100])
            for line in LINES[100:]:
                producer.put(line)
            producer.close()  # end of stream once it drains
            out, err = consumer.communicate(timeout=LIMIT)
        finally:
            consumer.kill()
    assert consumer.returncode == 0, err
    assert out == b"".join(line + b"\n" for line in LINES)


def test_the_producer_program_feeds_a_python_consumer(queue_name, bin_dir):
    with shmq.Consumer(queue_name) as consumer:
        producer = subprocess.run([bin_dir / "producer", "--name", queue_name, "--input", "-",
                                   "--quiet"], input=b"".join(l + b"\n" for l in LINES),
                                  capture_output=True, timeout=LIMIT)
        assert producer.returncode == 0, producer.stderr
        assert list(consumer) == LINES


def test_python_and_program_producers_share_a_queue(queue_name, bin_dir):
    with shmq.Consumer(queue_name, expect_producers=2) as consumer:
        python_side = shmq.Producer(queue_name)
        program = subprocess.Popen([bin_dir / "producer", "--name", queue_name, "--input", "-",
                                    "--quiet"], stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            program.stdin.write(b"".join(b"program %d\n" % i for i in range(1000)))
            program.stdin.close()
            python_side.put_many([b"python %d" % i for i in range(1000)])
            python_side.close()
            assert program.wait(timeout=LIMIT) == 0, program.stderr.read()
        finally:
            program.kill()
        got = list(consumer)
    for source in (b"program", b"python"):
        assert [item for item in got if item.startswith(source)] == \
            [b"%s %d" % (source, i) for i in range(1000)]
    assert len(got) == 2000
