#include "nats_client.hpp"

#include <stdexcept>

#include "jetstream_setup.hpp"

namespace shmq::nats_bench {
namespace {

using Options = std::unique_ptr<natsOptions, Destroyer<natsOptions_Destroy>>;

}  // namespace

void check(natsStatus status, const std::string& what, jsErrCode code) {
  if (status == NATS_OK) return;
  std::string message = what + ": " + natsStatus_GetText(status);
  const char* detail = nats_GetLastError(nullptr);
  if (detail != nullptr && *detail != '\0') message += std::string(" (") + detail + ")";
  if (code != 0) message += " [JetStream error " + std::to_string(code) + "]";
  throw std::runtime_error(message);
}

Library::~Library() {
  nats_CloseAndWait(0);  // 0: wait as long as the library's own threads take to end
}

Connection connect(const std::vector<std::string>& urls) {
  natsOptions* raw = nullptr;
  check(natsOptions_Create(&raw), "natsOptions_Create");
  const Options options(raw);
  std::vector<const char*> servers;
  for (const auto& url : urls) servers.push_back(url.c_str());
  check(natsOptions_SetServers(options.get(), servers.data(), static_cast<int>(servers.size())),
        "natsOptions_SetServers");
  natsConnection* connection = nullptr;
  check(natsConnection_Connect(&connection, options.get()), "connecting to " + urls.front());
  return Connection(connection);
}

JetStream jetstream(natsConnection* connection, jsOptions* options) {
  jsCtx* js = nullptr;
  check(natsConnection_JetStream(&js, connection, options), "natsConnection_JetStream");
  return JetStream(js);
}

void ensure_stream(jsCtx* js, const Settings& settings) {
  // As shmq-bridge out creates its stream: the same storage, replicas and duplicate window.
  (void)bridge::ensure_stream(js, {settings.stream, settings.subject, settings.replicas});
}

// The durable as the benchmark wants it: created before the first publish, so that what an
// earlier run left in the stream is not this run's; room for the batch being acked and the next
// ones fetched (the server's default of 1000 would throttle fetches of more than a few hundred).
bridge::DurableWanted durable_wanted(const Settings& settings) {
  return {settings.stream,
          settings.durable,
          std::chrono::seconds(30),
          4 * static_cast<std::int64_t>(settings.batch),
          true,
          settings.subject};
}

void ensure_durable(jsCtx* js, const Settings& settings) {
  bridge::ensure_durable(js, durable_wanted(settings));
}

Subscription bind_durable(jsCtx* js, const Settings& settings) {
  return Subscription(bridge::bind_durable(js, durable_wanted(settings)));
}

}  // namespace shmq::nats_bench
