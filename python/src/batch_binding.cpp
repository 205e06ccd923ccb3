// shmq.Batch: messages read in place, as memoryviews that the batch outlives. Releasing the batch
// while a view is alive raises BufferError, and a released batch exports nothing: misuse raises
// instead of showing another message's bytes, or unmapped memory.
#include <cstddef>

#include "bindings.hpp"
#include "consumer_handle.hpp"

namespace shmq::python {

namespace {

// The exporter behind one memoryview: a message of a batch, read-only.
// clang-format off
struct MessageBuffer {
  PyObject_HEAD
  PyObject* owner;  // the batch's Python object, owned: it keeps `batch` alive
  PyBatch* batch;
  const std::byte* data;
  Py_ssize_t size;
};
// clang-format on

PyBatch& batch_of(const MessageBuffer& buffer) {
  return *buffer.batch;
}

int get_buffer(PyObject* self, Py_buffer* view, int flags) {
  auto& buffer = *reinterpret_cast<MessageBuffer*>(self);
  if (buffer.batch == nullptr || !batch_of(buffer).held()) {
    PyErr_SetString(PyExc_ValueError, "the batch was released: its messages are gone");
    return -1;
  }
  if (PyBuffer_FillInfo(view, self, const_cast<std::byte*>(buffer.data), buffer.size, 1, flags) !=
      0) {
    return -1;
  }
  batch_of(buffer).count_export(+1);
  return 0;
}

void release_buffer(PyObject* self, Py_buffer*) {
  batch_of(*reinterpret_cast<MessageBuffer*>(self)).count_export(-1);
}

void deallocate(PyObject* self) {
  PyTypeObject* type = Py_TYPE(self);
  Py_XDECREF(reinterpret_cast<MessageBuffer*>(self)->owner);
  type->tp_free(self);
  Py_DECREF(type);  // a heap type: each instance holds a reference to it
}

PyType_Slot message_buffer_slots[] = {
    {Py_bf_getbuffer, reinterpret_cast<void*>(get_buffer)},
    {Py_bf_releasebuffer, reinterpret_cast<void*>(release_buffer)},
    {Py_tp_dealloc, reinterpret_cast<void*>(deallocate)},
    {Py_tp_doc, const_cast<char*>("A message of a shmq.Batch, exported as a memoryview.")},
    {0, nullptr}};
// Made only by PyBatch::view(): one made from Python would point nowhere.
PyType_Spec message_buffer_spec{"shmq._MessageBuffer", sizeof(MessageBuffer), 0,
                                Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
                                message_buffer_slots};
PyObject* message_buffer_type = nullptr;  // made once, when the module is imported

}  // namespace

PyBatch::~PyBatch() {
  if (!held_) return;  // no view can be left: each owns the batch
  try {
    consumer_->release(*this);
  } catch (const std::exception&) {
    // Inherited across fork, closed, or another thread inside the consumer: its next take
    // releases the slots instead.
    consumer_->forget(*this);
  }
}

void PyBatch::release() {
  if (!held_) return;
  if (exports_ > 0) {
    throw py::buffer_error(std::to_string(exports_) +
                           " memoryview(s) of this batch are still in use: release them (or copy "
                           "with bytes()) before the batch is released");
  }
  consumer_->release(*this);
}

py::object PyBatch::view(py::handle self, std::ptrdiff_t i) {
  if (!held_) throw py::value_error("the batch was released: its messages are gone");
  const auto count = static_cast<std::ptrdiff_t>(batch_.size());
  if (i < 0) i += count;
  if (i < 0 || i >= count) throw py::index_error("batch index out of range");
  const auto message = batch_[static_cast<std::size_t>(i)];
  auto* buffer = PyObject_New(MessageBuffer, reinterpret_cast<PyTypeObject*>(message_buffer_type));
  if (buffer == nullptr) throw py::error_already_set();
  buffer->owner = py::reinterpret_borrow<py::object>(self).release().ptr();
  buffer->batch = this;
  buffer->data = message.data();
  buffer->size = static_cast<Py_ssize_t>(message.size());
  const auto exporter = py::reinterpret_steal<py::object>(reinterpret_cast<PyObject*>(buffer));
  auto view = py::reinterpret_steal<py::object>(PyMemoryView_FromObject(exporter.ptr()));
  if (!view) throw py::error_already_set();
  return view;
}

bool PyBatch::still_held() const {
  return held_ && consumer_->still_holds(*this);
}

void bind_batch(py::module_& module) {
  message_buffer_type = PyType_FromSpec(&message_buffer_spec);
  if (message_buffer_type == nullptr) throw py::error_already_set();
  py::class_<PyBatch>(module, "Batch", R"(Messages taken by Consumer.take(), read in place.

A sequence of read-only memoryviews of the queue's slots: no copy is made. The slots go back
to the producers when the batch is released: release(), the end of a with block, the
consumer's next read, or the batch's deletion. Releasing while a memoryview of it is alive
raises BufferError (release the views, or copy with bytes(), first); a released batch
raises ValueError. On a multi-consumer queue the batch is this consumer's for its lease:
check still_held() after reading and before acting on what the views showed.)")
      .def("__len__", &PyBatch::size)
      .def(
          "__getitem__",
          [](py::handle self, std::ptrdiff_t i) { return self.cast<PyBatch&>().view(self, i); },
          py::arg("index"))
      .def("__iter__",
           [](py::handle self) {  // every view at once: one call, not one per message
             auto& batch = self.cast<PyBatch&>();
             py::list views;
             for (std::size_t i = 0; i < batch.size(); ++i) {
               views.append(batch.view(self, static_cast<std::ptrdiff_t>(i)));
             }
             return py::iter(views);
           })
      .def("release", &PyBatch::release,
           "Hands the slots back to producers; BufferError while memoryviews are alive.")
      .def("still_held", &PyBatch::still_held,
           "Whether the batch is still this consumer's (its lease has not run out).")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PyBatch& self, const py::args&) { self.release(); });
}

}  // namespace shmq::python
