// ZeroMQ PUSH/PULL over ipc:// (a Unix socket), what a user would reach for to move messages
// between processes without writing a queue. zmq_send copies each message into ZeroMQ's
// buffers; ZeroMQ's I/O thread writes it to the socket; the consumer's I/O thread reads it and
// zmq_recv copies it out. High-water marks of spec.capacity messages bound the buffering.
//
// Any producers x consumers: producer p binds one PUSH socket per consumer c, at
// ipc:///tmp/<name>-<p>-<c>.ipc, and sends each message to whichever of them has room next (what
// one PUSH connected to every consumer does, but addressable); consumer c connects its one PULL
// socket to every producer's endpoint c. When a peer goes away ZeroMQ may drop what it sent that
// is not yet read (a bound side does; seen at 8 B), so producers bind, and a producer stays until
// every consumer has closed (a count in shared memory) before it closes its sockets.
//
// The end of a run cannot use the bench's kStop as is: another producer's last messages may still
// be in its buffers when kStop arrives. So each sender, when destroyed, sends one kDone to every
// consumer behind all of its messages, and a consumer stops once it has a kDone from every
// producer; kStop itself is not sent.
#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zmq.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "transports.hpp"

namespace shmq::bench {
namespace {

constexpr std::uint64_t kDone = kStop - 1;  // "no more messages from this producer"
constexpr int kLingerMs = 10000;  // a closing producer waits this long for its queue to drain
constexpr auto kConnectWait = std::chrono::seconds(10);
constexpr auto kCloseWait = std::chrono::seconds(10);  // for the consumers, at a producer's end

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + zmq_strerror(zmq_errno()));
}

// Each end takes its index from these, in an anonymous shared mapping made before fork().
struct Shared {
  std::atomic<int> next_producer{0};
  std::atomic<int> next_consumer{0};
  std::atomic<int> consumers_closed{0};
};

std::string path_of(const Spec& spec, int producer, int consumer) {
  return "/tmp/" + spec.name + "-" + std::to_string(producer) + "-" + std::to_string(consumer) +
         ".ipc";
}

// Connects once the producer has bound, or ZeroMQ retries only after its reconnect delay.
void connect_when_bound(void* socket, const std::string& path) {
  const auto deadline = std::chrono::steady_clock::now() + kConnectWait;
  while (::access(path.c_str(), F_OK) != 0) {
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("zeromq: no producer bound " + path);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (zmq_connect(socket, ("ipc://" + path).c_str()) != 0) fail("zmq_connect");
}

void set_int(void* socket, int option, int value) {
  if (zmq_setsockopt(socket, option, &value, sizeof value) != 0) fail("zmq_setsockopt");
}

// One context per end, made in the child (a context does not survive fork()).
class Endpoint {
 public:
  Endpoint() : context_(zmq_ctx_new()) {
    if (context_ == nullptr) fail("zmq_ctx_new");
  }
  ~Endpoint() {
    for (void* socket : sockets_) zmq_close(socket);
    zmq_ctx_term(context_);  // waits up to each socket's linger for unsent messages
  }
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

 protected:
  void* open(int type, int capacity) {
    void* socket = zmq_socket(context_, type);
    if (socket == nullptr) fail("zmq_socket");
    sockets_.push_back(socket);
    set_int(socket, type == ZMQ_PUSH ? ZMQ_SNDHWM : ZMQ_RCVHWM, capacity);
    return socket;
  }
  std::vector<void*> sockets_;

 private:
  void* context_;
};

class ZmqSender final : public Sender, Endpoint {
 public:
  ZmqSender(const Spec& spec, Shared& shared) : shared_(shared), consumers_(spec.consumers) {
    // relaxed: only the distinct value matters, and fork() orders it after the mapping's setup.
    const int index = shared.next_producer.fetch_add(1, std::memory_order_relaxed);
    for (int c = 0; c < spec.consumers; ++c) {
      void* socket = open(ZMQ_PUSH, static_cast<int>(spec.capacity));
      set_int(socket, ZMQ_LINGER, kLingerMs);
      const std::string endpoint = "ipc://" + path_of(spec, index, c);
      if (zmq_bind(socket, endpoint.c_str()) != 0) fail("zmq_bind " + endpoint);
      polls_.push_back(zmq_pollitem_t{socket, 0, ZMQ_POLLOUT, 0});
    }
  }
  ~ZmqSender() override {
    std::uint64_t done = kDone;
    for (void* socket : sockets_) zmq_send(socket, &done, sizeof done, 0);
    // Stay connected until every consumer has closed (bounded): ZeroMQ may drop what a peer
    // that went away had sent but the consumer had not yet read.
    const auto deadline = std::chrono::steady_clock::now() + kCloseWait;
    // acquire: pairs with the consumers' release; only the count matters here.
    while (shared_.consumers_closed.load(std::memory_order_acquire) < consumers_ &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }

  void send(std::span<const std::byte> message) override {
    if (sequence_of(message) == kStop) return;  // the kDone markers end the run instead
    for (;;) {
      // The next socket with room, as PUSH's own load balancing does; wait if none has.
      for (std::size_t tried = 0; tried < sockets_.size(); ++tried) {
        void* socket = sockets_[next_];
        next_ = (next_ + 1) % sockets_.size();
        if (zmq_send(socket, message.data(), message.size(), ZMQ_DONTWAIT) >= 0) return;
        if (zmq_errno() != EAGAIN && zmq_errno() != EINTR) fail("zmq_send");
      }
      if (zmq_poll(polls_.data(), static_cast<int>(polls_.size()), -1) < 0 && zmq_errno() != EINTR)
        fail("zmq_poll");
    }
  }

 private:
  Shared& shared_;
  int consumers_;
  std::vector<zmq_pollitem_t> polls_;
  std::size_t next_ = 0;
};

class ZmqReceiver final : public Receiver, Endpoint {
 public:
  ZmqReceiver(const Spec& spec, Shared& shared) : shared_(shared), producers_(spec.producers) {
    // relaxed: only the distinct value matters, and fork() orders it after the mapping's setup.
    const int index = shared.next_consumer.fetch_add(1, std::memory_order_relaxed);
    socket_ = open(ZMQ_PULL, static_cast<int>(spec.capacity));
    for (int p = 0; p < spec.producers; ++p) connect_when_bound(socket_, path_of(spec, p, index));
  }
  ~ZmqReceiver() override {
    // release: everything this consumer read happened before a producer sees it closed.
    shared_.consumers_closed.fetch_add(1, std::memory_order_release);
  }

  void receive(std::span<std::byte> out) override {
    while (next(out) == kDone) {
    }
  }
  std::uint64_t receive_until_stop(std::span<std::byte> scratch) override {
    std::uint64_t received = 0;
    while (done_ < producers_) {
      if (next(scratch) != kDone) ++received;
    }
    return received;
  }

 private:
  // One message into `out`: its sequence number; counts kDone markers.
  std::uint64_t next(std::span<std::byte> out) {
    int n;
    while ((n = zmq_recv(socket_, out.data(), out.size(), 0)) < 0) {
      if (zmq_errno() != EINTR) fail("zmq_recv");
    }
    const std::uint64_t sequence = sequence_of(out);
    if (n == sizeof kDone && sequence == kDone) {
      ++done_;
      return kDone;
    }
    if (static_cast<std::size_t>(n) != out.size())
      throw std::runtime_error("zeromq: short message");
    return sequence;
  }

  Shared& shared_;
  void* socket_ = nullptr;
  int producers_;
  int done_ = 0;
};

class ZmqTransport final : public Transport {
 public:
  std::string name() const override { return "zeromq"; }
  void create(const Spec& spec) override {
    spec_ = spec;
    remove_endpoints();
    void* memory =
        mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) throw std::bad_alloc();
    shared_ = new (memory) Shared;
  }
  void destroy() override {
    remove_endpoints();
    munmap(shared_, sizeof(Shared));
  }
  std::unique_ptr<Sender> sender() override { return std::make_unique<ZmqSender>(spec_, *shared_); }
  std::unique_ptr<Receiver> receiver() override {
    return std::make_unique<ZmqReceiver>(spec_, *shared_);
  }

 private:
  // ZeroMQ removes a bound socket's file when it closes; not when the process is killed.
  void remove_endpoints() const {
    for (int p = 0; p < spec_.producers; ++p) {
      for (int c = 0; c < spec_.consumers; ++c) ::unlink(path_of(spec_, p, c).c_str());
    }
  }

  Spec spec_;
  Shared* shared_ = nullptr;
};

}  // namespace

void add_zmq_transport(std::vector<std::unique_ptr<Transport>>& out) {
  out.push_back(std::make_unique<ZmqTransport>());
}

}  // namespace shmq::bench
