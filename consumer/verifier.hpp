// Checks generated messages (see shmq/message_format.hpp) as a consumer receives them.
//
// Levels: checksum only (what survives consumer crashes in a multi-consumer run, where a dead
// consumer's messages are redelivered out of order); order (also strictly increasing sequence per
// producer); complete (also no gaps from 0: true only for a sole consumer).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>

#include "shmq/detail/message_format.hpp"

namespace shmq::consumer {

struct VerifyCounts {
  std::uint64_t corrupt = 0;      // bad checksum or too short
  std::uint64_t out_of_order = 0; // sequence not above the previous one of its producer
  std::uint64_t missing = 0;      // gaps (complete mode)
  std::uint64_t producers = 0;

  [[nodiscard]] bool clean() const { return corrupt == 0 && out_of_order == 0 && missing == 0; }
};

enum class VerifyLevel { checksum, order, complete };

class Verifier {
 public:
  explicit Verifier(VerifyLevel level) : level_(level) {}

  // Returns whether the message passed its checksum; `decoded` then holds its id and sequence.
  // Inline: it runs once per message; what goes wrong is counted out of line.
  bool check(std::span<const std::byte> message, message_format::Decoded& decoded) {
    if (checker_.check(message, decoded) != message_format::Check::ok) {
      note_corrupt(message.size());
      return false;
    }
    if (level_ == VerifyLevel::checksum) return true;
    // Messages come in runs from one producer: look the stream up only when the producer changes.
    bool fresh = false;
    if (last_stream_ == nullptr || decoded.producer != last_producer_) fresh = find_stream(decoded);
    Stream& stream = *last_stream_;
    if (!fresh && decoded.sequence < stream.next) {
      note_out_of_order(decoded, stream);
      return true;
    }
    if (level_ == VerifyLevel::complete && decoded.sequence > stream.next) {
      note_missing(decoded, stream);
    }
    stream.next = decoded.sequence + 1;
    return true;
  }
  // check() for each message of `messages` (a range of byte spans, such as a ReadBatch), in a
  // loop of its own: nothing else is stored between the checks, so the compiler keeps the
  // verifier's state in registers. Returns their bytes.
  template <class Messages>
  std::uint64_t check_all(const Messages& messages) {
    message_format::Decoded decoded;
    std::uint64_t bytes = 0;
    for (const std::span<const std::byte> message : messages) {
      (void)check(message, decoded);
      bytes += message.size();
    }
    return bytes;
  }
  // Counts for everything seen so far (gaps at the start are counted in complete mode).
  [[nodiscard]] VerifyCounts finish() const;
  // "producer 1234: 17 missing before sequence 99" style detail for the first problem, if any.
  [[nodiscard]] const std::string& first_problem() const { return first_problem_; }

 private:
  struct Stream {
    std::uint64_t next = 0;  // the sequence expected next
  };
  void problem(const std::string& text);
  // Points last_stream_ at the stream of decoded.producer; returns whether it is new.
  bool find_stream(const message_format::Decoded& decoded);
  void note_corrupt(std::size_t size);
  void note_out_of_order(const message_format::Decoded& decoded, const Stream& stream);
  void note_missing(const message_format::Decoded& decoded, const Stream& stream);

  VerifyLevel level_;
  message_format::Checker checker_;
  std::unordered_map<std::uint32_t, Stream> streams_;  // node-based: pointers stay valid
  std::uint32_t last_producer_ = 0;
  Stream* last_stream_ = nullptr;
  VerifyCounts counts_{};
  std::string first_problem_;
};

}  // namespace shmq::consumer
