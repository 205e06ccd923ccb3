// eclipse iceoryx 2.0 (Debian's), the zero-copy shared-memory middleware, in the two ways
// shmq's "shmq" and "shmq-zero-copy" are measured:
//   iceoryx            the publisher loans a chunk, copies the message in, publishes; the
//                      subscriber takes it, copies it out, releases it.
//   iceoryx-zero-copy  loan, write the sequence number in place, publish; take, read it in
//                      place, release.
// One chunk per call: iceoryx has no batch API. The subscriber's queue holds spec.capacity
// chunks (at most iceoryx's 256); a full queue blocks the publisher (BLOCK_PRODUCER and
// WAIT_FOR_CONSUMER), so nothing is lost; the subscriber sleeps in a WaitSet when it is empty.
//
// iceoryx needs its daemon, RouDi: create() starts iox-roudi as a child, with one mempool of
// chunks of spec.size (a config file in a temporary folder; 8 B .. 1 MiB), and waits until it is
// ready; the last destroy() stops it and removes what is left. One RouDi per machine: two
// shmq-bench runs take turns (a flock on /usr/bin/iox-roudi); any other RouDi makes create() fail.
// Each child registers its own runtime ("shmq-bench-iox-<parent>- <pid>") and deregisters it when
// its last end closes, before the runner's _exit(): RouDi, when stopped, SIGTERMs every process
// still registered (a pid that may have been reused) and aborts if one is gone. Publish/subscribe
// gives every subscriber every message, so one consumer only; any number of producers (several
// publishers may offer one service).
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <thread>

#include "iceoryx_hoofs/log/logmanager.hpp"
#include "iceoryx_posh/internal/runtime/posh_runtime_impl.hpp"
#include "iceoryx_posh/popo/untyped_publisher.hpp"
#include "iceoryx_posh/popo/untyped_subscriber.hpp"
#include "iceoryx_posh/popo/wait_set.hpp"
#include "transports.hpp"

namespace shmq::bench {
namespace {

using namespace std::chrono_literals;
constexpr auto kStartWait = 10s;  // for RouDi to be ready, and for a publisher's subscriber
constexpr auto kStopWait = 5s;    // for RouDi to exit after SIGTERM, before SIGKILL
constexpr auto kLockWait = 60s;   // for another shmq-bench's RouDi to stop
constexpr std::size_t kLargest = 1 << 20;  // the largest message measured

// The queue a subscriber gets, and the chunks RouDi's one mempool needs for it: a full queue,
// the one the subscriber holds, one loaned per producer, and some to spare.
std::uint32_t queue_for(const Spec& spec) {
  return std::min<std::uint32_t>(spec.capacity, iox::MAX_SUBSCRIBER_QUEUE_CAPACITY);
}
std::uint32_t chunks_for(const Spec& spec) {
  return queue_for(spec) + static_cast<std::uint32_t>(spec.producers) + 16;
}

// Shared by every instance in the parent: a ping-pong run creates two at once.
struct Daemon {
  int users = 0;
  int lock = -1;  // flock()ed iox-roudi: another shmq-bench waits its turn for RouDi
  pid_t pid = -1;
  bool ready = false;          // the files RouDi made are ours to remove
  std::size_t chunk_size = 0;  // its mempool's
  std::uint32_t chunk_count = 0;
  std::filesystem::path folder;  // config and log
};
Daemon daemon_state;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void stop_daemon() {
  if (daemon_state.pid > 0) {
    kill(daemon_state.pid, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + kStopWait;
    while (waitpid(daemon_state.pid, nullptr, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(daemon_state.pid, SIGKILL);
        waitpid(daemon_state.pid, nullptr, 0);
        break;
      }
      std::this_thread::sleep_for(1ms);
    }
    daemon_state.pid = -1;
  }
  if (daemon_state.ready) {
    // A RouDi that stopped cleanly removed these; one killed or aborted did not.
    shm_unlink("/iceoryx_mgmt");
    if (const passwd* user = getpwuid(geteuid())) {  // the data segment is named after the user
      std::string name = user->pw_name;
      shm_unlink(name.insert(0, 1, '/').c_str());
    }
    for (const char* path : {"/tmp/roudi", "/tmp/roudi.lock", "/tmp/iox-unique-roudi.lock"})
      ::unlink(path);
    daemon_state.ready = false;
  }
  // A child killed before it deregistered leaves its socket and lock file.
  const std::string prefix = "shmq-bench-iox-" + std::to_string(getpid()) + "-";
  for (const auto& entry : std::filesystem::directory_iterator("/tmp")) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0) {
      std::error_code ignored;
      std::filesystem::remove(entry.path(), ignored);
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(daemon_state.folder, ignored);
  if (daemon_state.lock >= 0) ::close(daemon_state.lock);  // releases the flock
  daemon_state.lock = -1;
}

void start_daemon(const Spec& spec) {
  char folder[] = "/tmp/shmq-bench-roudi-XXXXXX";
  if (mkdtemp(folder) == nullptr) throw std::runtime_error("iceoryx: mkdtemp failed");
  daemon_state.folder = folder;
  daemon_state.chunk_size = (spec.size + 7) / 8 * 8;  // RouDi wants a multiple of 8
  daemon_state.chunk_count = chunks_for(spec);
  const auto config = daemon_state.folder / "roudi.toml";
  const auto log = daemon_state.folder / "roudi.log";
  std::ofstream(config) << "[general]\nversion = 1\n\n[[segment]]\n\n[[segment.mempool]]\nsize = "
                        << daemon_state.chunk_size << "\ncount = " << daemon_state.chunk_count
                        << "\n";
  std::string program = "iox-roudi";  // on PATH, or where Debian's package puts it
  if (std::system("command -v iox-roudi >/dev/null 2>&1") != 0) program = "/usr/bin/iox-roudi";
  // One RouDi per machine: benchmarks running at once (ctest -j, two builds) take turns.
  daemon_state.lock = ::open("/usr/bin/iox-roudi", O_RDONLY | O_CLOEXEC);
  const auto lock_deadline = std::chrono::steady_clock::now() + kLockWait;
  while (daemon_state.lock >= 0 && flock(daemon_state.lock, LOCK_EX | LOCK_NB) != 0) {
    if (std::chrono::steady_clock::now() > lock_deadline) {
      stop_daemon();
      throw std::runtime_error("iceoryx: another shmq-bench has held RouDi for 60 s");
    }
    std::this_thread::sleep_for(5ms);
  }
  std::fflush(nullptr);
  daemon_state.pid = fork();
  if (daemon_state.pid == 0) {
    if (std::freopen(log.c_str(), "w", stdout) == nullptr) _exit(127);
    dup2(STDOUT_FILENO, STDERR_FILENO);
    execlp(program.c_str(), program.c_str(), "-c", config.c_str(), "-l", "warning", nullptr);
    std::perror("exec iox-roudi");
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + kStartWait;
  for (;;) {
    if (read_file(log).find("RouDi is ready for clients") != std::string::npos) {
      daemon_state.ready = true;
      return;
    }
    const bool exited = waitpid(daemon_state.pid, nullptr, WNOHANG) != 0;
    if (exited || std::chrono::steady_clock::now() > deadline) {
      if (exited) daemon_state.pid = -1;  // reaped
      const std::string output = read_file(log);
      stop_daemon();
      throw std::runtime_error(std::string("iceoryx: iox-roudi ") +
                               (exited ? "exited" : "was not ready in 10 s") +
                               " (is another RouDi running?): " + output);
    }
    std::this_thread::sleep_for(2ms);
  }
}

// The child's runtime, in storage of ours so that it can be destroyed (deregistered) before
// _exit(): iceoryx's own is a function-local static.
class OwnedRuntime final : public iox::runtime::PoshRuntimeImpl {
 public:
  explicit OwnedRuntime(const iox::RuntimeName_t* name)
      : PoshRuntimeImpl(iox::cxx::optional<const iox::RuntimeName_t*>(name)) {}
  static void install() { setRuntimeFactory(&factory); }

 private:
  static iox::runtime::PoshRuntime& factory(iox::cxx::optional<const iox::RuntimeName_t*> name);
};
std::optional<OwnedRuntime> runtime;
int runtime_users = 0;  // the ends open in this process

iox::runtime::PoshRuntime& OwnedRuntime::factory(
    iox::cxx::optional<const iox::RuntimeName_t*> name) {
  if (!runtime) runtime.emplace(name.value());  // only initRuntime() comes here first
  return *runtime;
}

// Held first by each end, so released after its publisher or subscriber: registers this process
// with RouDi on the first, deregisters it on the last.
struct RuntimeUse {
  RuntimeUse() {
    if (runtime_users++ > 0) return;
    const std::string name =
        "shmq-bench-iox-" + std::to_string(getppid()) + "-" + std::to_string(getpid());
    const iox::RuntimeName_t id(iox::cxx::TruncateToCapacity, name.c_str());
    // Its log's default is verbose: every child would print its registration.
    iox::log::LogManager::GetLogManager().SetDefaultLogLevel(
        iox::log::LogLevel::kWarn, iox::log::LogLevelOutput::kHideLogLevel);
    OwnedRuntime::install();
    iox::runtime::PoshRuntime::initRuntime(id);
  }
  ~RuntimeUse() {
    if (--runtime_users == 0) runtime.reset();
  }
  RuntimeUse(const RuntimeUse&) = delete;
  RuntimeUse& operator=(const RuntimeUse&) = delete;
};

iox::capro::ServiceDescription service_of(const Spec& spec) {
  return {"shmq-bench", iox::capro::IdString_t(iox::cxx::TruncateToCapacity, spec.name.c_str()),
          "messages"};
}

class IceoryxSender final : public Sender {
 public:
  IceoryxSender(const Spec& spec, bool zero_copy)
      : publisher_(service_of(spec), options()), zero_copy_(zero_copy) {
    // A publisher with no subscriber drops what it publishes.
    const auto deadline = std::chrono::steady_clock::now() + kStartWait;
    while (!publisher_.hasSubscribers()) {
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("iceoryx: no subscriber for " + spec.name);
      std::this_thread::sleep_for(1ms);
    }
  }

  void send(std::span<const std::byte> message) override {
    void* chunk = loan(message.size());
    std::memcpy(chunk, message.data(), message.size());
    publisher_.publish(chunk);
  }

  void send_many(std::uint64_t first, std::uint64_t count, std::span<std::byte> scratch) override {
    if (!zero_copy_) return Sender::send_many(first, count, scratch);
    for (std::uint64_t i = 0; i < count; ++i) {
      void* chunk = loan(scratch.size());
      set_sequence({static_cast<std::byte*>(chunk), scratch.size()}, first + i);
      publisher_.publish(chunk);
    }
  }

 private:
  static iox::popo::PublisherOptions options() {
    iox::popo::PublisherOptions options;
    options.subscriberTooSlowPolicy = iox::popo::ConsumerTooSlowPolicy::WAIT_FOR_CONSUMER;
    return options;
  }
  void* loan(std::size_t size) {
    auto chunk = publisher_.loan(static_cast<std::uint32_t>(size));
    if (chunk.has_error()) throw std::runtime_error("iceoryx: loan failed (out of chunks?)");
    return chunk.value();
  }

  RuntimeUse runtime_;
  iox::popo::UntypedPublisher publisher_;
  bool zero_copy_;
};

class IceoryxReceiver final : public Receiver {
 public:
  IceoryxReceiver(const Spec& spec, bool zero_copy)
      : subscriber_(service_of(spec), options(spec)), zero_copy_(zero_copy) {
    if (waitset_.attachState(subscriber_, iox::popo::SubscriberState::HAS_DATA).has_error())
      throw std::runtime_error("iceoryx: WaitSet attach failed");
  }
  ~IceoryxReceiver() override {
    waitset_.detachState(subscriber_, iox::popo::SubscriberState::HAS_DATA);
  }

  void receive(std::span<std::byte> out) override {
    const void* chunk = take();
    std::memcpy(out.data(), chunk, out.size());
    subscriber_.release(chunk);
  }

  std::uint64_t receive_until_stop(std::span<std::byte> scratch) override {
    std::uint64_t received = 0;
    for (;;) {
      const void* chunk = take();
      std::uint64_t sequence;
      if (zero_copy_) {
        sequence = sequence_of({static_cast<const std::byte*>(chunk), sizeof sequence});
      } else {
        std::memcpy(scratch.data(), chunk, scratch.size());
        sequence = sequence_of(scratch);
      }
      subscriber_.release(chunk);
      if (sequence == kStop) return received;
      ++received;
    }
  }

 private:
  static iox::popo::SubscriberOptions options(const Spec& spec) {
    iox::popo::SubscriberOptions options;
    options.queueCapacity = queue_for(spec);
    options.queueFullPolicy = iox::popo::QueueFullPolicy::BLOCK_PRODUCER;
    return options;
  }
  // The next chunk; sleeps in the WaitSet while there is none.
  const void* take() {
    for (;;) {
      auto chunk = subscriber_.take();
      if (!chunk.has_error()) return chunk.value();
      if (chunk.get_error() != iox::popo::ChunkReceiveResult::NO_CHUNK_AVAILABLE)
        throw std::runtime_error("iceoryx: take failed (too many chunks held?)");
      (void)waitset_.wait();
    }
  }

  RuntimeUse runtime_;
  iox::popo::UntypedSubscriber subscriber_;
  iox::popo::WaitSet<> waitset_;
  bool zero_copy_;
};

class IceoryxTransport final : public Transport {
 public:
  IceoryxTransport(std::string name, bool zero_copy)
      : name_(std::move(name)), zero_copy_(zero_copy) {}
  std::string name() const override { return name_; }
  bool supports(const Spec& spec) const override {
    return spec.consumers == 1 && spec.size <= kLargest;
  }
  void create(const Spec& spec) override {
    spec_ = spec;
    if (daemon_state.users == 0) {
      start_daemon(spec);
    } else if (spec.size > daemon_state.chunk_size || chunks_for(spec) > daemon_state.chunk_count) {
      throw std::runtime_error("iceoryx: the running RouDi's chunks do not fit " + spec.name);
    }
    ++daemon_state.users;
  }
  void destroy() override {
    if (--daemon_state.users == 0) stop_daemon();
  }
  std::unique_ptr<Sender> sender() override {
    return std::make_unique<IceoryxSender>(spec_, zero_copy_);
  }
  std::unique_ptr<Receiver> receiver() override {
    return std::make_unique<IceoryxReceiver>(spec_, zero_copy_);
  }

 private:
  std::string name_;
  bool zero_copy_;
  Spec spec_;
};

}  // namespace

void add_iceoryx_transports(std::vector<std::unique_ptr<Transport>>& out) {
  out.push_back(std::make_unique<IceoryxTransport>("iceoryx", false));
  out.push_back(std::make_unique<IceoryxTransport>("iceoryx-zero-copy", true));
}

}  // namespace shmq::bench
