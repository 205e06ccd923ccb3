#include "outbound.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
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
// Batches published and not yet acknowledged at once: what arrives while one batch awaits its
// acknowledgements goes out at once, in the next.
constexpr std::size_t kMaxFlights = 4;
// While batches fly and another may join them, how often the ring is looked at for more.
constexpr auto kLookForMore = std::chrono::microseconds(200);

enum class Fate : std::uint8_t { pending, acknowledged, failed, refused };

// A batch taken from the ring and published. It goes back to the ring only once every message
// of it is acknowledged (or refused: too large for the stream). Its fates are the ack
// handler's to write and the bridge's to read, both under AckBook's mutex.
struct Flight {
  ReadBatch batch;
  std::vector<Fate> fates;
  std::size_t pending = 0;
  std::string last_failure;  // why a publish failed, the last time one did
  // The messages refused (too large), and why: message index, reason.
  std::vector<std::pair<std::size_t, std::string>> refusals;
};

// Where message `id` is in the batch: take() lists them in id order.
std::optional<std::size_t> index_of(const ReadBatch& batch, MessageId id) {
  const auto before = [](MessageId a, MessageId b) {
    return a.position < b.position || (a.position == b.position && a.record < b.record);
  };
  std::size_t low = 0;
  std::size_t high = batch.size();
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

// What the acknowledgement handler (a library thread) and the bridge's thread share: the
// batches in flight, and what JetStream said of each message.
class AckBook {
 public:
  // The queue's incarnation, once attached (answers before it name no message of ours), and
  // the stream's name, for what it refuses.
  void name_queue(std::uint64_t incarnation, const std::string& stream) {
    const std::lock_guard lock(mutex_);
    ids_.emplace(incarnation);
    stream_ = stream;
  }

  void fly(Flight& flight) {
    const std::lock_guard lock(mutex_);
    flight.fates.assign(flight.batch.size(), Fate::pending);
    flight.pending = flight.batch.size();
    flights_.push_back(&flight);
    progress_ = Clock::now();
  }

  // Every flight leaves the book (the run stops with some in the air): answers that come later
  // find none to write to.
  void clear() {
    const std::lock_guard lock(mutex_);
    flights_.clear();
  }

  // The flight leaves the book: no answer can reach it any more.
  void land(Flight& flight) {
    const std::lock_guard lock(mutex_);
    flights_.erase(std::find(flights_.begin(), flights_.end(), &flight));
  }

  // An answer from JetStream (or the library's timeout) for the message with Nats-Msg-Id `id`.
  void answer(const char* id, const jsPubAck* ack, const jsPubAckErr* error) {
    const std::lock_guard lock(mutex_);
    const auto named = id != nullptr && ids_ ? ids_->parse(id) : std::nullopt;
    if (!named) return;
    for (Flight* flight : flights_) {
      const auto i = index_of(flight->batch, *named);
      if (!i) continue;
      if (ack != nullptr) {
        if (ack->Duplicate) ++duplicates_;
        settle_locked(*flight, *i, Fate::acknowledged, {});
        progress_ = Clock::now();
      } else if (error != nullptr && error->ErrCode == JSStreamMessageExceedsMaximumErr) {
        settle_locked(*flight, *i, Fate::refused,
                      "larger than stream '" + stream_ + "' allows (" +
                          (error->ErrText != nullptr ? error->ErrText : "") + ")");
      } else if (error != nullptr) {
        settle_locked(*flight, *i, Fate::failed,
                      error->ErrCode != 0 && error->ErrText != nullptr ? error->ErrText
                                                                       : describe(error->Err));
      }
      return;
    }
  }

  // What the bridge decides itself: a publish the library refused at once.
  void settle(Flight& flight, std::size_t i, Fate fate, const std::string& why) {
    const std::lock_guard lock(mutex_);
    settle_locked(flight, i, fate, why);
  }

  // Waits until no message of the flight is pending, or `until`; whether none is.
  bool wait(Flight& flight, Clock::time_point until) {
    std::unique_lock lock(mutex_);
    return settled_.wait_until(lock, until, [&] { return flight.pending == 0; });
  }

  // The flight's failed messages, pending again (to be published again), and why they failed.
  std::vector<std::size_t> take_failed(Flight& flight, std::string& why) {
    const std::lock_guard lock(mutex_);
    std::vector<std::size_t> failed;
    for (std::size_t i = 0; i < flight.fates.size(); ++i) {
      if (flight.fates[i] != Fate::failed) continue;
      flight.fates[i] = Fate::pending;
      ++flight.pending;
      failed.push_back(i);
    }
    why = flight.last_failure;
    return failed;
  }

  // When JetStream last acknowledged anything, or a batch took off.
  Clock::time_point progress() {
    const std::lock_guard lock(mutex_);
    return progress_;
  }

  std::uint64_t duplicates() {
    const std::lock_guard lock(mutex_);
    return duplicates_;
  }

 private:
  void settle_locked(Flight& flight, std::size_t i, Fate fate, const std::string& why) {
    if (flight.fates[i] != Fate::pending) return;  // a late answer to a publish made again
    flight.fates[i] = fate;
    if (fate == Fate::failed) flight.last_failure = why;
    if (fate == Fate::refused) flight.refusals.emplace_back(i, why);
    if (--flight.pending == 0) settled_.notify_all();
  }

  std::mutex mutex_;
  std::optional<MessageIdText> ids_;
  std::string stream_;
  std::condition_variable settled_;
  std::vector<Flight*> flights_;  // guarded by mutex_, as is every Flight's fates
  Clock::time_point progress_{};
  std::uint64_t duplicates_ = 0;
};

void on_ack(jsCtx*, natsMsg* message, jsPubAck* ack, jsPubAckErr* error, void* closure) {
  const char* id = nullptr;
  if (natsMsgHeader_Get(message, kMsgIdHeader, &id) != NATS_OK) id = nullptr;
  static_cast<AckBook*>(closure)->answer(id, ack, error);
  natsMsg_Destroy(message);
}

class Outbound {
 public:
  Outbound(const BridgeSettings& settings, NatsSession& session, AckBook& book,
           std::uint64_t incarnation, RunReport& report)
      : settings_(settings), session_(session), book_(book), ids_(incarnation), report_(report) {
    jsPubOptions_Init(&publish_options_);
    publish_options_.MaxWait = kAckTimeoutMs;  // the library answers every publish in time
  }

  enum class Result : std::uint8_t { landed, flying, timeout, stopped };

  // Publishes every message of a batch just taken.
  void launch(Flight& flight) {
    book_.fly(flight);
    for (std::size_t i = 0; i < flight.batch.size(); ++i) publish(flight, i);
  }

  // Waits for the flight (the oldest) until `until`. Landed: every message acknowledged or
  // refused, and the batch may go back to the ring. What failed is published again (same ids)
  // until JetStream acknowledges it, or --timeout passes without any acknowledgement.
  Result tend(Flight& flight, Clock::time_point until) {
    if (!book_.wait(flight, until)) {
      if (!past_patience()) return Result::flying;
      tell_stall(flight.batch.size(), "no answer at all");
      return Result::timeout;
    }
    std::string why;
    const auto failed = book_.take_failed(flight, why);
    if (failed.empty()) {
      book_.land(flight);
      for (const auto& [i, reason] : flight.refusals) refuse(flight.batch, i, reason);
      if (stalled_) {
        std::cerr << report_.program << ": JetStream acknowledges again\n";
        stalled_ = false;
      }
      return Result::landed;
    }
    tell_stall(failed.size(), why);
    if (past_patience()) return Result::timeout;
    if (!cli::pause_unless_stopped(kRetryPause)) return Result::stopped;
    republished_ += failed.size();
    for (const std::size_t i : failed) publish(flight, i);
    return Result::flying;
  }

  // Publishes the end-of-stream marker (headers only), retrying until acknowledged.
  Result publish_end(std::uint64_t producers_ever) {
    const std::string id = ids_.end_of_stream(producers_ever);
    for (;;) {
      natsMsg* marker = nullptr;
      natsStatus status = natsMsg_Create(&marker, settings_.subject.c_str(), nullptr, nullptr, 0);
      if (status == NATS_OK) status = natsMsgHeader_Set(marker, kMsgIdHeader, id.c_str());
      if (status == NATS_OK) status = natsMsgHeader_Set(marker, kEndOfStreamHeader, id.c_str());
      jsPubAck* ack = nullptr;
      jsErrCode code = static_cast<jsErrCode>(0);
      if (status == NATS_OK) {
        status = js_PublishMsg(&ack, session_.js(), marker, &publish_options_, &code);
      }
      jsPubAck_Destroy(ack);
      natsMsg_Destroy(marker);
      if (status == NATS_OK) return Result::landed;
      tell_stall(1, describe(status));
      if (past_patience()) return Result::timeout;
      if (!cli::pause_unless_stopped(kRetryPause)) return Result::stopped;
    }
  }

  // Forgets every flight: the run stops, and answers still to come must find none.
  void ground_all() { book_.clear(); }

  [[nodiscard]] std::uint64_t republished() const noexcept { return republished_; }
  [[nodiscard]] std::uint64_t refused() const noexcept { return refused_; }

 private:
  // Hands message i to the library, which owns it from then on and answers through on_ack();
  // what it refuses at once is settled here (too large for any server: refused; the
  // connection down, the window full: failed, to be published again).
  void publish(Flight& flight, std::size_t i) {
    const auto message = flight.batch[i];
    natsMsg* out = nullptr;
    natsStatus status = natsMsg_Create(&out, settings_.subject.c_str(), nullptr,
                                       reinterpret_cast<const char*>(message.data()),
                                       static_cast<int>(message.size()));
    if (status == NATS_OK) {
      status = natsMsgHeader_Set(out, kMsgIdHeader, ids_.of(flight.batch.id(i)));
    }
    if (status == NATS_OK) status = js_PublishMsgAsync(session_.js(), &out, &publish_options_);
    natsMsg_Destroy(out);  // no-op if the library took it
    if (status == NATS_MAX_PAYLOAD) {
      book_.settle(flight, i, Fate::refused, "larger than the NATS server's max_payload");
    } else if (status != NATS_OK) {
      book_.settle(flight, i, Fate::failed, describe(status));
    }
  }

  // --timeout without an acknowledgement of anything.
  bool past_patience() {
    return settings_.common.timeout && Clock::now() - book_.progress() >= *settings_.common.timeout;
  }

  void refuse(const ReadBatch& batch, std::size_t i, const std::string& why) {
    ++refused_;
    report_.line.clear();
    std::cerr << report_.program << ": message " << ids_.of(batch.id(i)) << " (" << batch[i].size()
              << " bytes) refused: " << why << "; it is not carried (the run ends with exit 6)\n";
  }

  // Says once per stall that messages wait in the ring for JetStream.
  void tell_stall(std::size_t unacknowledged, const std::string& why) {
    if (stalled_) return;
    stalled_ = true;
    report_.line.clear();
    std::cerr << report_.program << ": JetStream has not acknowledged " << unacknowledged
              << " messages" << (why.empty() ? "" : " (" + why + ")")
              << "; they stay in the ring (producers feel backpressure), retrying until "
              << "--timeout\n";
  }

  const BridgeSettings& settings_;
  NatsSession& session_;
  AckBook& book_;
  MessageIdText ids_;
  RunReport& report_;
  jsPubOptions publish_options_;
  std::uint64_t republished_ = 0;
  std::uint64_t refused_ = 0;
  bool stalled_ = false;
};

}  // namespace

// Whether the queue's stream had ended when we attached: producers came and all left, every
// message they put was finished, and none that ends only explicitly (`in`) still owes the end. A
// consumer attaching then waits for the next producer; we carry the end instead, which a
// predecessor killed before its marker was acknowledged owes.
// out is its queue's one consumer by design: a queue it creates is single-consumer, so that it
// may keep several batches in flight (take_ahead()), unless --consumers says otherwise; a queue
// that exists is taken as it is.
Consumer attach_to_queue(const BridgeSettings& settings, const AttachOptions& attach) {
  const cli::CommonOptions& common = settings.common;
  if (common.config.multi_consumer || common.open_mode() == OpenMode::open_only) {
    return Consumer(common.name, common.open_mode(), common.config, attach);
  }
  QueueConfig single = common.config;
  single.multi_consumer = false;
  for (;;) {  // until one of the two wins a race with another creator or remover
    try {
      return Consumer(common.name, OpenMode::open_only, common.config, attach);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::not_found) throw;
    }
    try {
      return Consumer(common.name, OpenMode::create_only, single, attach);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::already_exists) throw;
    }
  }
}

bool stream_ended_before(const BridgeSettings& settings) {
  const QueueSnapshot queue = inspect_queue(settings.common.name, settings.common.config);
  return queue.producers_ever != 0 && queue.count(layout::Role::producer, true) == 0 &&
         queue.count(layout::Role::producer, false) == 0 && queue.depth == 0 &&
         queue.messages_in == queue.messages_out && !queue.end_owed;
}

// The ring side of out: takes batches and lets them fly, up to kMaxFlights at once (what arrives
// while one awaits its acknowledgements goes out at once, in the next), and releases each to the
// ring, oldest first, once it has landed. Returns when the queue's stream has ended (then true)
// or the run must stop (the reason is in `report`).
bool carry_stream(const BridgeSettings& settings, Consumer& consumer, Outbound& outbound,
                  NatsSession& session, RunReport& report,
                  const std::function<std::string()>& note) {
  cli::WaitNotice notice(
      {report.program, settings.common.name, consumer.created_queue(), settings.common.config},
      !settings.common.quiet, report.line);
  const auto stop = [&](Status status) {
    report.stop_on(status, report.program.c_str(), settings.common.name);
    return false;
  };
  std::deque<Flight> flights;  // a deque: a flight stays where it is while others come and go
  // However the loop ends, no answer from the library's thread may reach a flight after it.
  struct Grounding {
    Outbound& outbound;
    ~Grounding() { outbound.ground_all(); }
  } grounding{outbound};
  // A multi-consumer queue holds one batch per consumer: take_ahead() would be take(), which
  // releases the batch in flight before JetStream has acknowledged it.
  const std::size_t max_flights = consumer.geometry().multi_consumer ? 1 : kMaxFlights;
  bool corrupt = false;  // a corrupt batch: what was good in it flies, then the run stops
  for (;;) {
    if (report.tell_connection_events(session)) consumer.set_note(note());
    if (flights.empty()) {
      if (corrupt) return stop(Status::corrupt);
      Flight& flight = flights.emplace_back();
      flight.batch.keep_ids(true);
      const Status status = notice.run(
          settings.common.deadline(), cli::WaitingFor::messages, [&](Clock::time_point until) {
            // In slices: connection events are told as they happen.
            return consumer.take(flight.batch, settings.max_pending,
                                 std::min(until, Clock::now() + std::chrono::seconds(1)));
          });
      if (status != Status::ok && status != Status::corrupt) flights.pop_back();
      if (status == Status::timeout && Clock::now() < settings.common.deadline()) continue;
      if (status == Status::end_of_stream) return true;
      if (status != Status::ok && status != Status::corrupt) return stop(status);
      corrupt = status == Status::corrupt;
      if (!report.since_first_message) report.since_first_message.emplace();
      outbound.launch(flight);
      continue;
    }
    if (flights.size() < max_flights && !corrupt) {
      Flight& flight = flights.emplace_back();
      flight.batch.keep_ids(true);
      const Status status = consumer.take_ahead(flight.batch, settings.max_pending, Clock::now());
      // A batch of skipped slots only (a producer died mid-write) flies too, empty: it is held,
      // and goes back in its turn.
      const bool took =
          !flight.batch.empty() || flight.batch.skipped() + flight.batch.corrupt() != 0;
      if ((status == Status::ok || status == Status::corrupt) && took) {
        corrupt = status == Status::corrupt;
        outbound.launch(flight);
      } else {
        flights.pop_back();
        if (status != Status::ok && status != Status::timeout) return stop(status);
      }
    }
    const bool room_for_more = flights.size() < max_flights && !corrupt;
    const auto until = Clock::now() + (room_for_more ? Clock::duration(kLookForMore)
                                                     : Clock::duration(kWaitSlice));
    switch (outbound.tend(flights.front(), until)) {
      case Outbound::Result::landed: {
        ReadBatch& batch = flights.front().batch;
        for (const auto message : batch) report.bytes += message.size();
        report.messages += batch.size();
        consumer.release(batch);
        flights.pop_front();
        if (report.line.due()) report.line.draw(report.messages, report.bytes, consumer.depth());
        break;
      }
      case Outbound::Result::flying:
        break;
      case Outbound::Result::timeout:
        return stop(Status::timeout);  // what flies goes back to the ring when we detach
      case Outbound::Result::stopped:
        return stop(Status::cancelled);
    }
    if (cli::stop_requested()) return stop(Status::cancelled);
  }
}

int run_out(const BridgeSettings& settings, const std::atomic<bool>& stop) {
  AckBook book;
  jsOptions js_options;
  jsOptions_Init(&js_options);
  // Room for every batch in flight; a publish beyond it waits (StallWait), then fails and is
  // published again.
  js_options.PublishAsync.MaxPending = std::int64_t{settings.max_pending} * kMaxFlights;
  js_options.PublishAsync.AckHandler = on_ack;
  js_options.PublishAsync.AckHandlerClosure = &book;
  NatsSession session(settings.nats, settings.common.deadline(), stop, &js_options);
  const StreamFacts stream =
      ensure_stream(session.js(), {settings.stream, settings.subject, settings.replicas,
                                   settings.duplicate_window, settings.max_message_size});
  RunReport report(settings);
  const std::function<std::string()> note = [&] {
    return "bridge out to " + session.connected_url() + " stream " + settings.stream + " subject " +
           settings.subject;
  };
  const std::string first_note = note();
  AttachOptions attach{settings.common.wait, &stop};
  attach.note = first_note;
  Consumer consumer = attach_to_queue(settings, attach);
  book.name_queue(consumer.queue_incarnation(), settings.stream);
  cli::report_repairs(report.program.c_str(), settings.common, consumer.reaped_at_attach(),
                      consumer.replaced_abandoned());
  const std::int64_t limit =
      std::min<std::int64_t>(stream.max_message_size > 0 ? stream.max_message_size : INT64_MAX,
                             natsConnection_GetMaxPayload(session.connection()));
  if (!settings.common.quiet && consumer.geometry().slot_size > limit) {
    std::cerr << report.program << ": the queue's slots hold up to "
              << consumer.geometry().slot_size << " bytes but the stream takes messages of up to "
              << limit << " bytes (with headers): longer ones will be refused\n";
  }

  Outbound outbound(settings, session, book, consumer.queue_incarnation(), report);
  // A predecessor killed after carrying the last message, before the marker: carry the end.
  const bool ended_before_us = !settings.follow && stream_ended_before(settings);
  for (;;) {
    if (!ended_before_us && !carry_stream(settings, consumer, outbound, session, report, note)) {
      break;
    }
    if (settings.follow) {  // a later producer goes on with the stream
      if (!cli::pause_unless_stopped(kWaitSlice)) break;
      continue;
    }
    const auto ended = outbound.publish_end(
        inspect_queue(settings.common.name, settings.common.config).producers_ever);
    if (ended != Outbound::Result::landed) {
      report.stop_on(ended == Outbound::Result::timeout ? Status::timeout : Status::cancelled,
                     report.program.c_str(), settings.common.name);
    }
    break;  // end of stream carried: exit 0
  }
  consumer.close();
  if (outbound.refused() != 0 && !report.stopped()) report.stop(cli::kExitRejected, "rejected");
  return report.finish(settings, {{"republished", outbound.republished()},
                                  {"duplicates", book.duplicates()},
                                  {"refused", outbound.refused()},
                                  {"reconnects", session.reconnects()}});
}

}  // namespace shmq::bridge
