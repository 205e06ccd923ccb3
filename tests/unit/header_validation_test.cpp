#include <catch2/catch.hpp>
#include <functional>

#include "shmq/detail/header_validation.hpp"
#include "shmq/errors.hpp"

using namespace shmq;

namespace {

const Geometry kGeometry{64, 100, true, false};

layout::IdentityFields good() { return make_identity(kGeometry, 1000); }

ErrorCode failure_code(const layout::IdentityFields& fields, std::uint64_t size) {
  try {
    (void)validate_identity(fields, size, "q");
  } catch (const Error& e) {
    return e.code();
  }
  FAIL("validation accepted a bad header");
  return ErrorCode::system;
}

}  // namespace

TEST_CASE("a header made for a geometry validates back to it", "[unit][validation]") {
  const auto fields = good();
  CHECK(validate_identity(fields, fields.segment_size, "q") == kGeometry);
}

TEST_CASE("each identity field corrupted in turn is refused", "[unit][validation]") {
  struct Case {
    const char* field;
    std::function<void(layout::IdentityFields&)> corrupt;
    ErrorCode expected;
  };
  const Case cases[] = {
      {"magic", [](auto& f) { f.magic ^= 1; }, ErrorCode::incompatible},
      {"layout version", [](auto& f) { f.layout_version += 1; }, ErrorCode::incompatible},
      {"header size", [](auto& f) { f.header_size -= 64; }, ErrorCode::corrupt},
      {"capacity zero", [](auto& f) { f.capacity = 0; }, ErrorCode::corrupt},
      {"capacity huge", [](auto& f) { f.capacity = 0xFFFFFFFF; }, ErrorCode::corrupt},
      {"capacity changed", [](auto& f) { f.capacity += 1; }, ErrorCode::corrupt},
      {"slot size zero", [](auto& f) { f.slot_size = 0; }, ErrorCode::corrupt},
      {"slot size huge", [](auto& f) { f.slot_size = 0xFFFFFFFF; }, ErrorCode::corrupt},
      {"slot size changed", [](auto& f) { f.slot_size += 64; }, ErrorCode::corrupt},
      {"slot stride", [](auto& f) { f.slot_stride += 64; }, ErrorCode::corrupt},
      {"unknown flag", [](auto& f) { f.flags |= 1U << 7; }, ErrorCode::corrupt},
      {"segment size", [](auto& f) { f.segment_size += 1; }, ErrorCode::corrupt},
  };
  for (const auto& c : cases) {
    INFO("corrupted field: " << c.field);
    auto fields = good();
    const auto real_size = fields.segment_size;
    c.corrupt(fields);
    CHECK(failure_code(fields, real_size) == c.expected);
  }
}

TEST_CASE("a segment whose real size differs from its header is refused", "[unit][validation]") {
  const auto fields = good();
  CHECK(failure_code(fields, fields.segment_size - 1) == ErrorCode::corrupt);
  CHECK(failure_code(fields, fields.segment_size + 4096) == ErrorCode::corrupt);
  CHECK(failure_code(fields, 0) == ErrorCode::corrupt);
}

TEST_CASE("the error names what is wrong", "[unit][validation]") {
  auto fields = good();
  fields.layout_version = 99;
  CHECK_THROWS_WITH(validate_identity(fields, fields.segment_size, "orders"),
                    Catch::Contains("orders") && Catch::Contains("layout version 99"));
  fields = good();
  CHECK_THROWS_WITH(validate_identity(fields, fields.segment_size / 2, "orders"),
                    Catch::Contains("truncated"));
}

TEST_CASE("explicit geometry must match an existing queue", "[unit][validation]") {
  QueueConfig wanted;
  CHECK_NOTHROW(check_requested_geometry(wanted, kGeometry, "q"));
  wanted.capacity = 64;
  wanted.slot_size = 100;
  wanted.multi_producer = true;
  CHECK_NOTHROW(check_requested_geometry(wanted, kGeometry, "q"));
  SECTION("capacity") { wanted.capacity = 65; }
  SECTION("slot size") { wanted.slot_size = 99; }
  SECTION("producer mode") { wanted.multi_producer = false; }
  SECTION("consumer mode") { wanted.multi_consumer = true; }
  if (wanted.capacity != 64 || wanted.slot_size != 100 || !*wanted.multi_producer ||
      wanted.multi_consumer) {
    CHECK_THROWS_MATCHES(check_requested_geometry(wanted, kGeometry, "q"), Error,
                         Catch::Predicate<Error>([](const Error& e) {
                           return e.code() == ErrorCode::geometry_mismatch;
                         }));
  }
}

TEST_CASE("creation parameters out of range are invalid arguments", "[unit][validation]") {
  CHECK_THROWS_AS(check_creation_geometry({0, 64, false, false}), Error);
  CHECK_THROWS_AS(check_creation_geometry({16, 0, false, false}), Error);
  CHECK_THROWS_AS(check_creation_geometry({layout::kMaxCapacity + 1, 64, false, false}), Error);
  CHECK_THROWS_AS(check_creation_geometry({16, layout::kMaxSlotSize + 1, false, false}), Error);
  CHECK_THROWS_AS(
      check_creation_geometry({layout::kMaxCapacity, layout::kMaxSlotSize, false, false}), Error);
  CHECK_NOTHROW(check_creation_geometry({1, 1, false, false}));
}

TEST_CASE("only our own regular files, granting no more than asked, are trusted",
          "[unit][validation]") {
  const auto code_for = [](const FileFacts& facts, const QueueConfig& config) {
    try {
      check_file_facts(facts, config, 1000, "q");
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::system;  // stands for "accepted"
  };
  const QueueConfig ours;
  CHECK(code_for({true, 1000, 0600}, ours) == ErrorCode::system);
  CHECK(code_for({true, 1000, 0400}, ours) == ErrorCode::system);  // narrower is fine
  CHECK(code_for({false, 1000, 0600}, ours) == ErrorCode::incompatible);
  CHECK(code_for({true, 0, 0600}, ours) == ErrorCode::permission_denied);
  CHECK(code_for({true, 1000, 0666}, ours) == ErrorCode::permission_denied);
  CHECK(code_for({true, 1000, 0640}, ours) == ErrorCode::permission_denied);
  CHECK(code_for({true, 1000, 04600}, ours) == ErrorCode::permission_denied);

  QueueConfig shared;
  shared.permissions = 0660;
  shared.allowed_owner = 0;
  CHECK(code_for({true, 1000, 0640}, shared) == ErrorCode::system);
  CHECK(code_for({true, 0, 0660}, shared) == ErrorCode::system);
  CHECK(code_for({true, 2000, 0660}, shared) == ErrorCode::permission_denied);
  CHECK(code_for({true, 0, 0662}, shared) == ErrorCode::permission_denied);
}

TEST_CASE("a file is another user's unless it is ours or the allowed owner's",
          "[unit][validation]") {
  QueueConfig config;
  CHECK_FALSE(is_foreign(1000, config, 1000));
  CHECK(is_foreign(65534, config, 1000));
  CHECK(is_foreign(65534, config, 0));  // root's own files are root's, nobody's are not
  config.allowed_owner = 65534;
  CHECK_FALSE(is_foreign(65534, config, 0));
  CHECK_FALSE(is_foreign(0, config, 0));
  CHECK(is_foreign(2000, config, 0));
}
