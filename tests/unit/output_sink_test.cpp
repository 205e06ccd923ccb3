// The consumer's output sink: every line arrives whole and in order, whether it was staged or
// written in place, across the flushes a full staging buffer forces; a message whose pages are
// gone is reported as such, apart from other write errors.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <string>
#include <vector>

#include "output_sink.hpp"

using shmq::consumer::OutputSink;
using shmq::consumer::UnreadableMessage;

namespace {

// An anonymous file: nothing to clean up, whatever happens.
struct MemoryFile {
  MemoryFile() : fd(::memfd_create("output-sink-test", MFD_CLOEXEC)) { REQUIRE(fd >= 0); }
  ~MemoryFile() { ::close(fd); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  std::string contents() const {
    std::string text(static_cast<std::size_t>(::lseek(fd, 0, SEEK_END)), '\0');
    REQUIRE(::pread(fd, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size()));
    return text;
  }

  int fd;
};

std::span<const std::byte> bytes_of(const std::string& text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

}  // namespace

TEST_CASE("OutputSink writes every line whole and in order, staged or in place",
          "[unit][output-sink]") {
  // Short lines of every length class, lines at and past the in-place threshold, and one longer
  // than the staging buffer; repeated until several staging buffers' worth went through.
  std::vector<std::string> messages;
  const std::size_t lengths[] = {0, 1, 15, 16, 31, 32, 63, 64, 65, 200, 511, 512, 513, 4096, 70000};
  for (int round = 0; round < 12; ++round) {
    for (const std::size_t length : lengths) {
      messages.emplace_back(length, static_cast<char>('a' + (messages.size() % 26)));
    }
  }
  MemoryFile file;
  OutputSink sink(file.fd, "memfd");
  std::string expected;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    sink.write_line(bytes_of(messages[i]));  // in-place ones stay valid until the flush
    expected += messages[i] + '\n';
    if (i % 40 == 39) sink.flush();
  }
  sink.flush();
  CHECK(file.contents() == expected);
}

TEST_CASE("OutputSink writes a range of messages as write_line would, one by one",
          "[unit][output-sink]") {
  std::vector<std::string> messages;
  for (std::size_t length = 0; length < 70000; length = length * 3 + 1) {
    messages.emplace_back(length, static_cast<char>('a' + (length % 26)));
  }
  std::vector<std::span<const std::byte>> views;
  std::string expected;
  std::uint64_t bytes = 0;
  for (const std::string& message : messages) {
    views.push_back(bytes_of(message));
    expected += message + '\n';
    bytes += message.size();
  }
  MemoryFile file;
  OutputSink sink(file.fd, "memfd");
  for (int round = 0; round < 3; ++round) CHECK(sink.write_lines(views) == bytes);
  sink.flush();
  CHECK(file.contents() == expected + expected + expected);
}

TEST_CASE("OutputSink reports a message whose pages are gone as unreadable",
          "[unit][output-sink]") {
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  void* gone = ::mmap(nullptr, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(gone != MAP_FAILED);
  MemoryFile file;
  OutputSink sink(file.fd, "memfd");
  sink.write_line(bytes_of("staged before"));
  // Large enough to be written in place, so the kernel, not the sink, reads it.
  sink.write_line(std::span(static_cast<const std::byte*>(gone), OutputSink::kWriteInPlaceFrom));
  CHECK_THROWS_AS(sink.flush(), UnreadableMessage);
  ::munmap(gone, page);
}

TEST_CASE("OutputSink reports a write error as an I/O error", "[unit][output-sink]") {
  const int read_only = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(read_only >= 0);
  OutputSink sink(read_only, "/dev/null opened for reading");
  sink.write_line(bytes_of("line"));
  bool unreadable = false;
  std::string what;
  try {
    sink.flush();
  } catch (const UnreadableMessage&) {
    unreadable = true;
  } catch (const std::runtime_error& error) {
    what = error.what();
  }
  ::close(read_only);
  CHECK_FALSE(unreadable);
  CHECK(what.find("cannot write to '/dev/null opened for reading'") != std::string::npos);
}
