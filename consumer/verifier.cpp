#include "verifier.hpp"

namespace shmq::consumer {

void Verifier::problem(const std::string& text) {
  if (first_problem_.empty()) first_problem_ = text;
}

bool Verifier::check(std::span<const std::byte> message, message_format::Decoded& decoded) {
  if (checker_.check(message, decoded) != message_format::Check::ok) {
    ++counts_.corrupt;
    problem("a message of " + std::to_string(message.size()) + " bytes failed its checksum");
    return false;
  }
  if (level_ == VerifyLevel::checksum) return true;
  // Messages come in runs from one producer: look the stream up only when the producer changes.
  bool fresh = false;
  if (last_stream_ == nullptr || decoded.producer != last_producer_) {
    auto [it, inserted] = streams_.try_emplace(decoded.producer);
    fresh = inserted;
    last_producer_ = decoded.producer;
    last_stream_ = &it->second;
  }
  Stream& stream = *last_stream_;
  if (!fresh && decoded.sequence < stream.next) {
    ++counts_.out_of_order;
    problem("producer " + std::to_string(decoded.producer) + ": sequence " +
            std::to_string(decoded.sequence) + " arrived after " + std::to_string(stream.next - 1));
    return true;
  }
  if (level_ == VerifyLevel::complete && decoded.sequence > stream.next) {
    counts_.missing += decoded.sequence - stream.next;
    problem("producer " + std::to_string(decoded.producer) + ": " +
            std::to_string(decoded.sequence - stream.next) + " missing before sequence " +
            std::to_string(decoded.sequence));
  }
  stream.next = decoded.sequence + 1;
  return true;
}

VerifyCounts Verifier::finish() const {
  VerifyCounts counts = counts_;
  counts.producers = streams_.size();
  return counts;
}

}  // namespace shmq::consumer
