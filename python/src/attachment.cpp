#include "attachment.hpp"

#include <pthread.h>

#include <atomic>
#include <cmath>

namespace shmq::python {

namespace {

// Written in a fork child's handler (one thread then) and read with the GIL held.
std::atomic<std::uint64_t> generation{0};

void count_fork_in_child() noexcept {
  generation.fetch_add(1, std::memory_order_relaxed);  // the child has one thread: no ordering
}

// Registers the handler once, when the module is first loaded.
const int registered = pthread_atfork(nullptr, nullptr, count_fork_in_child);

std::optional<bool> multiplicity(const std::optional<std::string>& text, const char* keyword) {
  if (!text) return std::nullopt;
  if (*text == "multi") return true;
  if (*text == "single") return false;
  throw py::value_error(std::string(keyword) + " must be 'multi' or 'single', not '" + *text + "'");
}

}  // namespace

std::uint64_t fork_generation() noexcept {
  (void)registered;
  return generation.load(std::memory_order_relaxed);  // our own process's writes: no ordering
}

void Keywords::finish() const {
  for (const auto& [key, value] : left_) {
    throw py::type_error(std::string(kind_) + "() got an unexpected keyword argument '" +
                         key.cast<std::string>() + "'");
  }
}

AttachSpec make_attach_spec(const std::string& name, Keywords& keywords) {
  AttachSpec spec;
  spec.name = name;
  spec.open_mode = keywords.take("create", true) ? OpenMode::open_or_create : OpenMode::open_only;
  spec.config.capacity = keywords.take("capacity", std::optional<std::uint32_t>());
  spec.config.slot_size = keywords.take("slot_size", std::optional<std::uint32_t>());
  spec.config.multi_producer =
      multiplicity(keywords.take("producers", std::optional<std::string>()), "producers");
  spec.config.multi_consumer =
      multiplicity(keywords.take("consumers", std::optional<std::string>()), "consumers");
  spec.config.permissions = keywords.take("mode", 0600U);
  spec.config.allowed_owner = keywords.take("allow_owner", std::optional<std::uint32_t>());
  spec.config.ready_timeout = milliseconds_of(keywords.take("ready_timeout", 2.0), "ready_timeout");
  const auto wait = keywords.take("wait", std::string("block"));
  if (wait == "block") {
    spec.wait = WaitStrategy::block;
  } else if (wait == "spin") {
    spec.wait = WaitStrategy::spin;
  } else {
    throw py::value_error("wait must be 'block' or 'spin', not '" + wait + "'");
  }
  spec.note = keywords.take("note", std::string());
  spec.serializer = keywords.take("serializer", py::object(py::none()));
  if (!spec.serializer.is_none() &&
      (!py::hasattr(spec.serializer, "dumps") || !py::hasattr(spec.serializer, "loads"))) {
    throw py::type_error("serializer must have dumps() and loads() (the pickle module does)");
  }
  return spec;
}

std::chrono::milliseconds milliseconds_of(double seconds, const char* keyword) {
  if (!(seconds >= 0) || !std::isfinite(seconds)) {
    throw py::value_error(std::string(keyword) + " must be a non-negative number of seconds");
  }
  if (seconds > 1e9) seconds = 1e9;  // longer than any process lives, and no overflow below
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000)));
}

std::optional<Clock::time_point> deadline_for(bool block, const std::optional<double>& timeout) {
  if (!block) return Clock::now();
  if (!timeout) return std::nullopt;
  if (!(*timeout >= 0)) throw py::value_error("'timeout' must be a non-negative number");
  if (*timeout > 1e9) return std::nullopt;  // longer than any process lives: for ever
  return deadline_after(
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*timeout)));
}

BytesView::BytesView(const py::handle& object) {
  if (PyObject_GetBuffer(object.ptr(), &view_, PyBUF_SIMPLE) != 0) throw py::error_already_set();
}

}  // namespace shmq::python
