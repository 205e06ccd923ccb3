// What the bridges write into NATS headers: each message's Nats-Msg-Id, made from its identity
// in the queue, so that a message published again (by a restarted `out`) is one JetStream's
// duplicate window drops; and the end-of-stream marker.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shmq/consumer.hpp"

namespace shmq::bridge {

inline constexpr const char* kMsgIdHeader = "Nats-Msg-Id";  // JetStream's de-duplication key
// Present (its value the marker's id, which names the queue) on the header-only message `out`
// publishes when its queue's stream has ended.
inline constexpr const char* kEndOfStreamHeader = "Shmq-End-Of-Stream";

// "<incarnation as 16 hex digits>-<position>-<record>", with no allocation per message.
class MessageIdText {
 public:
  explicit MessageIdText(std::uint64_t incarnation) {
    auto [end, ec] = std::to_chars(text_, text_ + 16, incarnation, 16);
    const auto digits = static_cast<std::size_t>(end - text_);
    // Leading zeros: every id of one queue has the same prefix length.
    std::char_traits<char>::move(text_ + 16 - digits, text_, digits);
    std::char_traits<char>::assign(text_, 16 - digits, '0');
    text_[16] = '-';
    (void)ec;  // 16 hex digits always fit
  }

  // The id of message `id`, as a NUL-terminated string valid until the next call.
  const char* of(MessageId id) {
    char* at = text_ + kPrefix;
    at = std::to_chars(at, text_ + sizeof text_, id.position).ptr;
    *at++ = '-';
    at = std::to_chars(at, text_ + sizeof text_, id.record).ptr;
    *at = '\0';
    return text_;
  }

  // The end marker's id: "<incarnation>-end-<producer attachments so far>". A stream ends
  // once per producer that attached, so the same end carried twice (by a bridge restarted before
  // it could exit) has one id.
  std::string end_of_stream(std::uint64_t producers_ever) const {
    return std::string(text_, kPrefix) + "end-" + std::to_string(producers_ever);
  }

  // The message id that `text` names, if it is one of this queue's.
  [[nodiscard]] std::optional<MessageId> parse(std::string_view text) const {
    if (text.size() <= kPrefix || text.substr(0, kPrefix) != std::string_view(text_, kPrefix)) {
      return std::nullopt;
    }
    MessageId id;
    const char* at = text.data() + kPrefix;
    const char* end = text.data() + text.size();
    auto parsed = std::from_chars(at, end, id.position);
    if (parsed.ec != std::errc() || parsed.ptr == end || *parsed.ptr != '-') return std::nullopt;
    parsed = std::from_chars(parsed.ptr + 1, end, id.record);
    if (parsed.ec != std::errc() || parsed.ptr != end) return std::nullopt;
    return id;
  }

 private:
  static constexpr std::size_t kPrefix = 17;   // 16 hex digits and '-'
  char text_[kPrefix + 20 + 1 + 10 + 1] = {};  // prefix, position, '-', record, NUL
};

}  // namespace shmq::bridge
