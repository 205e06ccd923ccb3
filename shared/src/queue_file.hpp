// The file at a queue's name, looked at before anything opens it the usual way.
//
// Boost opens a segment with shm_open(), which blocks for ever on a FIFO opened read-only (until
// a writer comes). So every open first looks at the name without blocking and refuses anything
// that is not a regular file: a FIFO, a directory, a socket, a device, a symbolic link.
#pragma once

#include <cstdint>
#include <string>

namespace shmq::detail {

// Where shm_open() keeps queues' files, and a queue's: "/dev/shm/<name>".
inline constexpr const char* kQueueDirectory = "/dev/shm";
[[nodiscard]] std::string queue_path(const std::string& name);

// The login name of `uid` ("alice"), or the uid in digits if it has none.
[[nodiscard]] std::string user_name(std::uint32_t uid);

// " (owner alice, mode 0600)" for the file at `name`, as lstat() sees it (a symbolic link is not
// followed), or "" if there is none: the tail of a "permission denied" message.
[[nodiscard]] std::string owner_and_mode(const std::string& name);

// Opens the file at `name` read-only, without blocking and without following a symbolic link, and
// throws shmq::Error unless it is a regular file: not_found, permission_denied, incompatible (not
// a regular file, with a message naming what it is) or system.
void refuse_unless_regular(const std::string& name);

}  // namespace shmq::detail
