// The extension module shmq._shmq: the handles, and the queue-wide operations of the shmq tool.
#include <pybind11/stl.h>

#include <shmq/shmq.hpp>
#include <string>

#include "bindings.hpp"
#include "errors.hpp"

namespace shmq::python {
namespace {

// As `shmq remove`: refused (InUse) while live processes are attached, unless forced; a broken
// queue of ours is removed all the same, another program's file is not.
bool remove_named_queue(const std::string& name, bool force) {
  if (!force) {
    std::string live;
    try {
      for (const auto& process : inspect_queue(name).processes) {
        if (process.alive) live += (live.empty() ? "" : ", ") + std::to_string(process.pid);
      }
    } catch (const Error& e) {
      if (e.code() == ErrorCode::incompatible || e.code() == ErrorCode::invalid_name) throw;
    }
    if (!live.empty()) {
      raise_in_use("queue '" + name + "' has live processes attached (pid " + live +
                   "); stop them first, or pass force=True");
    }
  }
  return remove_queue(name);
}

}  // namespace
}  // namespace shmq::python

PYBIND11_MODULE(_shmq, module) {
  namespace py = pybind11;
  using namespace shmq::python;
  module.doc() = "The C++ half of the shmq package: see help(shmq).";
  register_errors(module);
  bind_producer(module);
  bind_consumer(module);
  bind_batch(module);
  module.def("remove_queue", &remove_named_queue, py::arg("name"), py::arg("force") = false,
             R"(Removes the named queue; returns False if there was none.

As `shmq remove`: raises shmq.InUse while live processes are attached, unless force=True
(they keep their mappings and go on between themselves; the next opener creates a new
queue). Raises QueueInvalid for a file in /dev/shm that is no queue.)");
  module.def("list_queues", &shmq::list_queue_names,
             "The names of the queues in /dev/shm, sorted (as `shmq list` shows them).");
  module.attr("__version__") = shmq::kVersion;
  module.attr("DEFAULT_CAPACITY") = shmq::kDefaultCapacity;
  module.attr("DEFAULT_SLOT_SIZE") = shmq::kDefaultSlotSize;
}
