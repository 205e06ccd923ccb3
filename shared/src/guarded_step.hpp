// How public calls meet a QueueFault: the hot path never throws.
#pragma once

#include "shmq/detail/robust_mutex.hpp"
#include "shmq/errors.hpp"

namespace shmq::detail {

// Runs `step` (which returns a Status) for a public call: a QueueFault met inside becomes the
// call's Status. `fault` is the handle's memory of a corrupt queue: once set, every later call
// returns it without trying.
template <class Step>
Status guarded_step(Status& fault, Step&& step) {
  if (fault != Status::ok) return fault;
  try {
    return step();
  } catch (const QueueFault& queue_fault) {
    if (queue_fault.status() == Status::corrupt) fault = Status::corrupt;
    return queue_fault.status();
  }
}

}  // namespace shmq::detail
