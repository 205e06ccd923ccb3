#include "nats_session.hpp"

#include <iostream>
#include <sstream>

#include "exit_codes.hpp"
#include "options.hpp"
#include "signals.hpp"

namespace shmq::bridge {

namespace {

constexpr int kConnectTimeoutMs = 2000;  // per attempt, per node
constexpr int kReconnectWaitMs = 250;    // between rounds over the cluster's URLs
constexpr auto kConnectRetryPause = std::chrono::milliseconds(500);

void check(natsStatus status, const char* what) {
  if (status != NATS_OK)
    throw BridgeFailure(cli::kExitFailure, std::string(what) + ": " + describe(status));
}

bool is_tls(const std::string& url) {
  return url.rfind("tls://", 0) == 0;
}

}  // namespace

std::vector<std::string> split_urls(const std::string& text, const char* option) {
  std::vector<std::string> urls;
  std::istringstream in(text);
  for (std::string url; std::getline(in, url, ',');) {
    if (url.empty())
      throw cli::UsageError(std::string("--") + option + " has an empty URL in '" + text + "'");
    urls.push_back(url);
  }
  if (urls.empty()) throw cli::UsageError(std::string("--") + option + " needs at least one URL");
  return urls;
}

std::string describe(natsStatus status) {
  std::string text = natsStatus_GetText(status);
  natsStatus last = NATS_OK;
  const char* error = nats_GetLastError(&last);
  std::string detail = error != nullptr ? error : "";
  // The library prefixes where in its sources it failed, "(conn.c:2088): ": not for a user.
  if (!detail.empty() && detail.front() == '(') {
    const auto end = detail.find("): ");
    if (end != std::string::npos) detail.erase(0, end + 3);
  }
  if (!detail.empty() && text.find(detail) == std::string::npos) text += ": " + detail;
  return text;
}

NatsSession::NatsSession(const NatsSettings& settings, Clock::time_point until,
                         const std::atomic<bool>& stop, jsOptions* js_options) {
  try {
    connect(settings, until, stop, js_options);
  } catch (...) {
    release();  // a constructor that throws runs no destructor
    throw;
  }
}

void NatsSession::connect(const NatsSettings& settings, Clock::time_point until,
                          const std::atomic<bool>& stop, jsOptions* js_options) {
  check(natsOptions_Create(&options_), "cannot set up the NATS client");
  std::vector<const char*> urls;
  bool secure = false;
  for (const auto& url : settings.urls) {
    urls.push_back(url.c_str());
    secure = secure || is_tls(url);
  }
  check(natsOptions_SetServers(options_, urls.data(), static_cast<int>(urls.size())), "--nats");
  if (secure) check(natsOptions_SetSecure(options_, true), "TLS");
  if (!settings.creds.empty()) {
    check(natsOptions_SetUserCredentialsFromFiles(options_, settings.creds.c_str(), nullptr),
          "--creds");
  }
  if (!settings.user.empty()) {
    check(natsOptions_SetUserInfo(options_, settings.user.c_str(), settings.password.c_str()),
          "--user");
  }
  check(natsOptions_SetName(options_, settings.client_name.c_str()), "client name");
  check(natsOptions_SetSendAsap(options_, settings.send_at_once), "send at once");
  check(natsOptions_SetTimeout(options_, kConnectTimeoutMs), "connect timeout");
  check(natsOptions_SetMaxReconnect(options_, -1), "reconnects");  // for ever: a supervisor's job
  check(natsOptions_SetReconnectWait(options_, kReconnectWaitMs), "reconnect wait");
  check(natsOptions_SetDisconnectedCB(options_, on_disconnected, this), "callbacks");
  check(natsOptions_SetReconnectedCB(options_, on_reconnected, this), "callbacks");

  bool told = false;
  for (;;) {
    const natsStatus status = natsConnection_Connect(&connection_, options_);
    if (status == NATS_OK) break;
    const std::string reason = describe(status);
    if (status == NATS_CONNECTION_AUTH_FAILED || status == NATS_NOT_PERMITTED ||
        status == NATS_SSL_ERROR || reason.find("uthorization") != std::string::npos) {
      throw BridgeFailure(cli::kExitFailure, "NATS refused the connection: " + reason);
    }
    if (!told) {
      std::cerr << settings.client_name << ": cannot reach NATS at " << settings.urls.front()
                << (settings.urls.size() > 1 ? " or the other URLs" : "") << ": " << reason
                << "; retrying until --timeout\n";
      told = true;
    }
    if (Clock::now() + kConnectRetryPause >= until) {
      throw BridgeFailure(cli::kExitTimeout, "NATS unreachable until --timeout passed: " + reason);
    }
    if (stop.load(std::memory_order_relaxed) || !cli::pause_unless_stopped(kConnectRetryPause)) {
      throw BridgeFailure(cli::interrupted_exit_code(), "stopped while connecting to NATS");
    }
  }
  check(natsConnection_JetStream(&js_, connection_, js_options), "JetStream");
}

NatsSession::~NatsSession() {
  release();
}

void NatsSession::release() noexcept {
  jsCtx_Destroy(js_);
  natsConnection_Destroy(connection_);
  natsOptions_Destroy(options_);
  js_ = nullptr;
  connection_ = nullptr;
  options_ = nullptr;
}

std::string NatsSession::connected_url() const {
  char buffer[256] = "";
  if (natsConnection_GetConnectedUrl(connection_, buffer, sizeof buffer) != NATS_OK) return "";
  return buffer;
}

std::optional<std::string> NatsSession::take_event() {
  // relaxed: counters of events; the lines they earn need no other memory.
  const std::uint64_t lost = disconnects_.load(std::memory_order_relaxed);
  const std::uint64_t back = reconnects_.load(std::memory_order_relaxed);
  std::optional<std::string> line;
  if (back != reconnects_told_) {
    line = "reconnected to " + connected_url();
  } else if (lost != disconnects_told_ && lost > back) {
    line = "lost the connection to NATS; reconnecting to the cluster's other URLs";
  }
  disconnects_told_ = lost;
  reconnects_told_ = back;
  return line;
}

void NatsSession::on_disconnected(natsConnection*, void* closure) {
  // relaxed: see take_event().
  static_cast<NatsSession*>(closure)->disconnects_.fetch_add(1, std::memory_order_relaxed);
}

void NatsSession::on_reconnected(natsConnection*, void* closure) {
  // relaxed: see take_event().
  static_cast<NatsSession*>(closure)->reconnects_.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace shmq::bridge
