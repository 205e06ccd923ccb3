#include "shmq/detail/header_validation.hpp"

#include <cstdio>
#include <string>

#include "shmq/errors.hpp"

namespace shmq {
namespace {

std::string quoted(const char* name) { return std::string("queue '") + name + "'"; }

// No advice here: whether the file may be removed depends on whose it is (see Segment).
[[noreturn]] void corrupt(const char* name, const std::string& what) {
  throw Error(ErrorCode::corrupt, quoted(name) + " is corrupt: " + what);
}

std::string mismatch(const char* field, std::uint64_t wanted, std::uint64_t actual) {
  return std::string(field) + " " + std::to_string(wanted) + " was asked for but the queue has " +
         std::to_string(actual);
}

}  // namespace

Geometry QueueConfig::geometry_to_create() const {
  return Geometry{capacity.value_or(kDefaultCapacity), slot_size.value_or(kDefaultSlotSize),
                  multi_producer.value_or(true), multi_consumer.value_or(true)};
}

void check_creation_geometry(const Geometry& geometry) {
  if (geometry.capacity == 0 || geometry.capacity > layout::kMaxCapacity) {
    throw Error(ErrorCode::invalid_argument,
                "capacity must be between 1 and " + std::to_string(layout::kMaxCapacity) +
                    " slots, not " + std::to_string(geometry.capacity));
  }
  if (geometry.slot_size == 0 || geometry.slot_size > layout::kMaxSlotSize) {
    throw Error(ErrorCode::invalid_argument,
                "slot size must be between 1 and " + std::to_string(layout::kMaxSlotSize) +
                    " bytes, not " + std::to_string(geometry.slot_size));
  }
  if (layout::segment_size_for(geometry.capacity, geometry.slot_size) > layout::kMaxSegmentSize) {
    throw Error(ErrorCode::invalid_argument,
                "capacity x slot size is larger than the 64 GiB a segment may have");
  }
}

layout::IdentityFields make_identity(const Geometry& geometry, std::uint32_t creator_uid) {
  layout::IdentityFields fields{};
  fields.magic = layout::kMagic;
  fields.layout_version = layout::kLayoutVersion;
  fields.header_size = static_cast<std::uint32_t>(layout::kHeaderSize);
  fields.capacity = geometry.capacity;
  fields.slot_size = geometry.slot_size;
  fields.slot_stride = static_cast<std::uint32_t>(layout::slot_stride_for(geometry.slot_size));
  fields.flags = (geometry.multi_producer ? layout::kMultiProducer : 0U) |
                 (geometry.multi_consumer ? layout::kMultiConsumer : 0U);
  fields.creator_uid = creator_uid;
  fields.segment_size = layout::segment_size_for(geometry.capacity, geometry.slot_size);
  return fields;
}

Geometry validate_identity(const layout::IdentityFields& fields, std::uint64_t actual_size,
                           const char* name) {
  if (fields.magic != layout::kMagic) {
    throw Error(ErrorCode::incompatible,
                quoted(name) + " is not an shmq queue (bad magic number); another program owns "
                               "this name");
  }
  if (fields.layout_version != layout::kLayoutVersion) {
    throw Error(ErrorCode::incompatible,
                quoted(name) + " has layout version " + std::to_string(fields.layout_version) +
                    " but this build speaks version " + std::to_string(layout::kLayoutVersion) +
                    "; drain it with the matching build or remove it");
  }
  if (fields.header_size != layout::kHeaderSize) {
    corrupt(name, "header size " + std::to_string(fields.header_size) + ", expected " +
                      std::to_string(layout::kHeaderSize));
  }
  if (fields.capacity == 0 || fields.capacity > layout::kMaxCapacity) {
    corrupt(name, "capacity " + std::to_string(fields.capacity) + " is out of range");
  }
  if (fields.slot_size == 0 || fields.slot_size > layout::kMaxSlotSize) {
    corrupt(name, "slot size " + std::to_string(fields.slot_size) + " is out of range");
  }
  if (fields.slot_stride != layout::slot_stride_for(fields.slot_size)) {
    corrupt(name, "slot stride " + std::to_string(fields.slot_stride) + " does not fit slot size " +
                      std::to_string(fields.slot_size));
  }
  if ((fields.flags & ~std::uint32_t{layout::kKnownFlags}) != 0) {
    corrupt(name, "unknown flags " + std::to_string(fields.flags));
  }
  const std::uint64_t expected_size = layout::segment_size_for(fields.capacity, fields.slot_size);
  if (fields.segment_size != expected_size) {
    corrupt(name, "recorded size " + std::to_string(fields.segment_size) + " does not match " +
                      std::to_string(expected_size) + " for its capacity and slot size");
  }
  if (actual_size != expected_size) {
    corrupt(name, std::string(actual_size < expected_size ? "truncated" : "oversized") + ": " +
                      std::to_string(actual_size) + " bytes instead of " +
                      std::to_string(expected_size));
  }
  return Geometry{fields.capacity, fields.slot_size, (fields.flags & layout::kMultiProducer) != 0,
                  (fields.flags & layout::kMultiConsumer) != 0};
}

std::string octal_mode(std::uint32_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", mode & 07777U);
  return text;
}

bool is_foreign(std::uint32_t owner, const QueueConfig& config, std::uint32_t self) {
  return owner != self && owner != config.allowed_owner.value_or(self);
}

void check_file_facts(const FileFacts& facts, const QueueConfig& config, std::uint32_t self,
                      const char* name) {
  if (!facts.regular) {
    throw Error(ErrorCode::incompatible, quoted(name) + " is not a regular file; refusing it");
  }
  if (is_foreign(facts.owner, config, self)) {
    throw Error(ErrorCode::permission_denied,
                quoted(name) + " belongs to uid " + std::to_string(facts.owner) +
                    ", not to us; refusing a queue another user created (see --allow-owner)");
  }
  const std::uint32_t extra = facts.mode & ~config.permissions;
  if (extra != 0) {
    throw Error(ErrorCode::permission_denied,
                quoted(name) + " has mode " + octal_mode(facts.mode) +
                    ", which grants more than the " + octal_mode(config.permissions) +
                    " asked for; pass --mode " + octal_mode(facts.mode) + " if that is intended");
  }
}

void check_requested_geometry(const QueueConfig& wanted, const Geometry& actual, const char* name) {
  std::string problem;
  if (wanted.capacity && *wanted.capacity != actual.capacity) {
    problem = mismatch("capacity", *wanted.capacity, actual.capacity);
  } else if (wanted.slot_size && *wanted.slot_size != actual.slot_size) {
    problem = mismatch("slot size", *wanted.slot_size, actual.slot_size);
  } else if (wanted.multi_producer && *wanted.multi_producer != actual.multi_producer) {
    problem = std::string(*wanted.multi_producer ? "multi" : "single") +
              "-producer was asked for but the queue is " +
              (actual.multi_producer ? "multi" : "single") + "-producer";
  } else if (wanted.multi_consumer && *wanted.multi_consumer != actual.multi_consumer) {
    problem = std::string(*wanted.multi_consumer ? "multi" : "single") +
              "-consumer was asked for but the queue is " +
              (actual.multi_consumer ? "multi" : "single") + "-consumer";
  }
  if (!problem.empty()) {
    throw Error(ErrorCode::geometry_mismatch,
                quoted(name) + " already exists: " + problem +
                    " (omit the option to use the existing queue, or remove it first)");
  }
}

}  // namespace shmq
