// shmq.Consumer's C++ object: the handle and what its methods do (bound in consumer_binding.cpp;
// its zero-copy batches in batch_binding.cpp).
#pragma once

#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "attachment.hpp"
#include "errors.hpp"

namespace shmq::python {

class PyConsumer;

// A batch taken for reading in place (Consumer.take): its messages are memoryviews of the
// queue's slots, counted while they are exported, and it is released only when none is left.
class PyBatch {
 public:
  PyBatch(py::object consumer_object, PyConsumer& consumer)
      : consumer_object_(std::move(consumer_object)), consumer_(&consumer) {}
  ~PyBatch();
  PyBatch(const PyBatch&) = delete;
  PyBatch& operator=(const PyBatch&) = delete;

  // Hands the slots back; raises BufferError while memoryviews of them are alive. Idempotent.
  void release();
  // A read-only memoryview of message i (IndexError past the end; ValueError once released);
  // `self` is this batch's Python object, which the view keeps alive.
  [[nodiscard]] py::object view(py::handle self, std::ptrdiff_t i);
  [[nodiscard]] std::size_t size() const noexcept { return held_ ? batch_.size() : 0; }
  [[nodiscard]] bool still_held() const;

  // For the memoryviews' exporter (batch_binding.cpp).
  [[nodiscard]] bool held() const noexcept { return held_; }
  void count_export(int change) noexcept { exports_ += change; }

 private:
  friend class PyConsumer;
  py::object consumer_object_;  // keeps the consumer, and so the queue's mapping, alive
  PyConsumer* consumer_;
  ReadBatch batch_;
  std::ptrdiff_t exports_ = 0;  // buffers handed out and not yet released
  bool held_ = false;
};

inline py::bytes bytes_of(std::span<const std::byte> message) {
  return {reinterpret_cast<const char*>(message.data()), message.size()};
}

class PyConsumer {
 public:
  PyConsumer(AttachSpec spec, const AttachOptions& options)
      : attachment_(std::move(spec), options, "Consumer") {}

  // The next item, or nothing at end of stream. Raises queue.Empty when nothing came in time.
  std::optional<py::object> next_item(bool block, const std::optional<double>& timeout) {
    const auto until = deadline_for(block, timeout);
    let_go_of_held_batch();
    auto handle = attachment_.use();
    if (!undecoded_.empty()) return decoded(pending_item());
    Status status = handle->try_get(message_);
    if (status == Status::empty && block) {
      status = wait_in_slices(
          [&](Clock::time_point end) { return handle->get_for(message_, end - Clock::now()); },
          until);
    }
    switch (status) {
      case Status::ok:
        return decoded(bytes_of(message_));
      case Status::end_of_stream:
        return std::nullopt;
      case Status::empty:
      case Status::timeout:
        raise_empty();
      default:
        raise_status(status, "get");
    }
  }

  py::object get(bool block, const std::optional<double>& timeout) {
    auto item = next_item(block, timeout);
    if (!item) raise_end_of_stream(attachment_.spec().name);
    return std::move(*item);
  }

  py::list get_many(std::uint32_t max_slots, bool block, const std::optional<double>& timeout) {
    const auto until = deadline_for(block, timeout);
    let_go_of_held_batch();
    auto handle = attachment_.use();
    if (!undecoded_.empty()) {
      py::list items;
      while (!undecoded_.empty()) items.append(pending_item());
      return decoded_all(items);
    }
    for (;;) {
      take_messages(*handle, batch_, max_slots, until);
      py::list items;
      for (const auto message : batch_) items.append(bytes_of(message));
      // A lease that ran out meanwhile: others have these messages now, and the views may have
      // shown later ones. Take again rather than hand out a copy that may be someone else's.
      const bool still_ours = handle->still_holds(batch_);
      handle->release(batch_);
      if (still_ours) return decoded_all(items);
    }
  }

  // Takes a batch to read in place (see PyBatch), releasing the one held before.
  void take(PyBatch& batch, std::uint32_t max_slots, bool block,
            const std::optional<double>& timeout) {
    const auto until = deadline_for(block, timeout);
    let_go_of_held_batch();
    auto handle = attachment_.use();
    take_messages(*handle, batch.batch_, max_slots, until);
    batch.held_ = true;
    held_ = &batch;
  }
  void release(PyBatch& batch) {
    attachment_.use()->release(batch.batch_);
    batch.held_ = false;
    held_ = nullptr;
  }
  // The batch goes away without being released here (see ~PyBatch).
  void forget(const PyBatch& batch) noexcept {
    if (held_ == &batch) held_ = nullptr;
  }
  [[nodiscard]] bool still_holds(const PyBatch& batch) {
    return attachment_.use()->still_holds(batch.batch_);
  }

  void close() {
    let_go_of_held_batch();
    attachment_.close();
  }
  // What the exit of a process does to a handle it attached: closed even while memoryviews of
  // its batch live (another exit handler may read them), the segment then left mapped.
  void close_if_ours() {
    if (!attachment_.ours()) return;
    const bool views_alive = held_ != nullptr && held_->exports_ > 0;
    if (held_ != nullptr) {  // handed back by the close below
      held_->held_ = false;
      held_ = nullptr;
    }
    attachment_.close(views_alive);
  }

  [[nodiscard]] std::uint32_t qsize() { return attachment_.use()->depth(); }
  [[nodiscard]] const Geometry& geometry() { return attachment_.use()->geometry(); }
  [[nodiscard]] bool created() { return attachment_.use()->created_queue(); }
  [[nodiscard]] std::uint64_t messages() { return attachment_.use()->messages(); }
  [[nodiscard]] std::uint64_t lost_to_lease() { return attachment_.use()->lost_to_lease(); }
  Attachment<Consumer>& attachment() noexcept { return attachment_; }

 private:
  py::object decoded(py::bytes raw) const {
    return attachment_.loads().is_none() ? std::move(raw) : attachment_.loads()(raw);
  }
  // Decodes a list of raw items in place. If the serializer fails on one, the items before it
  // are returned, and it and those after it are kept for the next read (which raises for it):
  // nothing is lost but the item that cannot be loaded, and the order holds.
  py::list decoded_all(py::list& items) {
    if (attachment_.loads().is_none()) return items;
    const auto count = static_cast<std::size_t>(py::len(items));
    std::size_t i = 0;
    try {
      for (; i < count; ++i) items[i] = attachment_.loads()(items[i]);
    } catch (...) {
      for (std::size_t k = i == 0 ? 1 : i; k < count; ++k) {
        undecoded_.push_back(py::reinterpret_borrow<py::bytes>(items[k]));
      }
      if (i == 0) throw;
      py::list loaded;
      for (std::size_t k = 0; k < i; ++k) loaded.append(items[k]);
      return loaded;
    }
    return items;
  }
  py::bytes pending_item() {
    py::bytes item = std::move(undecoded_.front());
    undecoded_.pop_front();
    return item;
  }

  // Takes a batch of at least one message, by `until` (one of only slots a dead producer left
  // is released and taken again); raises queue.Empty, EndOfStream, or the status's error.
  void take_messages(Consumer& handle, ReadBatch& batch, std::uint32_t max_slots,
                     std::optional<Clock::time_point> until) {
    if (max_slots == 0) throw py::value_error("max_items must be at least 1");
    for (;;) {
      const Status status = wait_in_slices(
          [&](Clock::time_point end) { return handle.take(batch, max_slots, end); }, until);
      if (status == Status::timeout) raise_empty();
      if (status == Status::end_of_stream) raise_end_of_stream(attachment_.spec().name);
      // corrupt with good messages: they are handed out; the next call meets the corruption
      if (status != Status::ok && (status != Status::corrupt || batch.empty())) {
        raise_status(status, "take");
      }
      if (!batch.empty()) return;
      handle.release(batch);
    }
  }

  // A consumer holds one batch at a time: any other read (or close) releases the one taken
  // before, or raises while its memoryviews are alive.
  void let_go_of_held_batch() {
    if (held_ != nullptr) held_->release();
  }

  Attachment<Consumer> attachment_;
  PyBatch* held_ = nullptr;          // the batch taken last, while it holds its slots
  std::deque<py::bytes> undecoded_;  // items taken, left when the serializer failed on one
  std::vector<std::byte> message_;   // get()'s copy, reused
  ReadBatch batch_;                  // get_many()'s batch, reused
};

}  // namespace shmq::python
