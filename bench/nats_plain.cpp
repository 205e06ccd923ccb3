// --mode plain: asynchronous JetStream publishes with a bounded window, and a durable pull
// consumer fetching in batches: what the engine allows without shmq in the path.
#include <atomic>
#include <iostream>
#include <string>

#include "fetch_batch.hpp"
#include "nats_client.hpp"
#include "nats_endpoints.hpp"

namespace shmq::nats_bench {
namespace {

class JetStreamSender final : public Sender {
 public:
  JetStreamSender(const Settings& settings, Run& run)
      : run_(run),
        subject_(settings.subject),
        id_prefix_(settings.msg_ids ? settings.durable + "-" : "") {
    jsOptions options;
    jsOptions_Init(&options);
    options.PublishAsync.MaxPending = settings.max_pending;
    options.PublishAsync.AckHandler = on_ack;
    options.PublishAsync.AckHandlerClosure = &failed_;
    connection_ = connect(settings.urls);
    js_ = jetstream(connection_.get(), &options);
    ensure_stream(js_.get(), settings);
    ensure_durable(js_.get(), settings);
  }

  bool send(std::span<const std::byte> message) override {
    const std::string id = id_prefix_.empty() ? "" : id_prefix_ + std::to_string(sent_++);
    for (;;) {
      const natsStatus status = id.empty()
                                    ? js_PublishAsync(js_.get(), subject_.c_str(), message.data(),
                                                      static_cast<int>(message.size()), nullptr)
                                    : publish_with_id(message, id);
      if (status == NATS_OK) return true;
      // NATS_TIMEOUT: stalled for StallWait with the window full; it drains as acks come.
      if (status != NATS_TIMEOUT) check(status, "js_PublishAsync");
      if (run_.should_stop()) return false;
    }
  }

  // As shmq-bridge out publishes: a message of its own, with its id in a header.
  natsStatus publish_with_id(std::span<const std::byte> message, const std::string& id) {
    natsMsg* out = nullptr;
    natsStatus status = natsMsg_Create(&out, subject_.c_str(), nullptr,
                                       reinterpret_cast<const char*>(message.data()),
                                       static_cast<int>(message.size()));
    if (status == NATS_OK) status = natsMsgHeader_Set(out, "Nats-Msg-Id", id.c_str());
    if (status == NATS_OK) status = js_PublishMsgAsync(js_.get(), &out, nullptr);
    natsMsg_Destroy(out);  // no-op if the library took it
    return status;
  }

  void finish() override {
    jsPubOptions options;
    jsPubOptions_Init(&options);
    options.MaxWait = 200;  // ms: short waits, so that a stop or the deadline is noticed
    for (;;) {
      const natsStatus status = js_PublishAsyncComplete(js_.get(), &options);
      if (status == NATS_OK) break;
      if (status != NATS_TIMEOUT) check(status, "js_PublishAsyncComplete");
      if (run_.should_stop()) return;
    }
    // Each fetch_add below happened before its ack left the window that we saw empty.
    if (const auto failed = failed_.load(std::memory_order_relaxed); failed != 0) {
      run_.fail(std::to_string(failed) + " publishes failed; they will never arrive");
    }
  }

 private:
  // The library's thread for replies: counts failures, says what the first one was.
  static void on_ack(jsCtx*, natsMsg* message, jsPubAck*, jsPubAckErr* error, void* closure) {
    if (error != nullptr) {
      auto& failed = *static_cast<std::atomic<std::uint64_t>*>(closure);
      if (failed.fetch_add(1, std::memory_order_relaxed) == 0) {
        std::cerr << "shmq-nats-bench: a publish failed: "
                  << (error->ErrText != nullptr ? error->ErrText : natsStatus_GetText(error->Err))
                  << "\n";
      }
    }
    natsMsg_Destroy(message);  // ours to destroy once an AckHandler is set
  }

  Run& run_;
  std::string subject_;
  std::string id_prefix_;  // with --msg-id: the run's durable name, then the message's number
  std::uint64_t sent_ = 0;
  std::atomic<std::uint64_t> failed_{0};  // outlives js_, whose thread writes it
  Connection connection_;
  JetStream js_;
};

class JetStreamReceiver final : public Receiver {
 public:
  explicit JetStreamReceiver(const Settings& settings)
      : batch_(settings.batch), fetch_wait_ms_(settings.fetch_wait_ms) {
    connection_ = connect(settings.urls);
    js_ = jetstream(connection_.get());
    subscription_ = bind_durable(js_.get(), settings);
  }

  bool receive(Tally& tally) override {
    natsMsgList list{};
    const natsStatus status =
        shmq::bridge::fetch_batch(list, subscription_.get(), batch_, fetch_wait_ms_);
    if (shmq::bridge::fetched_nothing(status)) return true;
    check(status, "natsSubscription_FetchRequest");
    const auto received_ns = now_ns();
    const MessageList owned(list);
    for (int i = 0; i < list.Count; ++i) {
      natsMsg* message = list.Msgs[i];
      tally.record({reinterpret_cast<const std::byte*>(natsMsg_GetData(message)),
                    static_cast<std::size_t>(natsMsg_GetDataLength(message))},
                   received_ns);
      check(natsMsg_Ack(message, nullptr), "natsMsg_Ack");
    }
    return true;
  }

 private:
  // Destroys the fetched messages and their array however receive() ends.
  struct MessageList {
    explicit MessageList(natsMsgList& fetched) : list(fetched) {}
    ~MessageList() { natsMsgList_Destroy(&list); }
    MessageList(const MessageList&) = delete;
    MessageList& operator=(const MessageList&) = delete;
    natsMsgList& list;
  };

  int batch_;
  int fetch_wait_ms_;
  Connection connection_;
  JetStream js_;
  Subscription subscription_;
};

}  // namespace

Endpoints plain_endpoints(const Settings& settings, Run& run) {
  Endpoints endpoints;
  // The sender first: it creates the stream and the durable the receiver binds to.
  endpoints.sender = std::make_unique<JetStreamSender>(settings, run);
  endpoints.receiver = std::make_unique<JetStreamReceiver>(settings);
  return endpoints;
}

}  // namespace shmq::nats_bench
