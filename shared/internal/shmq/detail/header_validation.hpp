// Validation of a segment's identity fields. Pure functions over a copy: no shared memory access,
// so they are unit-tested field by field and fuzzed directly.
#pragma once

#include <cstdint>
#include <string>

#include "shmq/detail/layout.hpp"
#include "shmq/geometry.hpp"

namespace shmq {

// Checks every identity field of `fields` (a copy taken once from the segment) and that the
// segment's real size is what they describe. Returns the validated geometry; throws shmq::Error
// (incompatible or corrupt) with a message naming the field otherwise.
[[nodiscard]] Geometry validate_identity(const layout::IdentityFields& fields,
                                         std::uint64_t actual_size, const char* queue_name);

// What fstat() says about a segment's file, before anything in it is read.
struct FileFacts {
  bool regular = false;
  std::uint32_t owner = 0;  // uid
  std::uint32_t mode = 0;   // permission bits (st_mode & 07777)
};

// Permission bits as chmod(1) writes them: "0600", "0644", "4755".
[[nodiscard]] std::string octal_mode(std::uint32_t mode);

// Whether a file owned by `owner` is another user's: neither ours (`self`) nor the owner the config
// explicitly allows. Another user's file that is no valid queue is never ours to remove.
[[nodiscard]] bool is_foreign(std::uint32_t owner, const QueueConfig& config, std::uint32_t self);

// Checks that a file may be trusted as our queue: a regular file, owned by `self` or by the
// owner the config explicitly allows, and granting no permission bit beyond config.permissions.
// Throws permission_denied (or incompatible for a non-file) otherwise.
void check_file_facts(const FileFacts& facts, const QueueConfig& config, std::uint32_t self,
                      const char* queue_name);

// Checks that explicitly requested values match an existing queue; throws geometry_mismatch.
void check_requested_geometry(const QueueConfig& wanted, const Geometry& actual,
                              const char* queue_name);

// Checks creation parameters; throws invalid_argument.
void check_creation_geometry(const Geometry& geometry);

// The identity fields a creator writes for `geometry`.
[[nodiscard]] layout::IdentityFields make_identity(const Geometry& geometry,
                                                   std::uint32_t creator_uid);

}  // namespace shmq
