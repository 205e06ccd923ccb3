#include "shmq/detail/entry_lock.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace shmq {
namespace {

struct flock entry_byte(std::uint32_t index, short type) noexcept {
  struct flock lock {};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = static_cast<off_t>(kEntryLockBase + index);
  lock.l_len = 1;
  lock.l_pid = 0;  // OFD locks require it
  return lock;
}

}  // namespace

LockProbe probe_entry_lock(int fd, std::uint32_t index) noexcept {
  if (fd < 0) return LockProbe::unknown;
  struct flock lock = entry_byte(index, F_WRLCK);
  // OFD "would a write lock conflict?": any lock on the byte held by another description, this
  // process's own included; ours (fd's description) never conflicts. Works on a read-only fd.
  if (fcntl(fd, F_OFD_GETLK, &lock) != 0) return LockProbe::unknown;
  return lock.l_type == F_UNLCK ? LockProbe::free : LockProbe::held;
}

EntryLock::EntryLock(int segment_fd) noexcept {
  if (segment_fd < 0) return;
  const std::string path = "/proc/self/fd/" + std::to_string(segment_fd);
  // A new open file description of the same file: the lock belongs to it alone, not to the
  // segment's description that every checker in this process probes with.
  fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
}

EntryLock::Attempt EntryLock::try_lock(std::uint32_t index) noexcept {
  if (fd_ < 0) return Attempt::failed;
  struct flock lock = entry_byte(index, F_WRLCK);
  // OFD write lock, non-blocking: exclusive to this description, so a byte still held by an
  // earlier owner's forked child refuses us (EAGAIN) rather than being shared.
  if (fcntl(fd_, F_OFD_SETLK, &lock) == 0) return Attempt::locked;
  return errno == EAGAIN || errno == EACCES ? Attempt::held_elsewhere : Attempt::failed;
}

void EntryLock::close() noexcept {
  if (fd_ < 0) return;
  ::close(fd_);  // never F_UNLCK: a forked child's close would take the parent's lock away
  fd_ = -1;
}

}  // namespace shmq
