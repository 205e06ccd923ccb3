#include "shmq/errors.hpp"

namespace shmq {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_argument: return "invalid argument";
    case ErrorCode::invalid_name: return "invalid name";
    case ErrorCode::not_found: return "not found";
    case ErrorCode::already_exists: return "already exists";
    case ErrorCode::permission_denied: return "permission denied";
    case ErrorCode::not_ready: return "not ready";
    case ErrorCode::incompatible: return "incompatible";
    case ErrorCode::corrupt: return "corrupt";
    case ErrorCode::geometry_mismatch: return "geometry mismatch";
    case ErrorCode::role_taken: return "role taken";
    case ErrorCode::table_full: return "process table full";
    case ErrorCode::timeout: return "timeout";
    case ErrorCode::cancelled: return "cancelled";
    case ErrorCode::system: return "system error";
    case ErrorCode::no_space: return "no space";
  }
  return "unknown error";
}

std::string_view to_string(Status status) noexcept {
  switch (status) {
    case Status::ok: return "ok";
    case Status::full: return "full";
    case Status::empty: return "empty";
    case Status::timeout: return "timeout";
    case Status::end_of_stream: return "end-of-stream";
    case Status::too_big: return "too big";
    case Status::cancelled: return "cancelled";
    case Status::corrupt: return "corrupt";
    case Status::lost: return "lost";
  }
  return "unknown";
}

Error::Error(ErrorCode code, const std::string& message, int sys_errno)
    : std::runtime_error(message), code_(code), sys_errno_(sys_errno) {}

}  // namespace shmq
