#include "queue_file.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "shmq/detail/header_validation.hpp"
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
      throw Error(ErrorCode::permission_denied,
                  "permission denied opening " + quoted(name) + owner_and_mode(name), err);
    default:
      throw Error(ErrorCode::system, "opening " + quoted(name) + " failed: " + std::strerror(err),
                  err);
  }
}

}  // namespace

std::string queue_path(const std::string& name) {
  return std::string(kQueueDirectory) + "/" + name;
}

std::string user_name(std::uint32_t uid) {
  std::vector<char> buffer(1024);
  for (;;) {
    passwd entry{};
    passwd* found = nullptr;
    const int err = getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found);
    if (err == ERANGE && buffer.size() < (1U << 20)) {
      buffer.resize(buffer.size() * 4);
      continue;
    }
    return err == 0 && found != nullptr ? std::string(found->pw_name) : std::to_string(uid);
  }
}

std::string owner_and_mode(const std::string& name) {
  struct stat st {};
  if (lstat(queue_path(name).c_str(), &st) != 0) return "";
  return " (owner " + user_name(st.st_uid) + ", mode " + octal_mode(st.st_mode) + ")";
}

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
