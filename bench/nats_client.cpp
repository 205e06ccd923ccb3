#include "nats_client.hpp"

#include <stdexcept>

namespace shmq::nats_bench {
namespace {

using StreamInfo = std::unique_ptr<jsStreamInfo, Destroyer<jsStreamInfo_Destroy>>;
using ConsumerInfo = std::unique_ptr<jsConsumerInfo, Destroyer<jsConsumerInfo_Destroy>>;
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
  jsStreamInfo* found = nullptr;
  jsErrCode code{};
  const natsStatus status = js_GetStreamInfo(&found, js, settings.stream.c_str(), nullptr, &code);
  const StreamInfo existing(found);
  if (status == NATS_OK) return;
  if (status != NATS_NOT_FOUND && code != JSStreamNotFoundErr) {
    check(status, "looking up stream " + settings.stream, code);
  }
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  const char* subjects[] = {settings.subject.c_str()};
  config.Name = settings.stream.c_str();
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  config.Replicas = settings.replicas;
  jsStreamInfo* created = nullptr;
  check(js_AddStream(&created, js, &config, nullptr, &code), "creating stream " + settings.stream,
        code);
  const StreamInfo made(created);
}

void ensure_durable(jsCtx* js, const Settings& settings) {
  jsConsumerInfo* found = nullptr;
  jsErrCode code{};
  const natsStatus status = js_GetConsumerInfo(&found, js, settings.stream.c_str(),
                                               settings.durable.c_str(), nullptr, &code);
  const ConsumerInfo existing(found);
  if (status == NATS_OK) return;
  if (status != NATS_NOT_FOUND && code != JSConsumerNotFoundErr) {
    check(status, "looking up consumer " + settings.durable, code);
  }
  jsConsumerConfig config;
  jsConsumerConfig_Init(&config);
  config.Durable = settings.durable.c_str();
  config.AckPolicy = js_AckExplicit;
  // Created before the first publish: what an earlier run left in the stream is not this run's.
  config.DeliverPolicy = js_DeliverNew;
  config.FilterSubject = settings.subject.c_str();
  // Room for the batch being acked and the next ones fetched: the server's default (1000)
  // would throttle fetches of more than a few hundred.
  config.MaxAckPending = 4 * static_cast<int64_t>(settings.batch);
  jsConsumerInfo* created = nullptr;
  check(js_AddConsumer(&created, js, settings.stream.c_str(), &config, nullptr, &code),
        "creating consumer " + settings.durable, code);
  const ConsumerInfo made(created);
}

Subscription bind_durable(jsCtx* js, const Settings& settings) {
  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = settings.stream.c_str();
  options.Consumer = settings.durable.c_str();
  natsSubscription* subscription = nullptr;
  jsErrCode code{};
  check(js_PullSubscribe(&subscription, js, settings.subject.c_str(), settings.durable.c_str(),
                         nullptr, &options, &code),
        "binding to consumer " + settings.durable, code);
  return Subscription(subscription);
}

}  // namespace shmq::nats_bench
