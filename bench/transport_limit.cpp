// The limit of a round trip between two processes: a bare ping-pong on one cache line, one
// word that the client makes odd (a request) and the server even again (the response), both
// spinning. Nothing carries a message: what it measures is the cache line's trip between the
// cores and back, which any queue's round trip pays at least once each way. A latency row only
// (shmq-bench's round trips pair a requests transport with a responses transport: here both
// map the same line); it takes no part in the throughput runs.
#include <sys/mman.h>

#include <atomic>
#include <cstring>
#include <map>
#include <stdexcept>

#include "transports.hpp"

namespace shmq::bench {
namespace {

// The spin hint, as shmq's own waits use it (x86 pause; nothing elsewhere).
inline void relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

struct alignas(64) Line {
  std::atomic<std::uint64_t> turn{0};  // odd: a request waits; even: a response (or nothing)
  std::uint64_t sequence = 0;          // what the last message carried
};

// The lines of this process's runs, by request name: the responses transport of a round trip
// ("NAME-back") finds its request's line here, in the parent, before the children fork.
std::map<std::string, Line*>& lines() {
  static std::map<std::string, Line*> by_name;
  return by_name;
}

class LineEnd final : public Sender, public Receiver {
 public:
  LineEnd(Line& line, bool requests) : line_(line), requests_(requests) {}
  void send(std::span<const std::byte> message) override {
    // acquire: the other side has read what it was sent before it handed the turn back.
    while ((line_.turn.load(std::memory_order_acquire) & 1) != (requests_ ? 0U : 1U)) {
      relax();
    }
    std::memcpy(&line_.sequence, message.data(), sizeof line_.sequence);
    // release: the sequence is written before the other side sees the turn.
    line_.turn.fetch_add(1, std::memory_order_release);
  }
  void receive(std::span<std::byte> out) override {
    // acquire: pairs with send()'s release; `seen_` keeps a response from being read twice.
    std::uint64_t turn = 0;
    while (((turn = line_.turn.load(std::memory_order_acquire)) & 1) != (requests_ ? 1U : 0U) ||
           turn == seen_) {
      relax();
    }
    seen_ = turn;
    std::memcpy(out.data(), &line_.sequence, sizeof line_.sequence);
  }

 private:
  Line& line_;
  bool requests_;
  std::uint64_t seen_ = 0;
};

class LimitTransport final : public Transport {
 public:
  std::string name() const override { return "limit-ping-pong"; }
  bool supports(const Spec&) const override { return false; }  // round trips only
  void create(const Spec& spec) override {
    static constexpr std::string_view kBack = "-back";
    const bool back = spec.name.size() > kBack.size() && spec.name.ends_with(kBack);
    requests_ = !back;
    if (back) {
      const auto found = lines().find(spec.name.substr(0, spec.name.size() - kBack.size()));
      if (found == lines().end()) throw std::runtime_error("no request line for " + spec.name);
      line_ = found->second;
      return;
    }
    void* memory =
        mmap(nullptr, sizeof(Line), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) throw std::runtime_error("mmap of the ping-pong line failed");
    line_ = new (memory) Line;
    name_ = spec.name;
    lines()[name_] = line_;
  }
  void destroy() override {
    if (!requests_ || line_ == nullptr) return;
    lines().erase(name_);
    munmap(line_, sizeof(Line));
    line_ = nullptr;
  }
  std::unique_ptr<Sender> sender() override { return std::make_unique<LineEnd>(*line_, requests_); }
  std::unique_ptr<Receiver> receiver() override {
    return std::make_unique<LineEnd>(*line_, requests_);
  }

 private:
  Line* line_ = nullptr;
  bool requests_ = true;
  std::string name_;
};

}  // namespace

void add_limit_transport(std::vector<std::unique_ptr<Transport>>& out) {
  out.push_back(std::make_unique<LimitTransport>());
}

}  // namespace shmq::bench
