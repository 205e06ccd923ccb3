// The file at a queue's name, looked at before anything opens it the usual way.
//
// Boost opens a segment with shm_open(), which blocks for ever on a FIFO opened read-only (until
// a writer comes). So every open first looks at the name without blocking and refuses anything
// that is not a regular file: a FIFO, a directory, a socket, a device, a symbolic link.
#pragma once

#include <string>


namespace shmq::detail {

// Opens the file at `name` read-only, without blocking and without following a symbolic link, and
// throws shmq::Error unless it is a regular file: not_found, permission_denied, incompatible (not
// a regular file, with a message naming what it is) or system.
void refuse_unless_regular(const std::string& name);

}  // namespace shmq::detail
