#include "output_sink.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace shmq::consumer {

OutputSink::OutputSink(int fd, std::string path) : fd_(fd), path_(std::move(path)) {
  buffer_.reserve(1 << 20);
}

void OutputSink::write_line(std::span<const std::byte> message) {
  const auto* bytes = reinterpret_cast<const char*>(message.data());
  buffer_.insert(buffer_.end(), bytes, bytes + message.size());
  buffer_.push_back('\n');
}

void OutputSink::write_raw(std::span<const std::byte> bytes) {
  const auto* data = reinterpret_cast<const char*>(bytes.data());
  buffer_.insert(buffer_.end(), data, data + bytes.size());
}

void OutputSink::flush() {
  std::size_t written = 0;
  while (written < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + written, buffer_.size() - written);
    if (n > 0) {
      written += static_cast<std::size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      throw std::runtime_error("cannot write to '" + path_ + "': " + std::strerror(errno));
    }
  }
  buffer_.clear();
}

}  // namespace shmq::consumer
