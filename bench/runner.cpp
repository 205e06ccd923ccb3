#include "runner.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <thread>

namespace shmq::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kRunLimit = std::chrono::seconds(120);

// Lives in an anonymous shared mapping, visible to every forked child.
struct Control {
  std::atomic<int> ready{0};
  std::atomic<int> go{0};
  std::atomic<int> stop{0};  // producers finish the chunk they are in, then stop
  std::atomic<int> producers_left{0};
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::int64_t> last_finish_ns{0};  // the latest consumer's end, on the steady clock
  std::atomic<int> failures{0};
};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// Messages a producer sends between looks at the stop flag: about 64 KiB of them, so the look
// costs nothing and the run ends within a fraction of a millisecond of the flag.
std::uint64_t chunk_for(std::size_t size) {
  return std::max<std::uint64_t>(1, (std::uint64_t{64} << 10) / size);
}

template <class T>
T* shared_array(std::size_t count) {
  void* memory = mmap(nullptr, sizeof(T) * count, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) throw std::bad_alloc();
  return static_cast<T*>(memory);
}

void wait_for_go(Control& control) {
  // acq_rel / acquire: the parent's go happens after every child is ready.
  control.ready.fetch_add(1, std::memory_order_acq_rel);
  while (control.go.load(std::memory_order_acquire) == 0) sched_yield();
}

pid_t spawn(Control& control, const std::function<void()>& body) {
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    try {
      body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "shmq-bench child: %s\n", e.what());
      control.failures.fetch_add(1);  // seq_cst: read after waitpid
    }
    _exit(0);
  }
  return pid;
}

// Releases the children, raises `stop` after `duration` (if given), then waits for all of them
// within kRunLimit; kills them otherwise. Returns the steady clock's reading at the release, in
// nanoseconds, and nullopt if a child failed or hung.
std::optional<std::int64_t> run_children(Control& control, std::vector<pid_t>& children,
                                         std::optional<Clock::duration> duration) {
  const auto deadline = Clock::now() + kRunLimit;
  while (control.ready.load() < static_cast<int>(children.size()) && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  const std::int64_t start = now_ns();
  control.go.store(1, std::memory_order_release);  // release: pairs with wait_for_go()
  if (duration) {
    std::this_thread::sleep_for(*duration);
    control.stop.store(1, std::memory_order_relaxed);  // relaxed: a flag that carries no data
  }
  std::size_t done = 0;
  bool hung = false;
  while (done < children.size()) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      ++done;
      continue;
    }
    if (Clock::now() > deadline) {
      for (pid_t child : children) kill(child, SIGKILL);
      hung = true;
    }
    // Sleep, not yield: on a 2-core machine a spinning parent would steal a core from the run.
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  if (hung || control.failures.load() != 0) return std::nullopt;
  return start;
}

}  // namespace

std::optional<Throughput> measure_throughput(Transport& transport, const Spec& spec,
                                             Clock::duration duration) {
  transport.create(spec);
  auto* control = new (shared_array<Control>(1)) Control;
  control->producers_left = spec.producers;
  const std::uint64_t chunk = chunk_for(spec.size);
  std::vector<pid_t> children;
  for (int c = 0; c < spec.consumers; ++c) {
    children.push_back(spawn(*control, [&] {
      auto receiver = transport.receiver();
      std::vector<std::byte> scratch(spec.size);
      wait_for_go(*control);
      control->received.fetch_add(receiver->receive_until_stop(scratch));
      // Timed here, not by the parent's waitpid: process teardown is not the transport's.
      const std::int64_t finish = now_ns();
      std::int64_t latest = control->last_finish_ns.load();
      while (finish > latest && !control->last_finish_ns.compare_exchange_weak(latest, finish)) {
      }
    }));
  }
  for (int p = 0; p < spec.producers; ++p) {
    children.push_back(spawn(*control, [&, p] {
      auto sender = transport.sender();
      std::vector<std::byte> scratch(spec.size, std::byte{0x5A});
      wait_for_go(*control);
      const std::uint64_t first = static_cast<std::uint64_t>(p) << 48;  // distinct per producer
      std::uint64_t sent = 0;
      // relaxed: the flag carries no data.
      while (control->stop.load(std::memory_order_relaxed) == 0) {
        sender->send_many(first + sent, chunk, scratch);
        sent += chunk;
      }
      control->sent.fetch_add(sent);
      // The last producer to finish tells every consumer to stop.
      if (control->producers_left.fetch_sub(1) == 1) {
        set_sequence(scratch, kStop);
        for (int c = 0; c < spec.consumers; ++c) sender->send(scratch);
      }
    }));
  }
  const auto start = run_children(*control, children, duration);
  const std::uint64_t sent = control->sent.load();
  const std::uint64_t received = control->received.load();
  const std::int64_t finish = control->last_finish_ns.load();
  munmap(control, sizeof(Control));
  transport.destroy();
  if (!start || received != sent || finish <= *start) return std::nullopt;
  return Throughput{received, static_cast<double>(finish - *start) / 1e9};
}

std::optional<Latency> measure_latency(Transport& requests, Transport& responses,
                                       const Spec& spec, std::uint32_t round_trips) {
  Spec request_spec = spec;
  Spec response_spec = spec;
  response_spec.name += "-back";
  requests.create(request_spec);
  responses.create(response_spec);
  auto* control = new (shared_array<Control>(1)) Control;
  double* samples = shared_array<double>(round_trips);
  const std::uint32_t warmup = round_trips / 10;
  std::vector<pid_t> children;
  children.push_back(spawn(*control, [&] {  // the echo server
    auto in = requests.receiver();
    auto out = responses.sender();
    std::vector<std::byte> message(spec.size);
    wait_for_go(*control);
    for (std::uint32_t i = 0; i < warmup + round_trips; ++i) {
      in->receive(message);
      out->send(message);
    }
  }));
  children.push_back(spawn(*control, [&] {  // the client
    auto out = requests.sender();
    auto in = responses.receiver();
    std::vector<std::byte> message(spec.size);
    wait_for_go(*control);
    for (std::uint32_t i = 0; i < warmup + round_trips; ++i) {
      const auto start = Clock::now();
      set_sequence(message, i);
      out->send(message);
      in->receive(message);
      if (i >= warmup) {
        samples[i - warmup] =
            std::chrono::duration<double, std::micro>(Clock::now() - start).count();
      }
    }
  }));
  const auto start = run_children(*control, children, std::nullopt);
  std::optional<Latency> result;
  if (start) {
    std::sort(samples, samples + round_trips);
    auto at = [&](double q) { return samples[static_cast<std::size_t>(q * (round_trips - 1))]; };
    result = Latency{at(0.50), at(0.99), at(0.999)};
  }
  munmap(samples, sizeof(double) * round_trips);
  munmap(control, sizeof(Control));
  requests.destroy();
  responses.destroy();
  return result;
}

double memcpy_bandwidth(std::size_t size, std::uint32_t capacity) {
  std::vector<std::byte> source(size, std::byte{0x5A});
  std::vector<std::byte> ring(size * capacity);
  const std::uint64_t copies = std::max<std::uint64_t>(4 * capacity, (1ULL << 30) / size);
  const auto start = Clock::now();
  for (std::uint64_t i = 0; i < copies; ++i) {
    std::memcpy(ring.data() + (i % capacity) * size, source.data(), size);
    asm volatile("" : : "r"(ring.data()) : "memory");  // keep every copy
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(copies * size) / 1e6 / seconds;
}

}  // namespace shmq::bench
