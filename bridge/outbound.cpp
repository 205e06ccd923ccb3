#include "outbound.hpp"

#include <algorithm>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

#include "exit_codes.hpp"
#include "jetstream_setup.hpp"
#include "message_id.hpp"
#include "run_report.hpp"
#include "shmq/consumer.hpp"
#include "shmq/inspect.hpp"
#include "signals.hpp"
#include "wait_notice.hpp"

namespace shmq::bridge {

namespace {

constexpr std::int64_t kAckTimeoutMs = 5000;  // one publish's wait for its PubAck
constexpr auto kRetryPause = std::chrono::milliseconds(200);

// A publish JetStream did not acknowledge, as the library's thread reported it.
struct Failure {
  std::string id;  // its Nats-Msg-Id
  natsStatus status = NATS_OK;
  jsErrCode code = static_cast<jsErrCode>(0);
  std::string text;
};

// What the acknowledgement handler (a library thread) hands the bridge's thread.
struct AckLog {
  std::mutex mutex;
  std::vector<Failure> failures;  // guarded by mutex
  std::atomic<std::uint64_t> acked{0};
  std::atomic<std::uint64_t> duplicates{0};  // acknowledged as already in the stream

  std::vector<Failure> take_failures() {
    const std::lock_guard lock(mutex);
    return std::exchange(failures, {});
  }
};

void on_ack(jsCtx*, natsMsg* message, jsPubAck* ack, jsPubAckErr* error, void* closure) {
  auto& log = *static_cast<AckLog*>(closure);
  if (ack != nullptr) {
    // relaxed: counters; the bridge thread reads them after js_PublishAsyncComplete().
    log.acked.fetch_add(1, std::memory_order_relaxed);
    if (ack->Duplicate) log.duplicates.fetch_add(1, std::memory_order_relaxed);
  } else if (error != nullptr) {
    const char* id = nullptr;
    (void)natsMsgHeader_Get(message, kMsgIdHeader, &id);
    const std::lock_guard lock(log.mutex);
    log.failures.push_back({id != nullptr ? id : "", error->Err, error->ErrCode,
                            error->ErrText != nullptr ? error->ErrText : ""});
  }
  natsMsg_Destroy(message);
}

// Where message `id` is in the batch: take() lists them in id order.
std::optional<std::size_t> index_of(const ReadBatch& batch, MessageId id) {
  std::size_t low = 0;
  std::size_t high = batch.size();
  const auto before = [](MessageId a, MessageId b) {
    return a.position < b.position || (a.position == b.position && a.record < b.record);
  };
  while (low < high) {
    const std::size_t middle = (low + high) / 2;
    if (before(batch.id(middle), id)) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  if (low < batch.size() && batch.id(low) == id) return low;
  return std::nullopt;
}

class Outbound {
 public:
  Outbound(const BridgeSettings& settings, NatsSession& session, AckLog& log,
           std::uint64_t incarnation, RunReport& report)
      : settings_(settings), session_(session), log_(log), ids_(incarnation), report_(report) {
    jsPubOptions_Init(&publish_options_);
    publish_options_.MaxWait = kAckTimeoutMs;
    jsPubOptions_Init(&complete_options_);
    complete_options_.MaxWait = kAckTimeoutMs + 1000;  // the library times out each one first
  }

  enum class Result : std::uint8_t { carried, timeout, stopped };

  // Publishes the batch until JetStream has acknowledged (or refused as too large) every
  // message; republishes under the same ids what it did not acknowledge.
  Result carry(const ReadBatch& batch) {
    std::vector<std::size_t> pending(batch.size());
    for (std::size_t i = 0; i < pending.size(); ++i) pending[i] = i;
    Clock::time_point give_up = settings_.common.deadline();
    for (bool first_round = true; !pending.empty(); first_round = false) {
      if (!first_round) republished_ += pending.size();
      const std::uint64_t acked_before = log_.acked.load(std::memory_order_relaxed);
      std::vector<std::size_t> again;
      for (const std::size_t i : pending) {
        if (!publish(batch, i)) again.push_back(i);
      }
      const natsStatus complete = js_PublishAsyncComplete(session_.js(), &complete_options_);
      if (complete != NATS_OK) take_pending(batch, again);
      for (const Failure& failure : log_.take_failures()) settle(batch, failure, again);
      std::sort(again.begin(), again.end());
      again.erase(std::unique(again.begin(), again.end()), again.end());
      pending = std::move(again);
      // relaxed: see on_ack().
      if (log_.acked.load(std::memory_order_relaxed) != acked_before) {
        give_up = settings_.common.deadline();  // progress: the patience starts again
      }
      if (pending.empty()) break;
      tell_stall(pending.size());
      if (Clock::now() >= give_up) return Result::timeout;
      if (!cli::pause_unless_stopped(kRetryPause)) return Result::stopped;
    }
    if (stalled_) {
      std::cerr << report_.program << ": JetStream acknowledges again\n";
      stalled_ = false;
    }
    return Result::carried;
  }

  // Publishes the end-of-stream marker (headers only), retrying until acknowledged.
  Result publish_end(std::uint64_t producers_ever) {
    const std::string id = ids_.end_of_stream(producers_ever);
    const Clock::time_point give_up = settings_.common.deadline();
    for (;;) {
      natsMsg* marker = nullptr;
      natsStatus status = natsMsg_Create(&marker, settings_.subject.c_str(), nullptr, nullptr, 0);
      if (status == NATS_OK) status = natsMsgHeader_Set(marker, kMsgIdHeader, id.c_str());
      if (status == NATS_OK) status = natsMsgHeader_Set(marker, kEndOfStreamHeader, "1");
      jsPubAck* ack = nullptr;
      jsErrCode code = static_cast<jsErrCode>(0);
      if (status == NATS_OK) {
        status = js_PublishMsg(&ack, session_.js(), marker, &publish_options_, &code);
      }
      jsPubAck_Destroy(ack);
      natsMsg_Destroy(marker);
      if (status == NATS_OK) return Result::carried;
      tell_stall(1);
      if (Clock::now() >= give_up) return Result::timeout;
      if (!cli::pause_unless_stopped(kRetryPause)) return Result::stopped;
    }
  }

  [[nodiscard]] std::uint64_t republished() const noexcept { return republished_; }
  [[nodiscard]] std::uint64_t rejected() const noexcept { return rejected_; }

 private:
  // Hands message i to the library, which owns it from then on. False if it must be tried
  // again (the window stayed full, the connection is down); a message no server can take is
  // refused here and settled.
  bool publish(const ReadBatch& batch, std::size_t i) {
    const auto message = batch[i];
    natsMsg* out = nullptr;
    natsStatus status =
        natsMsg_Create(&out, settings_.subject.c_str(), nullptr,
                       reinterpret_cast<const char*>(message.data()), static_cast<int>(message.size()));
    if (status == NATS_OK) status = natsMsgHeader_Set(out, kMsgIdHeader, ids_.of(batch.id(i)));
    if (status == NATS_OK) status = js_PublishMsgAsync(session_.js(), &out, &publish_options_);
    natsMsg_Destroy(out);  // no-op if the library took it
    if (status == NATS_MAX_PAYLOAD) {
      reject(batch, i, "larger than the NATS server's max_payload");
      return true;
    }
    return status == NATS_OK;
  }

  // js_PublishAsyncComplete() timed out: what is still unacknowledged is published again.
  void take_pending(const ReadBatch& batch, std::vector<std::size_t>& again) {
    natsMsgList list{};
    if (js_PublishAsyncGetPendingList(&list, session_.js()) != NATS_OK) return;
    for (int k = 0; k < list.Count; ++k) {
      const char* id = nullptr;
      if (natsMsgHeader_Get(list.Msgs[k], kMsgIdHeader, &id) != NATS_OK) continue;
      if (const auto i = find(batch, id)) again.push_back(*i);
    }
    natsMsgList_Destroy(&list);
  }

  void settle(const ReadBatch& batch, const Failure& failure, std::vector<std::size_t>& again) {
    const auto i = find(batch, failure.id.c_str());
    if (!i) return;  // not this batch's: a late answer to an earlier one, already settled
    if (failure.code == JSStreamMessageExceedsMaximumErr) {
      reject(batch, *i, "larger than stream '" + settings_.stream + "' allows (" +
                            failure.text + ")");
      return;
    }
    last_reason_ = failure.code != 0 ? failure.text : describe(failure.status);
    again.push_back(*i);  // a timeout, a leader election, a node gone: try again
  }

  std::optional<std::size_t> find(const ReadBatch& batch, const char* id) const {
    const auto parsed = ids_.parse(id);
    return parsed ? index_of(batch, *parsed) : std::nullopt;
  }

  void reject(const ReadBatch& batch, std::size_t i, const std::string& why) {
    ++rejected_;
    report_.line.clear();
    std::cerr << report_.program << ": message " << ids_.of(batch.id(i)) << " ("
              << batch[i].size() << " bytes) refused: " << why
              << "; it is not carried (the run ends with exit 6)\n";
  }

  // Says once per stall that messages wait in the ring for JetStream.
  void tell_stall(std::size_t unacknowledged) {
    if (stalled_) return;
    stalled_ = true;
    report_.line.clear();
    std::cerr << report_.program << ": JetStream has not acknowledged " << unacknowledged
              << " messages" << (last_reason_.empty() ? "" : " (" + last_reason_ + ")")
              << "; they stay in the ring (producers feel backpressure), retrying until "
              << "--timeout\n";
  }

  const BridgeSettings& settings_;
  NatsSession& session_;
  AckLog& log_;
  MessageIdText ids_;
  RunReport& report_;
  jsPubOptions publish_options_;
  jsPubOptions complete_options_;
  std::uint64_t republished_ = 0;
  std::uint64_t rejected_ = 0;
  bool stalled_ = false;
  std::string last_reason_;
};

}  // namespace

// Whether the queue's stream had ended when we attached: producers came and all left, and
// every message they put was finished. A consumer attaching then waits for the next producer;
// we carry the end instead, which a predecessor killed before its marker was acknowledged owes.
bool stream_ended_before(const BridgeSettings& settings) {
  const QueueSnapshot queue = inspect_queue(settings.common.name, settings.common.config);
  return queue.producers_ever != 0 && queue.count(layout::Role::producer, true) == 0 &&
         queue.count(layout::Role::producer, false) == 0 && queue.depth == 0 &&
         queue.messages_in == queue.messages_out;
}

int run_out(const BridgeSettings& settings, const std::atomic<bool>& stop) {
  AckLog log;
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.PublishAsync.MaxPending = settings.max_pending;
  js_options.PublishAsync.AckHandler = on_ack;
  js_options.PublishAsync.AckHandlerClosure = &log;
  NatsSession session(settings.nats, settings.common.deadline(), stop, &js_options);
  const StreamFacts stream =
      ensure_stream(session.js(), {settings.stream, settings.subject, settings.replicas,
                                   settings.duplicate_window, settings.max_message_size});
  RunReport report(settings);
  const auto note = [&] {
    return "bridge out to " + session.connected_url() + " stream " + settings.stream +
           " subject " + settings.subject;
  };
  const std::string first_note = note();
  AttachOptions attach{settings.common.wait, &stop};
  attach.note = first_note;
  Consumer consumer(settings.common.name, settings.common.open_mode(), settings.common.config,
                    attach);
  cli::report_repairs(report.program.c_str(), settings.common, consumer.reaped_at_attach(),
                      consumer.replaced_abandoned());
  const std::int64_t limit = std::min<std::int64_t>(
      stream.max_message_size > 0 ? stream.max_message_size : INT64_MAX,
      natsConnection_GetMaxPayload(session.connection()));
  if (!settings.common.quiet && consumer.geometry().slot_size > limit) {
    std::cerr << report.program << ": the queue's slots hold up to "
              << consumer.geometry().slot_size << " bytes but the stream takes messages of up to "
              << limit << " bytes (with headers): longer ones will be refused\n";
  }

  Outbound outbound(settings, session, log, consumer.queue_incarnation(), report);
  cli::WaitNotice notice({report.program, settings.common.name, consumer.created_queue(),
                          settings.common.config},
                         !settings.common.quiet, report.line);
  ReadBatch batch;
  batch.keep_ids(true);
  // A predecessor killed after carrying the last message, before the marker: carry the end.
  bool ended_before_us = !settings.follow && stream_ended_before(settings);
  for (;;) {
    if (report.tell_connection_events(session)) consumer.set_note(note());
    const Status status = ended_before_us ? Status::end_of_stream : notice.run(settings.common.deadline(), cli::WaitingFor::messages,
                                     [&](Clock::time_point until) {
                                       // In slices: connection events are told as they happen.
                                       return consumer.take(
                                           batch, settings.max_pending,
                                           std::min(until, Clock::now() + std::chrono::seconds(1)));
                                     });
    if (status == Status::timeout && Clock::now() < settings.common.deadline()) continue;
    if (status == Status::end_of_stream) {
      if (settings.follow) {  // a later producer goes on with the stream
        if (!cli::pause_unless_stopped(kWaitSlice)) break;
        continue;
      }
      const auto ended = outbound.publish_end(
          inspect_queue(settings.common.name, settings.common.config).producers_ever);
      if (ended == Outbound::Result::carried) break;  // end of stream, exit 0
      report.stop_on(ended == Outbound::Result::timeout ? Status::timeout : Status::cancelled,
                     report.program.c_str(), settings.common.name);
      break;
    }
    if (status != Status::ok && status != Status::corrupt) {
      report.stop_on(status, report.program.c_str(), settings.common.name);
      break;
    }
    if (!report.since_first_message && !batch.empty()) report.since_first_message.emplace();
    const auto carried = outbound.carry(batch);
    if (carried != Outbound::Result::carried) {
      // Not released: what the batch holds goes back to the ring when we detach.
      report.stop_on(carried == Outbound::Result::timeout ? Status::timeout : Status::cancelled,
                     report.program.c_str(), settings.common.name);
      break;
    }
    for (const auto message : batch) report.bytes += message.size();
    report.messages += batch.size();
    consumer.release(batch);
    if (report.line.due()) report.line.draw(report.messages, report.bytes, consumer.depth());
    if (status == Status::corrupt || cli::stop_requested()) {
      report.stop_on(status == Status::corrupt ? status : Status::cancelled,
                     report.program.c_str(), settings.common.name);
      break;
    }
  }
  consumer.close();
  if (outbound.rejected() != 0 && !report.stopped()) {
    report.stop(cli::kExitRejected, "rejected");
  }
  return report.finish(settings, {{"republished", outbound.republished()},
                                  {"duplicates", log.duplicates.load(std::memory_order_relaxed)},
                                  {"rejected", outbound.rejected()},
                                  {"reconnects", session.reconnects()}});
}

}  // namespace shmq::bridge
