// list_queues(): the files in /dev/shm that are, or could be, shmq queues.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "queue_file.hpp"
#include "shmq/detail/layout.hpp"
#include "shmq/detail/names.hpp"
#include "shmq/errors.hpp"
#include "shmq/inspect.hpp"

namespace shmq {
namespace {

bool valid_name(const std::string& name) {
  try {
    validate_name(name);
    return true;
  } catch (const Error&) {
    return false;
  }
}

// Its birth time where the file system records one (tmpfs does), or else its last status change.
std::chrono::system_clock::time_point born(const struct statx& facts) {
  const statx_timestamp& time =
      (facts.stx_mask & STATX_BTIME) != 0 ? facts.stx_btime : facts.stx_ctime;
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(time.tv_sec) + std::chrono::nanoseconds(time.tv_nsec)));
}

UnreadableFile unreadable_file(const std::string& name, const struct statx& facts) {
  return {name,
          facts.stx_uid,
          detail::user_name(facts.stx_uid),
          static_cast<std::uint32_t>(facts.stx_mode & 07777),
          facts.stx_size,
          born(facts)};
}

// Adds `name` to the listing if it is a queue, or could be one we may not read.
void look_at(const std::string& name, QueueListing& listing) {
  const std::string path = detail::queue_path(name);
  struct statx facts {};
  const unsigned wanted = STATX_BASIC_STATS | STATX_BTIME;
  if (statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, wanted, &facts) != 0 ||
      !S_ISREG(facts.stx_mode)) {
    return;  // gone already, a symbolic link, a directory, a FIFO, ...
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if ((errno == EACCES || errno == EPERM) && layout::is_possible_segment_size(facts.stx_size)) {
      listing.unreadable.push_back(unreadable_file(name, facts));
    }
    return;
  }
  std::uint64_t magic = 0;
  const bool ours = ::pread(fd, &magic, sizeof magic, 0) == sizeof magic && magic == layout::kMagic;
  ::close(fd);
  if (ours) listing.names.push_back(name);
}

}  // namespace

QueueListing list_queues() {
  QueueListing listing;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(detail::kQueueDirectory, error)) {
    const std::string name = entry.path().filename().string();
    if (valid_name(name)) look_at(name, listing);
  }
  std::sort(listing.names.begin(), listing.names.end());
  std::sort(listing.unreadable.begin(), listing.unreadable.end(),
            [](const UnreadableFile& a, const UnreadableFile& b) { return a.name < b.name; });
  return listing;
}

std::vector<std::string> list_queue_names() {
  return list_queues().names;
}

}  // namespace shmq
