#include "shmq/detail/names.hpp"

#include <string>

#include "shmq/errors.hpp"

namespace shmq {
namespace {

bool allowed(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

[[noreturn]] void reject(std::string_view name, const std::string& why) {
  throw Error(ErrorCode::invalid_name, "invalid queue name '" + std::string(name) + "': " + why);
}

}  // namespace

void validate_name(std::string_view name) {
  if (name.empty()) reject(name, "it is empty");
  if (name.size() > kMaxNameLength) {
    reject(name.substr(0, 20), "longer than " + std::to_string(kMaxNameLength) + " characters");
  }
  if (name.front() == '.') reject(name, "it may not start with '.'");
  for (char c : name) {
    if (!allowed(c)) reject(name, "only letters, digits, '.', '_' and '-' are allowed");
  }
}

}  // namespace shmq
