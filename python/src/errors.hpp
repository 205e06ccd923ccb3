// shmq's failures as Python exceptions: the classes live in shmq/_errors.py, one per exit-code
// category of the programs; these raise them.
#pragma once

#include <pybind11/pybind11.h>

#include <optional>
#include <shmq/errors.hpp>
#include <string>

namespace shmq::python {

namespace py = pybind11;

// Looks the classes up in shmq._errors and routes every shmq::Error thrown under a binding to
// its class. Called once, when the module is imported.
void register_errors(py::module_& module);

// Sets the Python exception for `error` (its class, message, code name and errno) without
// throwing: for code that returns to Python itself.
void set_python_error(const Error& error);
// Raises the Python exception for `error` (its message, code name and errno).
[[noreturn]] void raise_error(const Error& error);
// Raises the exception for a status no call of the binding can go on from (corrupt, lost, ...),
// naming the operation.
[[noreturn]] void raise_status(Status status, const std::string& operation);
// Raises queue.Full or queue.Empty (optionally with `accepted`: how many items were put first).
[[noreturn]] void raise_full(std::optional<std::size_t> accepted = std::nullopt);
[[noreturn]] void raise_empty();
// Raises shmq.EndOfStream.
[[noreturn]] void raise_end_of_stream(const std::string& queue);
// Raises shmq.Timeout with `message` (a join that ran out of time).
[[noreturn]] void raise_timeout(const std::string& message);
// Raises shmq.InUse with `message` (a queue that live processes use).
[[noreturn]] void raise_in_use(const std::string& message);
// Raises shmq.UsageError with `message` (a handle used where it may not be).
[[noreturn]] void raise_usage(const std::string& message);

}  // namespace shmq::python
