// Operating on a queue by its name, without attaching to it.
#pragma once

#include <string>

namespace shmq {

// Removes the queue's name from /dev/shm. Processes attached keep their mappings (and go on
// between themselves); the next opener creates a new queue. Does not ask whether live processes
// are attached (inspect_queue() tells; `shmq remove` refuses then). Returns false if there was
// no such queue; throws shmq::Error if it may not be removed (another user's file in a sticky
// /dev/shm, a name that is not valid). Anyone may call it; it never blocks.
bool remove_queue(const std::string& name);

}  // namespace shmq
