#include "queue_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "shmq/errors.hpp"

namespace shmq::detail {
namespace {

std::string quoted(const std::string& name) { return "queue '" + name + "'"; }

const char* kind_of(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "of an unknown type";
}

[[noreturn]] void refuse_open_failure(int err, const std::string& name) {
  switch (err) {
    case ENOENT:
      throw Error(ErrorCode::not_found, quoted(name) + " does not exist", err);
    case ELOOP:  // O_NOFOLLOW: never follow a link planted in /dev/shm
      throw Error(ErrorCode::incompatible,
                  quoted(name) + " is a symbolic link, not a queue; refusing it", err);
    case EACCES:
    case EPERM:
      throw Error(ErrorCode::permission_denied, "permission denied opening " + quoted(name), err);
    default:
      throw Error(ErrorCode::system, "opening " + quoted(name) + " failed: " + std::strerror(err),
                  err);
  }
}

}  // namespace

void refuse_unless_regular(const std::string& name) {
  // The name Boost gives shm_open(): ours with a leading slash. O_NONBLOCK: a FIFO opens at once.
  const int fd = shm_open(("/" + name).c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, 0);
  if (fd < 0) refuse_open_failure(errno, name);
  struct stat st {};
  const int stat_result = fstat(fd, &st);
  const int err = errno;
  close(fd);
  if (stat_result != 0) {
    throw Error(ErrorCode::system, "cannot stat " + quoted(name) + ": " + std::strerror(err), err);
  }
  if (!S_ISREG(st.st_mode)) {
    throw Error(ErrorCode::incompatible,
                quoted(name) + " is not a regular file (" + kind_of(st.st_mode) + "); refusing it");
  }
}

}  // namespace shmq::detail
