#include "output_sink.hpp"

#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace shmq::consumer {
namespace {

char g_newline = '\n';  // writev's iovec wants a non-const pointer; nobody writes through it

}  // namespace

OutputSink::OutputSink(int fd, std::string path) : fd_(fd), path_(std::move(path)) {
  buffer_.reserve(1 << 16);
  vectors_.reserve(2 * 1024);
}

void OutputSink::write_line(std::span<const std::byte> message) {
  if (!message.empty()) {
    vectors_.push_back({const_cast<std::byte*>(message.data()), message.size()});
  }
  vectors_.push_back({&g_newline, 1});
}

void OutputSink::write_raw(std::span<const std::byte> bytes) {
  const auto* data = reinterpret_cast<const char*>(bytes.data());
  buffer_.insert(buffer_.end(), data, data + bytes.size());
}

void OutputSink::flush() {
  write_all(buffer_.data(), buffer_.size());
  buffer_.clear();
  write_vectors();
  vectors_.clear();
}

void OutputSink::write_all(const char* data, std::size_t size) {
  std::size_t written = 0;
  while (written < size) {
    const ssize_t n = ::write(fd_, data + written, size - written);
    if (n > 0) {
      written += static_cast<std::size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      throw std::runtime_error("cannot write to '" + path_ + "': " + std::strerror(errno));
    }
  }
}

void OutputSink::write_vectors() {
  std::size_t next = 0;  // first vector not yet written whole (none is empty)
  while (next < vectors_.size()) {
    const auto count = static_cast<int>(std::min<std::size_t>(IOV_MAX, vectors_.size() - next));
    const ssize_t n = ::writev(fd_, &vectors_[next], count);
    if (n < 0) {
      if (errno == EINTR) continue;
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
