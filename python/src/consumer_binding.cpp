// shmq.Consumer's C++ half: get, get_many, iteration to end of stream.
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bindings.hpp"
#include "consumer_handle.hpp"
#include "fast_methods.hpp"

namespace shmq::python {

namespace {

PyObject* get(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  return call_guarded([&] {
    const auto [block, timeout] =
        bind_arguments("get", std::array{"block", "timeout"}, 0, args, nargs, kwnames);
    const auto wait = block_timeout_of(block, timeout);
    return self_of<PyConsumer>(self).get(wait.block, wait.timeout);
  });
}

PyObject* get_nowait(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  return call_guarded([&] {
    bind_arguments("get_nowait", std::array<const char*, 0>{}, 0, args, nargs, kwnames);
    return self_of<PyConsumer>(self).get(false, std::nullopt);
  });
}

PyObject* next(PyObject* self, PyObject*) {
  return call_guarded([&] {
    auto item = self_of<PyConsumer>(self).next_item(true, std::nullopt);
    if (!item) throw py::stop_iteration();
    return std::move(*item);
  });
}

PyMethodDef get_method{"get", fastcall(get), METH_FASTCALL | METH_KEYWORDS,
                       R"(get($self, block=True, timeout=None)
--

Removes and returns the next item (bytes, or what the serializer loads).

As queue.Queue.get: blocks until an item arrives, for at most `timeout` seconds if given,
then raises queue.Empty; with block=False raises queue.Empty at once if there is none.
Raises shmq.EndOfStream once every producer has left and the queue is drained. Ctrl-C
interrupts the wait (KeyboardInterrupt) with nothing taken.)"};
PyMethodDef get_nowait_method{"get_nowait", fastcall(get_nowait), METH_FASTCALL | METH_KEYWORDS,
                              R"(get_nowait($self)
--

get(block=False): raises queue.Empty at once if there is no item.)"};
PyMethodDef next_method{"__next__", next, METH_NOARGS,
                        "The next item; the iteration ends at end of stream."};

}  // namespace

void bind_consumer(py::module_& module) {
  auto cls = py::class_<PyConsumer>(module, "Consumer", "The C++ half of shmq.Consumer.");
  cls.def(py::init([](const std::string& name, const py::kwargs& given) {
            Keywords keywords(given, "Consumer");
            auto spec = make_attach_spec(name, keywords);
            AttachOptions options;
            options.expect_producers = keywords.take("expect_producers", 1U);
            options.lease = milliseconds_of(keywords.take("lease", 30.0), "lease");
            keywords.finish();
            return std::make_unique<PyConsumer>(std::move(spec), options);
          }),
          py::arg("name"));
  add_fast_method(cls, get_method);
  add_fast_method(cls, get_nowait_method);
  add_fast_method(cls, next_method);
  cls.def("get_many", &PyConsumer::get_many, py::arg("max_items") = 256, py::arg("block") = true,
          py::arg("timeout") = py::none(),
          R"(Removes and returns the items waiting, as a list (at least one).

Blocks like get() until one arrives; then takes up to max_items slots at once. A slot
holds one item, or several small ones when the producer packed them (put_many does), so
the list may be longer than max_items.)")
      .def(
          "__iter__", [](py::object self) { return self; },
          "A consumer is an iterator over its items, ending at end of stream.")
      .def(
          "take",
          [](py::object self, std::uint32_t max_slots, bool block,
             const std::optional<double>& timeout) {
            auto& consumer = self.cast<PyConsumer&>();
            py::object batch = py::cast(std::make_unique<PyBatch>(self, consumer));
            consumer.take(batch.cast<PyBatch&>(), max_slots, block, timeout);
            return batch;
          },
          py::arg("max_items") = 256, py::arg("block") = true, py::arg("timeout") = py::none(),
          R"(Takes the items waiting, to read in place: returns a shmq.Batch of memoryviews.

Zero-copy: the views show the queue's own slots (the serializer is not applied). Blocks,
and raises, as get_many(). The slots stay this consumer's until the batch is released
(see help(shmq.Batch)); a consumer killed meanwhile has them delivered to another.)")
      .def_property_readonly("messages", &PyConsumer::messages, "Items this consumer finished.")
      .def_property_readonly(
          "lost_to_lease", &PyConsumer::lost_to_lease,
          "Items this consumer took whose lease ran out first (handed to other consumers).");
  add_common_members<PyConsumer>(cls);
}

}  // namespace shmq::python
