#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <future>
#include <optional>
#include <vector>

#include "shmq/detail/layout.hpp"
#include "shmq/detail/names.hpp"
#include "shmq/detail/segment.hpp"
#include "shmq/errors.hpp"
#include "test_queue.hpp"

using namespace shmq;
using shmq::test::TestQueue;

namespace {

ErrorCode open_error(const std::string& name, OpenMode mode, QueueConfig config = {}) {
  try {
    Segment::open(name, mode, config);
  } catch (const Error& e) {
    return e.code();
  }
  FAIL("open succeeded");
  return ErrorCode::system;
}

QueueConfig small(std::uint32_t capacity = 8, std::uint32_t slot_size = 32) {
  QueueConfig config;
  config.capacity = capacity;
  config.slot_size = slot_size;
  config.ready_timeout = std::chrono::milliseconds(50);
  return config;
}

std::vector<char> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Writes `bytes` as a file of mode 0600, as our own creator would have left it.
void write_file(const std::string& path, const std::vector<char>& bytes) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  chmod(path.c_str(), 0600);
}

// Makes a queue, then lets `damage` edit the bytes of its file.
template <class Damage>
void make_damaged(const TestQueue& queue, Damage damage) {
  { Segment::open(queue.name(), OpenMode::create_only, small()); }
  auto bytes = read_file(queue.path());
  damage(bytes);
  write_file(queue.path(), bytes);
}

}  // namespace

TEST_CASE("a created queue opens with the same geometry", "[unit][segment]") {
  TestQueue queue("segment");
  const Segment created = Segment::open(queue.name(), OpenMode::create_only, small(16, 100));
  CHECK(created.created());
  const Segment opened = Segment::open(queue.name(), OpenMode::open_only, QueueConfig{});
  CHECK_FALSE(opened.created());
  CHECK(opened.geometry() == Geometry{16, 100, true, true});  // any number of each, by default
  const Segment either = Segment::open(queue.name(), OpenMode::open_or_create, small(16, 100));
  CHECK_FALSE(either.created());
}

TEST_CASE("a created segment is private to its owner", "[unit][segment]") {
  TestQueue queue("mode");
  const Segment created = Segment::open(queue.name(), OpenMode::create_only, small());
  struct stat st {};
  REQUIRE(stat(queue.path().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(st.st_uid == geteuid());
}

TEST_CASE("a wider mode is created on request, and refused unless requested", "[unit][segment]") {
  TestQueue queue("wide");
  QueueConfig group = small();
  group.permissions = 0660;
  const mode_t old_umask = umask(077);  // the creator's umask must not narrow the mode asked for
  { Segment::open(queue.name(), OpenMode::create_only, group); }
  umask(old_umask);
  struct stat st {};
  REQUIRE(stat(queue.path().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0660);
  CHECK(open_error(queue.name(), OpenMode::open_only) == ErrorCode::permission_denied);
  CHECK_NOTHROW(Segment::open(queue.name(), OpenMode::open_only, group));
  chmod(queue.path().c_str(), 0666);  // someone widened it to the world afterwards
  CHECK(open_error(queue.name(), OpenMode::open_only, group) == ErrorCode::permission_denied);
}

TEST_CASE("permissions beyond read and write, or without the owner's, are refused",
          "[unit][segment]") {
  TestQueue queue("badmode");
  for (unsigned mode : {0644U | 04000U, 0700U, 0466U, 0066U}) {
    QueueConfig config = small();
    config.permissions = mode;
    INFO("mode " << std::oct << mode);
    CHECK(open_error(queue.name(), OpenMode::open_or_create, config) ==
          ErrorCode::invalid_argument);
  }
  CHECK(access(queue.path().c_str(), F_OK) != 0);
}

TEST_CASE("create_only on an existing queue and open_only on a missing one fail",
          "[unit][segment]") {
  TestQueue queue("exists");
  CHECK(open_error(queue.name(), OpenMode::open_only) == ErrorCode::not_found);
  { Segment::open(queue.name(), OpenMode::create_only, small()); }
  CHECK(open_error(queue.name(), OpenMode::create_only) == ErrorCode::already_exists);
}

TEST_CASE("an explicit geometry that differs from the existing queue is refused",
          "[unit][segment]") {
  TestQueue queue("geometry");
  { Segment::open(queue.name(), OpenMode::create_only, small(8, 32)); }
  CHECK(open_error(queue.name(), OpenMode::open_or_create, small(16, 32)) ==
        ErrorCode::geometry_mismatch);
  CHECK(open_error(queue.name(), OpenMode::open_or_create, small(8, 64)) ==
        ErrorCode::geometry_mismatch);
}

TEST_CASE("remove deletes the file and reports whether there was one", "[unit][segment]") {
  TestQueue queue("remove");
  { Segment::open(queue.name(), OpenMode::create_only, small()); }
  CHECK(access(queue.path().c_str(), F_OK) == 0);
  CHECK(Segment::remove(queue.name()));
  CHECK(access(queue.path().c_str(), F_OK) != 0);
  CHECK_FALSE(Segment::remove(queue.name()));
}

TEST_CASE("names outside the documented set are refused", "[unit][segment]") {
  for (const char* bad : {"", "a/b", "..", ".hidden", "sp ace", "semi;colon", "../etc"}) {
    INFO("name: '" << bad << "'");
    CHECK_THROWS_AS(validate_name(bad), Error);
  }
  CHECK_THROWS_AS(validate_name(std::string(201, 'a')), Error);
  CHECK_NOTHROW(validate_name(std::string(200, 'a')));
  CHECK_NOTHROW(validate_name("orders_v2.east-1"));
}

TEST_CASE("a corrupted header on disk is refused when opening", "[unit][segment]") {
  TestQueue queue("corrupt");
  SECTION("magic") {
    make_damaged(queue, [](auto& b) { b[0] ^= 0x55; });
    CHECK(open_error(queue.name(), OpenMode::open_only) == ErrorCode::incompatible);
  }
  SECTION("capacity") {
    make_damaged(queue, [](auto& b) { b[16] = 9; });
    CHECK(open_error(queue.name(), OpenMode::open_only) == ErrorCode::corrupt);
  }
  SECTION("slot stride") {
    make_damaged(queue, [](auto& b) { b[24] = 0; });
    CHECK(open_error(queue.name(), OpenMode::open_only) == ErrorCode::corrupt);
  }
  SECTION("never marked ready") {
    make_damaged(queue, [](auto& b) {
      std::memset(b.data() + offsetof(layout::Identity, ready), 0, 4);
    });
    CHECK(open_error(queue.name(), OpenMode::open_only, small()) == ErrorCode::not_ready);
  }
}

TEST_CASE("a segment abandoned by a creator that died is replaced by open_or_create",
          "[unit][segment]") {
  TestQueue queue("abandoned");
  SECTION("died before sizing it") { write_file(queue.path(), {}); }
  SECTION("died before marking it ready") {
    write_file(queue.path(), std::vector<char>(layout::segment_size_for(4, 64), '\0'));
  }
  const Segment segment = Segment::open(queue.name(), OpenMode::open_or_create, small());
  CHECK(segment.created());
  CHECK(segment.replaced_abandoned());
  CHECK(segment.geometry().capacity == 8);
}

TEST_CASE("a truncated, extended or foreign file is refused", "[unit][segment]") {
  TestQueue queue("truncated");
  SECTION("truncated inside the slots") {
    make_damaged(queue, [](auto& b) { b.resize(b.size() - 64); });
    CHECK(open_error(queue.name(), OpenMode::open_only) == ErrorCode::corrupt);
  }
  SECTION("extended") {
    make_damaged(queue, [](auto& b) { b.resize(b.size() + 4096); });
    CHECK(open_error(queue.name(), OpenMode::open_only) == ErrorCode::corrupt);
  }
  SECTION("smaller than a header") {
    make_damaged(queue, [](auto& b) { b.resize(100); });
    CHECK(open_error(queue.name(), OpenMode::open_only, small()) == ErrorCode::corrupt);
  }
  SECTION("another program's file") {
    make_damaged(queue, [](auto& b) { std::fill(b.begin(), b.end(), 'x'); });
    CHECK(open_error(queue.name(), OpenMode::open_only, small()) == ErrorCode::incompatible);
  }
}

namespace {

// The error opening `name` gives, or a failure if it blocks: a reader blocked on a FIFO is
// released by opening the FIFO's write end, so a hang fails the test instead of hanging it.
Error open_refusal(const TestQueue& queue, bool inspect) {
  auto opening = std::async(std::launch::async, [&]() -> std::optional<Error> {
    try {
      if (inspect) {
        Segment::inspect(queue.name(), small());
      } else {
        Segment::open(queue.name(), OpenMode::open_only, small());
      }
    } catch (const Error& e) {
      return e;
    }
    return std::nullopt;
  });
  if (opening.wait_for(std::chrono::seconds(5)) == std::future_status::timeout) {
    const int writer = open(queue.path().c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    opening.wait();
    if (writer >= 0) close(writer);
    FAIL("opening blocked for 5 s");
  }
  const auto error = opening.get();
  REQUIRE(error.has_value());
  return *error;
}

// Removes a directory planted at a queue's name when the test ends.
struct PlantedDirectory {
  explicit PlantedDirectory(const TestQueue& queue) : path(queue.path()) {
    REQUIRE(mkdir(path.c_str(), 0700) == 0);
  }
  ~PlantedDirectory() { rmdir(path.c_str()); }
  PlantedDirectory(const PlantedDirectory&) = delete;
  PlantedDirectory& operator=(const PlantedDirectory&) = delete;
  std::string path;
};

}  // namespace

TEST_CASE("a FIFO or a directory at the name is refused at once as not a regular file",
          "[unit][segment]") {
  TestQueue queue("not-a-file");
  const bool inspect = GENERATE(true, false);
  INFO((inspect ? "inspect" : "open"));
  SECTION("a FIFO") {
    REQUIRE(mkfifo(queue.path().c_str(), 0600) == 0);
    const Error error = open_refusal(queue, inspect);
    CHECK(error.code() == ErrorCode::incompatible);
    CHECK_THAT(error.what(), Catch::Contains("is not a regular file (a FIFO)"));
  }
  SECTION("a directory") {
    const PlantedDirectory directory(queue);
    const Error error = open_refusal(queue, inspect);
    CHECK(error.code() == ErrorCode::incompatible);
    CHECK_THAT(error.what(), Catch::Contains("is not a regular file (a directory)"));
  }
}

TEST_CASE("another user's file that is no queue is foreign whatever its size; ours is broken",
          "[unit][segment]") {
  if (geteuid() != 0) {
    WARN("skipped: giving a file to another user needs root");
    return;
  }
  TestQueue queue("foreign-file");
  const std::size_t size =
      GENERATE(std::size_t{0}, std::size_t{5}, std::size_t{100}, std::size_t{8192});
  INFO("size " << size);
  write_file(queue.path(), std::vector<char>(size, '\0'));
  SECTION("another user's") {
    REQUIRE(chown(queue.path().c_str(), 65534, 65534) == 0);
    const Error error = open_refusal(queue, true);
    CHECK(error.code() == ErrorCode::incompatible);
    CHECK_THAT(error.what(), Catch::Contains("belongs to uid 65534"));
    CHECK_THAT(error.what(), !Catch::Contains("remove"));
  }
  SECTION("our own") {
    const Error error = open_refusal(queue, true);
    CHECK((error.code() == ErrorCode::corrupt || error.code() == ErrorCode::not_ready));
  }
}

TEST_CASE("a created queue has its pages allocated, not left sparse", "[unit][segment]") {
  TestQueue queue("allocated");
  const Segment created = Segment::open(queue.name(), OpenMode::create_only, small(8, 1 << 20));
  struct stat st {};
  REQUIRE(stat(queue.path().c_str(), &st) == 0);
  // A sparse file would fail a write later, when /dev/shm is full (SIGBUS, the queue lost).
  CHECK(st.st_blocks * 512 >= st.st_size);
}

TEST_CASE("a queue larger than /dev/shm is refused at creation and leaves no file",
          "[unit][segment]") {
  struct statvfs shm {};
  REQUIRE(statvfs("/dev/shm", &shm) == 0);
  const std::uint64_t total = std::uint64_t{shm.f_blocks} * shm.f_frsize;
  // Larger than the whole tmpfs: the kernel refuses the reservation at once, allocating nothing.
  const std::uint64_t stride = layout::slot_stride_for(layout::kMaxSlotSize);
  const std::uint64_t capacity = total / stride + 1;
  if (total == 0 || layout::segment_size_for(static_cast<std::uint32_t>(capacity),
                                             layout::kMaxSlotSize) > layout::kMaxSegmentSize) {
    WARN("skipped: /dev/shm has no size limit, or more room than the largest queue");
    return;
  }
  TestQueue queue("no-space");
  const QueueConfig config = small(static_cast<std::uint32_t>(capacity), layout::kMaxSlotSize);
  for (const OpenMode mode : {OpenMode::create_only, OpenMode::open_or_create}) {
    try {
      Segment::open(queue.name(), mode, config);
      FAIL("a queue larger than /dev/shm was created");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::no_space);
      CHECK_THAT(e.what(), Catch::Contains("needs") && Catch::Contains("/dev/shm has"));
    }
    struct stat st {};
    CHECK(stat(queue.path().c_str(), &st) != 0);  // the half-made file is gone
  }
}
