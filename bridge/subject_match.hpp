// NATS subject patterns: which subjects a stream's subjects take in.
#pragma once

#include <string>

namespace shmq::bridge {

// Whether the subject pattern `pattern` (NATS wildcards: '*' one token, '>' the rest) matches
// every message published on `subject`, itself a pattern or a literal subject.
[[nodiscard]] bool subject_covers(const std::string& pattern, const std::string& subject);

}  // namespace shmq::bridge
