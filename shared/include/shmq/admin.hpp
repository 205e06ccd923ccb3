// Operating on a queue by its name, without attaching to it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shmq/geometry.hpp"

namespace shmq {

// Removes the queue's name from /dev/shm. Processes attached keep their mappings (and go on
// between themselves); the next opener creates a new queue. Does not ask whether live processes
// are attached (inspect_queue() tells; `shmq remove` refuses then). Returns false if there was
// no such queue; throws shmq::Error if it may not be removed (another user's file in a sticky
// /dev/shm, a name that is not valid). Anyone may call it; it never blocks.
bool remove_queue(const std::string& name);

// The pids of the live processes attached to the named queue: what `shmq remove` refuses to
// remove it under. A queue of ours too broken to inspect has none (it may be removed); a file
// that is no queue (incompatible) or a name that is not valid throws shmq::Error, as
// inspect_queue() does. Never blocks but for QueueConfig::ready_timeout.
[[nodiscard]] std::vector<std::uint32_t> live_processes(const std::string& name,
                                                        const QueueConfig& config = {});

}  // namespace shmq
