// Fetching from a pull subscription the way Debian's nats.c 3.4.1 allows, without waiting
// longer than the first message takes.
#pragma once

#include <nats/nats.h>

#include <cstdint>

namespace shmq::bridge {

// Fetches up to `batch` messages, waiting at most `wait_ms` for the first one, and returns as
// soon as one is there: natsSubscription_Fetch waits until the whole batch has come (or its
// timeout), which at a trickle holds each message for the time a batch takes to gather. So:
// what is waiting now (a request that does not wait), else the first message to come.
// nats.c before 3.8 writes past the array a fetch returns when messages left over from an
// earlier fetch (delivered after it stopped waiting) are more than half the batch (nats.c #749).
// Such left-overs are here already: taking them one per fetch sends no request, never overruns.
inline natsStatus fetch_batch(natsMsgList& list, natsSubscription* subscription, int batch,
                              int wait_ms) {
  int left_over = 0;
  if (natsSubscription_GetPending(subscription, &left_over, nullptr) != NATS_OK) left_over = 0;
  jsFetchRequest request;
  jsFetchRequest_Init(&request);
  request.Batch = left_over > 0 ? 1 : batch;
  request.NoWait = true;
  request.Expires = std::int64_t{wait_ms} * 1'000'000;  // bounds the wait for the answer
  const natsStatus now = natsSubscription_FetchRequest(&list, subscription, &request);
  if (now == NATS_OK || left_over > 0 || (now != NATS_NOT_FOUND && now != NATS_TIMEOUT)) {
    return now;
  }
  jsFetchRequest_Init(&request);
  request.Batch = 1;
  request.Expires = std::int64_t{wait_ms} * 1'000'000;
  return natsSubscription_FetchRequest(&list, subscription, &request);
}

// Whether a fetch's status means that nothing came: NATS_TIMEOUT, or NATS_NOT_FOUND (nothing
// there; also, spuriously, just after a fetch that timed out, when the server's notice that a
// request ended arrives late, nats.c #631).
[[nodiscard]] inline bool fetched_nothing(natsStatus status) {
  return status == NATS_TIMEOUT || status == NATS_NOT_FOUND;
}

}  // namespace shmq::bridge
