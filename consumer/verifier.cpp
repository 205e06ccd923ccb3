#include "verifier.hpp"

namespace shmq::consumer {

void Verifier::problem(const std::string& text) {
  if (first_problem_.empty()) first_problem_ = text;
}

bool Verifier::find_stream(const message_format::Decoded& decoded) {
  auto [it, inserted] = streams_.try_emplace(decoded.producer);
  last_producer_ = decoded.producer;
  last_stream_ = &it->second;
  return inserted;
}

void Verifier::note_corrupt(std::size_t size) {
  ++counts_.corrupt;
  problem("a message of " + std::to_string(size) + " bytes failed its checksum");
}

void Verifier::note_out_of_order(const message_format::Decoded& decoded, const Stream& stream) {
  ++counts_.out_of_order;
  problem("producer " + std::to_string(decoded.producer) + ": sequence " +
          std::to_string(decoded.sequence) + " arrived after " + std::to_string(stream.next - 1));
}

void Verifier::note_missing(const message_format::Decoded& decoded, const Stream& stream) {
  counts_.missing += decoded.sequence - stream.next;
  problem("producer " + std::to_string(decoded.producer) + ": " +
          std::to_string(decoded.sequence - stream.next) + " missing before sequence " +
          std::to_string(decoded.sequence));
}

VerifyCounts Verifier::finish() const {
  VerifyCounts counts = counts_;
  counts.producers = streams_.size();
  return counts;
}

}  // namespace shmq::consumer
