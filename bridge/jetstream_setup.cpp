#include "jetstream_setup.hpp"

#include <iostream>
#include <vector>

#include "exit_codes.hpp"
#include "nats_session.hpp"
#include "signals.hpp"
#include "subject_match.hpp"

namespace shmq::bridge {

namespace {

constexpr auto kStreamPoll = std::chrono::milliseconds(500);

[[noreturn]] void refuse(const std::string& what, natsStatus status, jsErrCode code) {
  throw BridgeFailure(cli::kExitFailure,
                      what + ": " + describe(status) +
                          (code != 0 ? " (JetStream error " + std::to_string(code) + ")" : ""));
}

std::string joined(const char** subjects, int count) {
  std::string text;
  for (int i = 0; i < count; ++i) text += (i == 0 ? "" : ", ") + std::string(subjects[i]);
  return text;
}

}  // namespace

StreamFacts ensure_stream(jsCtx* js, const StreamWanted& wanted) {
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  StreamFacts facts;
  natsStatus status = js_GetStreamInfo(&info, js, wanted.name.c_str(), nullptr, &code);
  if (status == NATS_NOT_FOUND) {
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    const char* subjects[] = {wanted.subject.c_str()};
    config.Name = wanted.name.c_str();
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    config.Storage = js_FileStorage;
    config.Replicas = wanted.replicas;
    config.Duplicates = wanted.duplicate_window.count();
    config.MaxMsgSize = wanted.max_message_size;
    status = js_AddStream(&info, js, &config, nullptr, &code);
    if (status != NATS_OK) {
      refuse("cannot create stream '" + wanted.name + "' on subject '" + wanted.subject + "'",
             status, code);
    }
    facts.created = true;
  } else if (status != NATS_OK) {
    refuse("cannot look up stream '" + wanted.name + "'", status, code);
  }
  const jsStreamConfig& config = *info->Config;
  bool covered = false;
  for (int i = 0; i < config.SubjectsLen && !covered; ++i) {
    covered = subject_covers(config.Subjects[i], wanted.subject);
  }
  const std::string subjects = joined(config.Subjects, config.SubjectsLen);
  facts.max_message_size = config.MaxMsgSize;
  facts.duplicate_window = std::chrono::nanoseconds(config.Duplicates);
  jsStreamInfo_Destroy(info);
  if (!covered) {
    throw BridgeFailure(cli::kExitFailure, "stream '" + wanted.name + "' exists with subjects [" +
                                               subjects + "], which do not cover '" +
                                               wanted.subject +
                                               "': pick another --stream or a --subject it covers");
  }
  return facts;
}

void wait_for_stream(jsCtx* js, const std::string& stream, Clock::time_point until,
                     const char* program, bool quiet) {
  bool told = quiet;
  for (;;) {
    jsStreamInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    const natsStatus status = js_GetStreamInfo(&info, js, stream.c_str(), nullptr, &code);
    jsStreamInfo_Destroy(info);
    if (status == NATS_OK) return;
    // Not found, or no answer (the cluster electing a leader): both pass with time.
    if (status != NATS_NOT_FOUND && status != NATS_TIMEOUT && status != NATS_NO_RESPONDERS) {
      refuse("cannot look up stream '" + stream + "'", status, code);
    }
    if (!told) {
      std::cerr << program << ": waiting for stream '" << stream
                << "' to appear (shmq-bridge out creates it)\n";
      told = true;
    }
    if (Clock::now() + kStreamPoll >= until) {
      throw BridgeFailure(cli::kExitTimeout, "no stream '" + stream + "' before --timeout");
    }
    if (!cli::pause_unless_stopped(kStreamPoll)) {
      throw BridgeFailure(cli::interrupted_exit_code(), "stopped while waiting for the stream");
    }
  }
}

void ensure_durable(jsCtx* js, const DurableWanted& wanted) {
  jsConsumerInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status =
      js_GetConsumerInfo(&info, js, wanted.stream.c_str(), wanted.name.c_str(), nullptr, &code);
  if (status == NATS_NOT_FOUND) {
    jsConsumerConfig config;
    jsConsumerConfig_Init(&config);
    config.Durable = wanted.name.c_str();
    config.AckPolicy = js_AckExplicit;
    config.DeliverPolicy = wanted.from_now ? js_DeliverNew : js_DeliverAll;
    if (!wanted.subject.empty()) config.FilterSubject = wanted.subject.c_str();
    config.AckWait = wanted.ack_wait.count();
    config.MaxAckPending = wanted.max_ack_pending;
    status = js_AddConsumer(&info, js, wanted.stream.c_str(), &config, nullptr, &code);
  }
  jsConsumerInfo_Destroy(info);
  if (status != NATS_OK) {
    refuse("cannot set up durable consumer '" + wanted.name + "' of stream '" + wanted.stream + "'",
           status, code);
  }
}

natsSubscription* bind_durable(jsCtx* js, const DurableWanted& wanted) {
  ensure_durable(js, wanted);
  jsErrCode code = static_cast<jsErrCode>(0);
  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = wanted.stream.c_str();
  options.Consumer = wanted.name.c_str();
  natsSubscription* subscription = nullptr;
  const natsStatus status =
      js_PullSubscribe(&subscription, js, nullptr, nullptr, nullptr, &options, &code);
  if (status != NATS_OK) {
    refuse("cannot bind to durable consumer '" + wanted.name + "'", status, code);
  }
  return subscription;
}

}  // namespace shmq::bridge
