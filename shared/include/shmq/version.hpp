#pragma once

namespace shmq {
inline constexpr const char* kVersion = "0.1.0";
}  // namespace shmq
