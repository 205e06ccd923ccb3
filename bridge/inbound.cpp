#include "inbound.hpp"

#include <algorithm>
#include <iostream>
#include <memory>
#include <span>
#include <string>

#include "exit_codes.hpp"
#include "fetch_batch.hpp"
#include "jetstream_setup.hpp"
#include "message_id.hpp"
#include "run_report.hpp"
#include "shmq/producer.hpp"
#include "signals.hpp"

namespace shmq::bridge {

namespace {

constexpr int kFetchWaitMs = 1000;  // one fetch's wait: connection events in between
constexpr auto kRetryPause = std::chrono::milliseconds(200);
// While the ring stays full, a fetched message is told "in progress" this often, so that
// JetStream does not deliver it again (its AckWait) while it waits for room.
constexpr auto kProgressEvery = std::chrono::seconds(1);

bool is_end_marker(natsMsg* message) {
  const char* value = nullptr;
  return natsMsgHeader_Get(message, kEndOfStreamHeader, &value) == NATS_OK;
}

std::span<const std::byte> payload(natsMsg* message) {
  return {reinterpret_cast<const std::byte*>(natsMsg_GetData(message)),
          static_cast<std::size_t>(natsMsg_GetDataLength(message))};
}

class Inbound {
 public:
  Inbound(const BridgeSettings& settings, natsSubscription* subscription, Producer& producer,
          RunReport& report)
      : settings_(settings), subscription_(subscription), producer_(producer), report_(report) {}

  enum class Result : std::uint8_t { more, ended, stopped };

  // Fetches a batch and puts it into the ring, then acknowledges it.
  Result step() {
    natsMsgList list{};
    const Clock::time_point asked = Clock::now();
    const natsStatus status =
        fetch_batch(list, subscription_, static_cast<int>(settings_.batch), kFetchWaitMs);
    if (status != NATS_OK) {
      natsMsgList_Destroy(&list);
      // A fetch can time out at once, just after one that timed out (nats.c issue 631): such
      // an answer is waited out like an error, not asked again in a busy loop.
      const bool at_once = Clock::now() - asked < std::chrono::milliseconds(kFetchWaitMs / 2);
      return idle(status, at_once);
    }
    quiet_ = false;
    const Result result = deliver(list);
    natsMsgList_Destroy(&list);
    return result;
  }

 private:
  // No batch: a quiet stream (fetched_nothing()), or the cluster gone for now. Either is waited
  // out until --timeout.
  Result idle(natsStatus status, bool at_once) {
    if (!quiet_) {
      quiet_ = true;
      quiet_until_ = settings_.common.deadline();
    }
    if (!fetched_nothing(status) && !told_) {
      report_.line.clear();
      std::cerr << report_.program << ": cannot fetch from stream '" << settings_.stream
                << "': " << describe(status) << "; retrying until --timeout\n";
      told_ = true;
    }
    if (Clock::now() >= quiet_until_) {
      report_.stop_on(Status::timeout, report_.program.c_str(), settings_.common.name);
      return Result::stopped;
    }
    if ((!fetched_nothing(status) || at_once) && !cli::pause_unless_stopped(kRetryPause)) {
      report_.stop_on(Status::cancelled, report_.program.c_str(), settings_.common.name);
      return Result::stopped;
    }
    if (cli::stop_requested()) {
      report_.stop_on(Status::cancelled, report_.program.c_str(), settings_.common.name);
      return Result::stopped;
    }
    return Result::more;
  }

  // Puts each message into the ring, in order, acknowledging what went in. Stops at the end
  // marker (unless --follow): what the batch holds after it is left to JetStream, unacknowledged
  // (told to deliver it again at once), for whoever reads the durable next.
  Result deliver(natsMsgList& list) {
    told_ = false;
    int put = 0;
    Result result = Result::more;
    for (; put < list.Count; ++put) {
      natsMsg* message = list.Msgs[put];
      if (is_end_marker(message)) {
        if (settings_.follow) continue;  // acknowledged with the rest
        result = Result::ended;
        break;
      }
      if (!report_.since_first_message) report_.since_first_message.emplace();
      const Status status = put_waiting(list, put, payload(message));
      if (status != Status::ok) {
        refuse(status, payload(message).size());
        result = Result::stopped;
        break;
      }
      ++report_.messages;
      report_.bytes += payload(message).size();
    }
    acknowledge(list, put);
    if (result == Result::ended) {
      // Ended in the queue before the marker is acknowledged: killed in between, the successor
      // meets the marker again and ends a stream that has already ended, which is harmless.
      producer_.end_stream();
      acknowledge_marker(list.Msgs[put]);
      ++put;
    }
    for (int k = put; k < list.Count; ++k) (void)natsMsg_Nak(list.Msgs[k], nullptr);
    if (report_.line.due()) report_.line.draw(report_.messages, report_.bytes, producer_.depth());
    return result;
  }

  // Puts one message, waiting for room in slices; between them it tells JetStream the batch's
  // messages are in progress. ok | timeout (--timeout without room) | too_big | cancelled | ...
  Status put_waiting(natsMsgList& list, int from, std::span<const std::byte> message) {
    const Clock::time_point give_up = settings_.common.deadline();
    for (;;) {
      const Status status =
          producer_.put_until(message, std::min(give_up, Clock::now() + kProgressEvery));
      if (status != Status::timeout || Clock::now() >= give_up) return status;
      for (int k = from; k < list.Count; ++k) (void)natsMsg_InProgress(list.Msgs[k], nullptr);
    }
  }

  // Acknowledges the first `count` messages. No flush: the acknowledgements go out on the
  // connection ahead of the next fetch's request, so a bridge killed before they left had not
  // fetched more, and what it duplicates is at most this batch.
  void acknowledge(natsMsgList& list, int count) {
    for (int k = 0; k < count; ++k) (void)natsMsg_Ack(list.Msgs[k], nullptr);
  }

  // Acknowledges the end marker and waits until JetStream has it, until --timeout: a marker
  // left unacknowledged would be delivered again and end the next stream before it began.
  void acknowledge_marker(natsMsg* marker) {
    const Clock::time_point give_up = settings_.common.deadline();
    for (;;) {
      const natsStatus status = natsMsg_AckSync(marker, nullptr, nullptr);
      if (status == NATS_OK || Clock::now() >= give_up) return;
      if (!cli::pause_unless_stopped(kRetryPause)) return;
    }
  }

  void refuse(Status status, std::size_t size) {
    if (status == Status::too_big) {
      report_.line.clear();
      std::cerr << report_.program << ": a message of " << size << " bytes does not fit the "
                << "queue's " << producer_.geometry().slot_size << "-byte slots: it stays in "
                << "the stream, unacknowledged (create the queue with a larger --slot-size)\n";
      report_.stop(cli::kExitRejected, "rejected");
      return;
    }
    report_.stop_on(status, report_.program.c_str(), settings_.common.name);
  }

  const BridgeSettings& settings_;
  natsSubscription* subscription_;
  Producer& producer_;
  RunReport& report_;
  bool quiet_ = false;             // the last fetch brought nothing
  Clock::time_point quiet_until_;  // and this is when the quiet spell passes --timeout
  bool told_ = false;
};

}  // namespace

int run_in(const BridgeSettings& settings, const std::atomic<bool>& stop) {
  NatsSession session(settings.nats, settings.common.deadline(), stop);
  wait_for_stream(session.js(), settings.stream, settings.common.deadline(), settings.program(),
                  settings.common.quiet);
  // Destroyed, never unsubscribed, however the run ends: the durable stays for a successor.
  const std::unique_ptr<natsSubscription, decltype(&natsSubscription_Destroy)> subscription(
      bind_durable(session.js(), {settings.stream, settings.durable, settings.ack_wait,
                                  std::max<std::int64_t>(std::int64_t{settings.batch} * 4, 1024)}),
      natsSubscription_Destroy);
  RunReport report(settings);
  const auto note = [&] {
    return "bridge in from " + session.connected_url() + " stream " + settings.stream +
           " durable " + settings.durable;
  };
  const std::string first_note = note();
  AttachOptions attach{settings.common.wait, &stop};
  // With --follow too: it never ends the stream, and killed it owes what it would have carried.
  attach.ends_explicitly = true;
  attach.note = first_note;
  Producer producer(settings.common.name, settings.common.open_mode(), settings.common.config,
                    attach);
  cli::report_repairs(report.program.c_str(), settings.common, producer.reaped_at_attach(),
                      producer.replaced_abandoned());
  Inbound inbound(settings, subscription.get(), producer, report);
  for (;;) {
    if (report.tell_connection_events(session)) producer.set_note(note());
    if (inbound.step() != Inbound::Result::more) break;
  }
  producer.close();  // after end_stream(), or leaving the end owed for a successor
  return report.finish(settings, {{"reconnects", session.reconnects()}});
}

}  // namespace shmq::bridge
