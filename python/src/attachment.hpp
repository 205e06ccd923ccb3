// What the Producer and Consumer bindings share: how a handle was attached (so that a child
// process can attach again by the same name), the checks that guard every call, and the wait that
// Ctrl-C can interrupt.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <shmq/shmq.hpp>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "errors.hpp"

namespace shmq::python {

namespace py = pybind11;

// The keyword arguments both handles take, parsed once: what the programs' options set.
struct AttachSpec {
  std::string name;
  OpenMode open_mode = OpenMode::open_or_create;
  QueueConfig config;
  WaitStrategy wait = WaitStrategy::block;
  std::string note;  // AttachOptions::note points here
  py::object serializer = py::none();
};

// The keyword arguments of a constructor, taken one by one; what is left is a TypeError.
class Keywords {
 public:
  Keywords(const py::kwargs& given, const char* kind) : left_(given), kind_(kind) {}
  template <class T>
  T take(const char* key, T fallback) {
    if (!left_.contains(key)) return fallback;
    return left_.attr("pop")(key).template cast<T>();  // an optional takes None
  }
  // Raises TypeError naming a keyword nobody took.
  void finish() const;

 private:
  py::dict left_;
  const char* kind_;
};

// Reads what both handles take (the queue's options of the programs) from `keywords`.
AttachSpec make_attach_spec(const std::string& name, Keywords& keywords);

// Seconds as queue.Queue takes them, for a duration field; raises ValueError if negative.
std::chrono::milliseconds milliseconds_of(double seconds, const char* keyword);

// Bumped in every child by a fork handler: a handle attached in an earlier generation was
// inherited, and only its destruction is left to the child.
std::uint64_t fork_generation() noexcept;

// One handle (shmq::Producer or shmq::Consumer) and how it was attached. Every call goes through
// use(), which raises unless the handle is open, attached by this process and used by no other
// thread at the moment. A handle inherited across fork raises there, but for a multiprocessing
// child's copy (allow_reattach()): that one attaches again, by the same name, on first use.
template <class Handle>
class Attachment {
 public:
  Attachment(AttachSpec spec, const AttachOptions& options, const char* kind)
      : spec_(std::move(spec)), options_(options), kind_(kind) {
    options_.note = spec_.note;
    options_.wait = spec_.wait;
    if (!spec_.serializer.is_none()) {
      dumps_ = spec_.serializer.attr("dumps");
      loads_ = spec_.serializer.attr("loads");
    }
    attach();
  }
  ~Attachment() {
    if (!handle_ && retired_.empty()) return;
    py::gil_scoped_release unlocked;  // closing may wait for the queue's mutex
    handle_.reset();
    retired_.clear();
  }
  Attachment(const Attachment&) = delete;
  Attachment& operator=(const Attachment&) = delete;

  // The handle for one call; the thread that holds it is the only one inside.
  class Use {
   public:
    explicit Use(Attachment& owner) : owner_(owner) { owner_.busy_ = true; }
    ~Use() { owner_.busy_ = false; }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;
    Handle& operator*() const noexcept { return *owner_.handle_; }
    Handle* operator->() const noexcept { return &*owner_.handle_; }

   private:
    Attachment& owner_;
  };

  [[nodiscard]] Use use() {
    forget_inherited_thread();
    if (busy_) {
      raise_usage(std::string("this ") + kind_ + " is in use by another thread: give each " +
                  "thread its own");
    }
    if (!handle_) raise_usage(std::string("operation on a closed ") + kind_);
    if (generation_ != fork_generation()) {
      if (!reattach_allowed_) {
        raise_usage(std::string("this ") + kind_ + " was attached by process " +
                    std::to_string(attached_by_) + " and inherited across fork: a child must " +
                    "attach its own (a multiprocessing child's copy does so by itself)");
      }
      attach();
    }
    return Use(*this);
  }

  // Detaches (a copy inherited across fork only lets go of its mapping). Idempotent. With
  // keep_mapping, the segment stays mapped until this object goes: memoryviews still show it.
  void close(bool keep_mapping = false) {
    forget_inherited_thread();
    if (busy_) raise_usage(std::string("close() while another thread is inside this ") + kind_);
    if (!handle_) return;
    const bool ours = generation_ == fork_generation();
    // Out of handle_ before the GIL goes: another thread finds the handle closed, not half so.
    std::optional<Handle> closing = std::move(handle_);
    handle_.reset();
    {
      py::gil_scoped_release unlocked;  // close() may wait for the queue's mutex
      if (ours) closing->close();
      if (!keep_mapping) closing.reset();
    }
    if (closing) retired_.push_back(std::move(*closing));
  }
  // Whether the handle is open and this process attached it.
  [[nodiscard]] bool ours() const noexcept { return handle_ && generation_ == fork_generation(); }
  void allow_reattach() noexcept { reattach_allowed_ = generation_ != fork_generation(); }

  [[nodiscard]] bool closed() const noexcept { return !handle_; }
  [[nodiscard]] const AttachSpec& spec() const noexcept { return spec_; }
  // The serializer's dumps / loads, or None.
  [[nodiscard]] const py::object& dumps() const noexcept { return dumps_; }
  [[nodiscard]] const py::object& loads() const noexcept { return loads_; }

 private:
  // A thread that was inside the handle when the process forked does not exist in the child.
  void forget_inherited_thread() noexcept {
    if (generation_ != fork_generation()) busy_ = false;
  }

  void attach() {
    std::optional<Handle> attached;
    busy_ = true;  // no other thread in while the GIL is released below
    try {
      py::gil_scoped_release unlocked;  // opening waits (bounded) for a creator and the mutex
      attached.emplace(spec_.name, spec_.open_mode, spec_.config, options_);
    } catch (...) {
      busy_ = false;
      throw;
    }
    busy_ = false;
    // An inherited copy leaves the queue alone; it stays mapped, since memoryviews inherited
    // with it may still show its slots.
    if (handle_) retired_.push_back(std::move(*handle_));
    handle_ = std::move(attached);
    generation_ = fork_generation();
    attached_by_ = getpid();
    reattach_allowed_ = false;
  }

  AttachSpec spec_;
  AttachOptions options_;
  const char* kind_;
  py::object dumps_ = py::none();
  py::object loads_ = py::none();
  std::optional<Handle> handle_;
  std::vector<Handle> retired_;  // closed or inherited handles still mapped (see close())
  std::uint64_t generation_ = 0;
  pid_t attached_by_ = 0;
  bool reattach_allowed_ = false;
  bool busy_ = false;  // read and written with the GIL held
};

// A deadline from queue.Queue's (block, timeout): none when blocking for ever; `now` when not
// blocking. A negative timeout is a ValueError, as in queue.Queue.
std::optional<Clock::time_point> deadline_for(bool block, const std::optional<double>& timeout);

// Waits in slices of at most kInterruptSlice with the GIL released, checking for signals between
// them, so that Ctrl-C raises KeyboardInterrupt within that time. `attempt(until)` returns
// Status::timeout when its slice passed with nothing done (which leaves the queue as it was), so
// stopping between slices is always consistent.
inline constexpr auto kInterruptSlice = std::chrono::milliseconds(50);

template <class Attempt>
Status wait_in_slices(Attempt&& attempt, std::optional<Clock::time_point> until) {
  for (;;) {
    const auto slice_end =
        std::min(until.value_or(Clock::time_point::max()), deadline_after(kInterruptSlice));
    Status status;
    {
      py::gil_scoped_release unlocked;
      status = attempt(slice_end);
    }
    if (status != Status::timeout || (until && slice_end >= *until)) return status;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  }
}

// A readable view of a bytes-like object, held (and its exporter locked) while it lives.
class BytesView {
 public:
  explicit BytesView(const py::handle& object);
  ~BytesView() { PyBuffer_Release(&view_); }
  BytesView(const BytesView&) = delete;
  BytesView& operator=(const BytesView&) = delete;
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept {
    return {static_cast<const std::byte*>(view_.buf), static_cast<std::size_t>(view_.len)};
  }

 private:
  Py_buffer view_{};
};

}  // namespace shmq::python
