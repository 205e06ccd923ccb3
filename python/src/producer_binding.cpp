// shmq.Producer's C++ half: put, put_many, join and the queue.Queue vocabulary around them.
#include <pybind11/stl.h>

#include <cstring>
#include <string>
#include <vector>

#include "attachment.hpp"
#include "bindings.hpp"
#include "errors.hpp"
#include "fast_methods.hpp"

namespace shmq::python {

namespace {

// Views of a batch of items, held (their exporters locked) until the batch is put.
class ItemViews {
 public:
  ItemViews(const py::iterable& items, const py::object& dumps) {
    for (const py::handle item : items) {
      owners_.push_back(dumps.is_none() ? py::reinterpret_borrow<py::object>(item) : dumps(item));
      Py_buffer& view = views_.emplace_back();
      if (PyObject_GetBuffer(owners_.back().ptr(), &view, PyBUF_SIMPLE) != 0) {
        views_.pop_back();
        throw py::error_already_set();
      }
    }
  }
  ~ItemViews() {
    for (auto& view : views_) PyBuffer_Release(&view);
  }
  ItemViews(const ItemViews&) = delete;
  ItemViews& operator=(const ItemViews&) = delete;

  [[nodiscard]] std::size_t size() const noexcept { return views_.size(); }
  [[nodiscard]] std::span<const std::byte> operator[](std::size_t i) const noexcept {
    return {static_cast<const std::byte*>(views_[i].buf), static_cast<std::size_t>(views_[i].len)};
  }

 private:
  std::vector<py::object> owners_;
  std::vector<Py_buffer> views_;
};

// How many slots the items from `first` fill when packed as WriteBatch::append packs them (a new
// slot when the next does not fit, one alone when it is too long to pack), up to `max_slots`,
// stopping before an item larger than a slot (it goes in fragments, on its own).
std::uint32_t slots_to_pack(const ItemViews& items, std::size_t first, std::uint32_t slot_size,
                            std::uint32_t max_slots) {
  std::uint32_t slots = 0;
  std::uint64_t used = slot_size;  // no slot open yet
  for (std::size_t i = first; i < items.size() && items[i].size() <= slot_size; ++i) {
    const std::uint64_t record = layout::kRecordPrefix + items[i].size();
    if (used + record <= slot_size) {
      used += record;
      continue;
    }
    if (slots == max_slots) break;
    ++slots;
    used = record <= slot_size ? record : slot_size;
  }
  return slots;
}

// Packs items from `first` into the batch's slots, in order; returns the index of the first item
// left out (the batch was full, or the item is larger than a slot).
std::size_t pack(const WriteBatch& batch, const ItemViews& items, std::size_t first,
                 std::uint32_t slot_size) {
  std::uint32_t slot = 0;
  std::size_t i = first;
  for (; i < items.size() && items[i].size() <= slot_size; ++i) {
    const auto size = static_cast<std::uint32_t>(items[i].size());
    auto where = batch.append(slot, size);
    if (where.data() == nullptr) {
      if (++slot == batch.size()) break;
      where = batch.append(slot, size);  // an empty slot takes any item up to a slot's size
    }
    if (size != 0) std::memcpy(where.data(), items[i].data(), size);
  }
  return i;
}

class PyProducer {
 public:
  explicit PyProducer(AttachSpec spec) : attachment_(std::move(spec), {}, "Producer") {}

  void put(py::handle item, bool block, const std::optional<double>& timeout) {
    const auto until = deadline_for(block, timeout);
    auto handle = attachment_.use();
    const py::object encoded = attachment_.dumps().is_none()
                                   ? py::reinterpret_borrow<py::object>(item)
                                   : attachment_.dumps()(item);
    const BytesView view(encoded);
    Status status = handle->try_put(view.bytes());
    if (status == Status::full && block) {
      status = wait_in_slices(
          [&](Clock::time_point end) { return handle->put_until(view.bytes(), end); }, until);
    }
    if (status == Status::ok) return;
    if (status == Status::full || status == Status::timeout) raise_full();
    raise_status(status, too_big_context(*handle, view.bytes().size()));
  }

  void put_many(const py::iterable& items, bool block, const std::optional<double>& timeout) {
    const auto until = deadline_for(block, timeout);
    auto handle = attachment_.use();
    const ItemViews views(items, attachment_.dumps());
    const std::uint32_t slot_size = handle->geometry().slot_size;
    std::size_t next = 0;
    while (next < views.size()) {
      Status status = Status::ok;
      if (views[next].size() > slot_size) {  // in fragments, by put
        status = wait_in_slices(
            [&](Clock::time_point end) { return handle->put_until(views[next], end); }, until);
        if (status == Status::ok) ++next;
      } else {
        const auto slots = slots_to_pack(views, next, slot_size, handle->geometry().capacity);
        WriteBatch batch;
        status = wait_in_slices(
            [&](Clock::time_point end) { return handle->claim(batch, slots, end); }, until);
        if (status == Status::ok) {
          next = pack(batch, views, next, slot_size);
          handle->publish(batch);
        }
      }
      if (status == Status::timeout) raise_full(next);
      if (status != Status::ok) raise_status(status, too_big_context(*handle, views[next].size()));
    }
  }

  void join(const std::optional<double>& timeout) {
    const auto until = deadline_for(true, timeout);
    auto handle = attachment_.use();
    const Status status =
        wait_in_slices([&](Clock::time_point end) { return handle->join(end); }, until);
    if (status == Status::timeout) {
      raise_timeout("join: consumers had not finished every message of this producer in time");
    }
    if (status != Status::ok) raise_status(status, "join");
  }

  void close() { attachment_.close(); }
  // What the exit of a process does to a handle it attached.
  void close_if_ours() {
    if (attachment_.ours()) attachment_.close();
  }
  [[nodiscard]] std::uint32_t qsize() { return attachment_.use()->depth(); }
  [[nodiscard]] const Geometry& geometry() { return attachment_.use()->geometry(); }
  [[nodiscard]] bool created() { return attachment_.use()->created_queue(); }
  [[nodiscard]] std::uint64_t messages() { return attachment_.use()->messages(); }
  [[nodiscard]] std::uint32_t consumers_attached() {
    return attachment_.use()->consumers_attached();
  }
  Attachment<Producer>& attachment() noexcept { return attachment_; }

 private:
  static std::string too_big_context(const Producer& handle, std::size_t size) {
    return "put: an item of " + std::to_string(size) + " bytes, where the queue carries at most " +
           std::to_string(handle.geometry().max_message_size());
  }

  Attachment<Producer> attachment_;
};

PyObject* put(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  return call_guarded([&] {
    const auto [item, block, timeout] =
        bind_arguments("put", std::array{"item", "block", "timeout"}, 1, args, nargs, kwnames);
    const auto wait = block_timeout_of(block, timeout);
    self_of<PyProducer>(self).put(item, wait.block, wait.timeout);
    return py::none();
  });
}

PyObject* put_nowait(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  return call_guarded([&] {
    const auto [item] = bind_arguments("put_nowait", std::array{"item"}, 1, args, nargs, kwnames);
    self_of<PyProducer>(self).put(item, false, std::nullopt);
    return py::none();
  });
}

PyMethodDef put_method{"put", fastcall(put), METH_FASTCALL | METH_KEYWORDS,
                       R"(put($self, item, block=True, timeout=None)
--

Puts one item (bytes-like, or anything the serializer dumps) into the queue.

As queue.Queue.put: blocks while the queue is full, for at most `timeout` seconds if given,
then raises queue.Full; with block=False raises queue.Full at once if there is no room.
An item larger than max_message_size raises shmq.Rejected, and nothing is put. Ctrl-C
interrupts the wait (KeyboardInterrupt) with nothing put.)"};
PyMethodDef put_nowait_method{"put_nowait", fastcall(put_nowait), METH_FASTCALL | METH_KEYWORDS,
                              R"(put_nowait($self, item)
--

put(item, block=False): raises queue.Full at once if there is no room.)"};

}  // namespace

void bind_producer(py::module_& module) {
  auto cls = py::class_<PyProducer>(module, "Producer", R"(A producer attached to a named queue.

Producer(name, *, capacity=None, slot_size=None, producers=None, consumers=None,
         create=True, mode=0o600, allow_owner=None, wait="block", ready_timeout=2.0,
         note="", serializer=None)

Creates the queue, or opens it if it exists, and attaches to it as a producer. The
keywords are the options of the producer program: capacity (slots, default 1024) and
slot_size (bytes, default 1024) when creating, and if given they must match an existing
queue; producers / consumers "multi" (any number may attach, the default) or "single"
(a second one is refused); create=False attaches only to an existing queue (raises
QueueInvalid otherwise); mode, the permission bits; wait="spin" polls instead of sleeping;
serializer, an object with dumps() and loads() (the pickle module) for items that are not
bytes.

Items are bytes-like, up to max_message_size bytes (a quarter of the ring, or one slot if
that is more). put() returns once the item is in the queue: it will be delivered, whatever
happens to this process afterwards. When the last producer closes and the queue drains,
consumers see end of stream.
)");
  cls.def(py::init([](const std::string& name, const py::kwargs& options) {
            Keywords keywords(options, "Producer");
            auto spec = make_attach_spec(name, keywords);
            keywords.finish();
            return std::make_unique<PyProducer>(std::move(spec));
          }),
          py::arg("name"));
  add_fast_method(cls, put_method);
  add_fast_method(cls, put_nowait_method);
  cls.def("put_many", &PyProducer::put_many, py::arg("items"), py::arg("block") = true,
          py::arg("timeout") = py::none(),
          R"(Puts every item of an iterable, in order, packing small items several to a slot.

Much faster than put() in a loop for small items. Blocks, like put(), while the queue is
full; if the timeout passes first (or block=False and the queue fills up), raises
queue.Full with `accepted` set to how many leading items were put.)")
      .def("join", &PyProducer::join, py::arg("timeout") = py::none(),
           R"(Blocks until consumers have finished (received) every item this producer put.

As queue.Queue.join, across processes; a consumer's get() finishes an item. With a
timeout, raises shmq.Timeout if it passes first.)")
      .def_property_readonly("consumers_attached", &PyProducer::consumers_attached,
                             "Consumers attached now (a snapshot).")
      .def_property_readonly("messages", &PyProducer::messages, "Items put by this producer.");
  add_common_members<PyProducer>(cls);
}

}  // namespace shmq::python
