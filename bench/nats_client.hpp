// The few calls of the NATS C client (nats.c) that shmq-nats-bench makes, with owning handles and
// errors turned into exceptions: this is set-up, off the measured path.
#pragma once

#include <nats/nats.h>

#include <memory>
#include <string>
#include <vector>

#include "nats_settings.hpp"

namespace shmq::nats_bench {

template <auto Destroy>
struct Destroyer {
  template <class T>
  void operator()(T* object) const noexcept {
    Destroy(object);
  }
};
using Connection = std::unique_ptr<natsConnection, Destroyer<natsConnection_Destroy>>;
using JetStream = std::unique_ptr<jsCtx, Destroyer<jsCtx_Destroy>>;
using Subscription = std::unique_ptr<natsSubscription, Destroyer<natsSubscription_Destroy>>;

// Unless `status` is NATS_OK, throws std::runtime_error: `what` failed, the status, the calling
// thread's last error text and the JetStream error code, if the server gave one.
void check(natsStatus status, const std::string& what, jsErrCode code = static_cast<jsErrCode>(0));

// The library's threads and memory go when the last owner of this goes (nats_CloseAndWait).
class Library {
 public:
  Library() = default;
  ~Library();
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
};

// A connection to any of `urls` (the client picks one, and reconnects to the others).
[[nodiscard]] Connection connect(const std::vector<std::string>& urls);
// A JetStream context on `connection`; `options` (asynchronous publishing) may be null.
[[nodiscard]] JetStream jetstream(natsConnection* connection, jsOptions* options = nullptr);

// Creates settings.stream (file storage, settings.replicas, on settings.subject) unless it exists,
// as shmq-bridge out does (bridge/jetstream_setup.hpp); refuses one of other subjects.
void ensure_stream(jsCtx* js, const Settings& settings);
// Creates the durable pull consumer settings.durable (explicit acks, messages published from
// now on, settings.subject only) unless it exists.
void ensure_durable(jsCtx* js, const Settings& settings);
// A pull subscription bound to that durable: it creates nothing, so it deletes nothing either.
[[nodiscard]] Subscription bind_durable(jsCtx* js, const Settings& settings);

}  // namespace shmq::nats_bench
