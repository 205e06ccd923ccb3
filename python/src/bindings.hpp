// The classes of the extension module shmq._shmq, and what Producer and Consumer share.
#pragma once

#include <pybind11/pybind11.h>

#include "attachment.hpp"

namespace shmq::python {

namespace py = pybind11;

void bind_producer(py::module_& module);
void bind_consumer(py::module_& module);
void bind_batch(py::module_& module);

// What both handles have: close(), the context manager, the queue's shape, and the hooks the
// Python half (shmq/__init__.py) calls around fork and process exit.
template <class Binding>
void add_common_members(py::class_<Binding>& cls) {
  cls.def("close", &Binding::close,
          "Detaches from the queue. Idempotent; any other call afterwards raises UsageError.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](Binding& self, const py::args&) { self.close(); })
      .def_property_readonly(
          "name", [](Binding& self) { return self.attachment().spec().name; }, "The queue's name.")
      .def_property_readonly(
          "closed", [](Binding& self) { return self.attachment().closed(); },
          "Whether close() was called.")
      .def_property_readonly(
          "capacity", [](Binding& self) { return self.geometry().capacity; },
          "Slots in the queue's ring (queue.Queue's maxsize, in slots).")
      .def_property_readonly(
          "maxsize", [](Binding& self) { return self.geometry().capacity; },
          "The same as capacity: queue.Queue's name for it.")
      .def_property_readonly(
          "slot_size", [](Binding& self) { return self.geometry().slot_size; },
          "Payload bytes per slot.")
      .def_property_readonly(
          "max_message_size", [](Binding& self) { return self.geometry().max_message_size(); },
          "The largest item the queue carries, in bytes.")
      .def_property_readonly(
          "multi_producer", [](Binding& self) { return self.geometry().multi_producer; },
          "Whether any number of producers may attach (else only one).")
      .def_property_readonly(
          "multi_consumer", [](Binding& self) { return self.geometry().multi_consumer; },
          "Whether any number of consumers may attach (else only one).")
      .def("qsize", &Binding::qsize,
           "Slots filled in the queue (a snapshot): items, but for small items packed "
           "several to a slot (put_many packs them).")
      .def(
          "empty", [](Binding& self) { return self.qsize() == 0; },
          "Whether the queue holds no item (a snapshot).")
      .def(
          "full", [](Binding& self) { return self.qsize() >= self.geometry().capacity; },
          "Whether every slot is filled (a snapshot).")
      .def_property_readonly("created", &Binding::created, "Whether this handle created the queue.")
      .def("_allow_reattach", [](Binding& self) { self.attachment().allow_reattach(); })
      .def("_close_if_ours", &Binding::close_if_ours);
}

}  // namespace shmq::python
