// natsSubscription_Fetch as it can be used safely with Debian's nats.c 3.4.1.
#pragma once

#include <nats/nats.h>

namespace shmq::bridge {

// Fetches up to `batch` messages from a pull subscription, waiting at most `wait_ms`.
// nats.c before 3.8 writes past the array Fetch returns when messages left over from an earlier
// fetch (delivered after it stopped waiting) are more than half the batch (nats.c #749). Such
// left-overs are here already: taking them one per fetch sends no request, and never overruns.
// A result of NATS_TIMEOUT or NATS_NOT_FOUND means nothing came, also spuriously just after a
// fetch that timed out (the server's notice that a request ended arrives late, nats.c #631).
inline natsStatus fetch_batch(natsMsgList& list, natsSubscription* subscription, int batch,
                              int wait_ms, jsErrCode& code) {
  int left_over = 0;
  if (natsSubscription_GetPending(subscription, &left_over, nullptr) != NATS_OK) left_over = 0;
  return natsSubscription_Fetch(&list, subscription, left_over > 0 ? 1 : batch, wait_ms, &code);
}

[[nodiscard]] inline bool fetched_nothing(natsStatus status) {
  return status == NATS_TIMEOUT || status == NATS_NOT_FOUND;
}

}  // namespace shmq::bridge
