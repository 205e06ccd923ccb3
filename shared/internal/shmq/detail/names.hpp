// Queue names: 1 to 200 characters from [A-Za-z0-9._-], not starting with '.'. The name is the
// file /dev/shm/<name>; no slashes, so a name can never reach outside /dev/shm.
#pragma once

#include <string_view>

namespace shmq {

inline constexpr std::size_t kMaxNameLength = 200;

// Throws shmq::Error(invalid_name) with the reason.
void validate_name(std::string_view name);

}  // namespace shmq
