// shmq.Consumer's C++ object: the handle and what its methods do (bound in consumer_binding.cpp;
// its zero-copy batches in batch_binding.cpp).
#pragma once

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
    if (max_slots == 0) throw py::value_error("max_items must be at least 1");
    const auto until = deadline_for(block, timeout);
    let_go_of_held_batch();
    auto handle = attachment_.use();
    for (;;) {
      const Status status = wait_in_slices(
          [&](Clock::time_point end) { return handle->take(batch_, max_slots, end); }, until);
      if (status == Status::timeout) raise_empty();
      if (status == Status::end_of_stream) raise_end_of_stream(attachment_.spec().name);
      if (status != Status::ok && (status != Status::corrupt || batch_.empty())) {
        raise_status(status, "get_many");
      }
      py::list items;
      for (const auto message : batch_) items.append(decoded(bytes_of(message)));
      // A lease that ran out meanwhile: others have these messages now, and the views may have
      // shown later ones. Take again rather than hand out a copy that may be someone else's.
      const bool still_ours = handle->still_holds(batch_);
      handle->release(batch_);
      if (still_ours) return items;
    }
  }

  // Takes a batch to read in place (see PyBatch), releasing the one held before.
  void take(PyBatch& batch, std::uint32_t max_slots, bool block,
            const std::optional<double>& timeout) {
    if (max_slots == 0) throw py::value_error("max_items must be at least 1");
    const auto until = deadline_for(block, timeout);
    let_go_of_held_batch();
    auto handle = attachment_.use();
    const Status status = wait_in_slices(
        [&](Clock::time_point end) { return handle->take(batch.batch_, max_slots, end); }, until);
    if (status == Status::timeout) raise_empty();
    if (status == Status::end_of_stream) raise_end_of_stream(attachment_.spec().name);
    if (status != Status::ok && (status != Status::corrupt || batch.batch_.empty())) {
      raise_status(status, "take");
    }
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

  // A consumer holds one batch at a time: any other read (or close) releases the one taken
  // before, or raises while its memoryviews are alive.
  void let_go_of_held_batch() {
    if (held_ != nullptr) held_->release();
  }

  Attachment<Consumer> attachment_;
  PyBatch* held_ = nullptr;         // the batch taken last, while it holds its slots
  std::vector<std::byte> message_;  // get()'s copy, reused
  ReadBatch batch_;                 // get_many()'s batch, reused
};

}  // namespace shmq::python
