#include "output_sink.hpp"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace shmq::consumer {

OutputSink::OutputSink(int fd, std::string path)
    : fd_(fd), path_(std::move(path)), staging_(std::make_unique<char[]>(kStagingSize)) {
  vectors_.reserve(1024);
}

void OutputSink::truncate() {
  struct stat st {};
  if (fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) return;
  if (ftruncate(fd_, 0) != 0) {
    throw std::runtime_error("cannot truncate '" + path_ + "': " + std::strerror(errno));
  }
}

void OutputSink::write_line_slowly(std::span<const std::byte> message) {
  if (message.size() >= kWriteInPlaceFrom) {
    close_run();
    vectors_.push_back({const_cast<std::byte*>(message.data()), message.size()});
  } else {
    stage(reinterpret_cast<const char*>(message.data()), message.size());
  }
  stage("\n", 1);
}

void OutputSink::write_raw(std::span<const std::byte> bytes) {
  stage(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

void OutputSink::stage(const char* data, std::size_t size) {
  while (size != 0) {
    if (staged_ == kStagingSize) flush();  // everything pending goes out; staging is free again
    const std::size_t n = std::min(size, kStagingSize - staged_);
    std::memcpy(staging_.get() + staged_, data, n);
    staged_ += n;
    data += n;
    size -= n;
  }
}

void OutputSink::close_run() {
  if (staged_ == run_start_) return;
  vectors_.push_back({staging_.get() + run_start_, staged_ - run_start_});
  run_start_ = staged_;
}

void OutputSink::flush() {
  close_run();
  write_vectors();
  discard_pending();  // all of it written
}

void OutputSink::write_vectors() {
  std::size_t next = 0;  // first vector not yet written whole (none is empty)
  while (next < vectors_.size()) {
    const auto count = static_cast<int>(std::min<std::size_t>(IOV_MAX, vectors_.size() - next));
    const ssize_t n = ::writev(fd_, &vectors_[next], count);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EFAULT) {
        throw UnreadableMessage("a message to write to '" + path_ + "' is no longer mapped");
      }
      throw std::runtime_error("cannot write to '" + path_ + "': " + std::strerror(errno));
    }
    // Skip what was written; a partial write leaves the rest of one vector for the next call.
    auto left = static_cast<std::size_t>(n);
    while (left != 0 && left >= vectors_[next].iov_len) left -= vectors_[next++].iov_len;
    if (left != 0) {
      vectors_[next].iov_base = static_cast<char*>(vectors_[next].iov_base) + left;
      vectors_[next].iov_len -= left;
    }
  }
}

}  // namespace shmq::consumer
