// A connection to a NATS cluster and its JetStream context, as both bridges use it: every URL
// of the cluster, NATS's own authentication, reconnects for ever (a node that dies is replaced
// by another URL), and the connection's events turned into lines the bridge prints.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "shmq/attach_options.hpp"

namespace shmq::bridge {

// Something the bridge cannot go on from: a one-line reason and the exit code it earns.
class BridgeFailure : public std::runtime_error {
 public:
  BridgeFailure(int exit_code, const std::string& what)
      : std::runtime_error(what), exit_code_(exit_code) {}
  [[nodiscard]] int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

// The URLs of "URL[,URL...]", as --nats (or --url) gives them; `option` names it in the
// cli::UsageError for an empty one, or none.
[[nodiscard]] std::vector<std::string> split_urls(const std::string& text, const char* option);

// A status with the library's last error text for this thread, when it says more.
[[nodiscard]] std::string describe(natsStatus status);

struct NatsSettings {
  std::vector<std::string> urls;  // nats://host:port or tls://host:port, one per node
  std::string creds;              // --creds FILE (JWT and NKey seed)
  std::string user;
  std::string password;
  std::string client_name;  // shown by the server's monitoring (connz)
  // Write each publish at once instead of letting the library's flusher gather them for up to
  // a millisecond: for `in`, whose next fetch request (behind the acknowledgements) is on the
  // path of the next message. A write per acknowledgement is the price.
  bool send_at_once = false;
};

class NatsSession {
 public:
  // Connects to any of the URLs. An unreachable cluster is retried until `until` (then
  // BridgeFailure with kExitTimeout); refused credentials fail at once (kExitFailure, with the
  // server's reason). `js_options` configures the JetStream context (may be null).
  NatsSession(const NatsSettings& settings, Clock::time_point until, const std::atomic<bool>& stop,
              jsOptions* js_options = nullptr);
  ~NatsSession();
  NatsSession(const NatsSession&) = delete;
  NatsSession& operator=(const NatsSession&) = delete;

  [[nodiscard]] natsConnection* connection() const noexcept { return connection_; }
  [[nodiscard]] jsCtx* js() const noexcept { return js_; }
  // The URL of the node we are connected to now, or "" while disconnected.
  [[nodiscard]] std::string connected_url() const;
  // What happened to the connection since the last call (lost, back on another node), as a
  // line to print; each outage is told once.
  [[nodiscard]] std::optional<std::string> take_event();
  [[nodiscard]] std::uint64_t reconnects() const noexcept {
    return reconnects_.load(std::memory_order_relaxed);  // relaxed: a statistic
  }

 private:
  void connect(const NatsSettings& settings, Clock::time_point until, const std::atomic<bool>& stop,
               jsOptions* js_options);
  void release() noexcept;
  static void on_disconnected(natsConnection*, void* closure);
  static void on_reconnected(natsConnection*, void* closure);

  natsOptions* options_ = nullptr;
  natsConnection* connection_ = nullptr;
  jsCtx* js_ = nullptr;
  // Set by the library's threads, read by the bridge's: each is its own fact, nothing more.
  std::atomic<std::uint64_t> disconnects_{0};
  std::atomic<std::uint64_t> reconnects_{0};
  std::uint64_t disconnects_told_ = 0;
  std::uint64_t reconnects_told_ = 0;
};

}  // namespace shmq::bridge
