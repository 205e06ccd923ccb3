// The extension module shmq._shmq: the handles, and the queue-wide operations of the shmq tool.
#include <pybind11/stl.h>

#include <shmq/shmq.hpp>
#include <string>

#include "bindings.hpp"
#include "errors.hpp"

namespace shmq::python {
namespace {

// As `shmq remove`: refused (InUse) while live processes are attached, unless forced; a broken
// queue of ours is removed all the same, another program's file never (live_processes()).
bool remove_named_queue(const std::string& name, bool force) {
  const auto live = live_processes(name);
  if (!live.empty() && !force) {
    std::string pids;
    for (const auto pid : live) pids += (pids.empty() ? "" : ", ") + std::to_string(pid);
    raise_in_use("queue '" + name + "' has live processes attached (pid " + pids +
                 "); stop them first, or pass force=True");
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
