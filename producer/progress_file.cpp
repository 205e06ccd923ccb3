#include "progress_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "options.hpp"

namespace shmq::producer {

ProgressFile::ProgressFile(const std::string& path, std::uint32_t producer_id)
    : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)),
      producer_id_(producer_id) {
  if (fd_ < 0) {
    throw cli::UsageError("cannot create --progress '" + path + "': " + std::strerror(errno));
  }
  record(0);
}

ProgressFile::~ProgressFile() {
  if (fd_ >= 0) ::close(fd_);
}

ProgressFile::ProgressFile(ProgressFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), producer_id_(other.producer_id_) {}

ProgressFile& ProgressFile::operator=(ProgressFile&& other) noexcept {
  std::swap(fd_, other.fd_);
  producer_id_ = other.producer_id_;
  return *this;
}

void ProgressFile::record(std::uint64_t accepted) const noexcept {
  if (fd_ < 0) return;
  char line[64];
  const int length = std::snprintf(line, sizeof line, "%10u %20llu\n", producer_id_,
                                   static_cast<unsigned long long>(accepted));
  // One fixed-width write at offset 0: a reader never sees a shorter, half-updated number.
  [[maybe_unused]] const ssize_t written = ::pwrite(fd_, line, static_cast<std::size_t>(length), 0);
}

}  // namespace shmq::producer
