#include "errors.hpp"

#include <algorithm>
#include <exception>
#include <optional>

#include "exit_codes.hpp"

namespace shmq::python {

namespace {

// The classes, looked up once; never released (they outlive every handle, and the interpreter's
// own teardown frees them).
struct Classes {
  py::handle failure, usage, queue_invalid, timeout, rejected, in_use, end_of_stream, full, empty;
};
Classes classes;

// The class of the programs' exit code for the same failure (cancelled, impossible here: no
// binding passes a stop flag, Ctrl-C is KeyboardInterrupt, falls to Failure).
py::handle class_for(ErrorCode code) {
  switch (cli::exit_code_for(code)) {
    case cli::kExitUsage:
      return classes.usage;
    case cli::kExitBadQueue:
      return classes.queue_invalid;
    case cli::kExitTimeout:
      return classes.timeout;
    default:
      return classes.failure;
  }
}

// Sets the Python error: type(message, code, errno), so that the instance carries all three. The
// code is the C++ enumerator's name ("not found" is not_found).
void set_error(py::handle type, const std::string& message, std::string_view code,
               int sys_errno = 0) {
  std::string name(code);
  std::replace_if(
      name.begin(), name.end(), [](char c) { return c == ' ' || c == '-'; }, '_');
  const py::object instance = type(message, py::str(name), sys_errno);
  PyErr_SetObject(type.ptr(), instance.ptr());
}

[[noreturn]] void raise(py::handle type, const std::string& message, std::string_view code,
                        int sys_errno = 0) {
  set_error(type, message, code, sys_errno);
  throw py::error_already_set();
}

}  // namespace

void register_errors(py::module_& module) {
  const py::module_ errors = py::module_::import("shmq._errors");
  const py::module_ queue = py::module_::import("queue");
  const auto get = [](const py::module_& from, const char* name) {
    return py::object(from.attr(name)).release();
  };
  classes = {get(errors, "Failure"),     get(errors, "UsageError"), get(errors, "QueueInvalid"),
             get(errors, "Timeout"),     get(errors, "Rejected"),   get(errors, "InUse"),
             get(errors, "EndOfStream"), get(queue, "Full"),        get(queue, "Empty")};
  py::register_exception_translator([](std::exception_ptr thrown) {
    try {
      if (thrown) std::rethrow_exception(thrown);
    } catch (const Error& error) {
      set_python_error(error);
    }
  });
  module.attr("_errors") = errors;
}

void set_python_error(const Error& error) {
  set_error(class_for(error.code()), error.what(), to_string(error.code()), error.sys_errno());
}

void raise_error(const Error& error) {
  raise(class_for(error.code()), error.what(), to_string(error.code()), error.sys_errno());
}

void raise_status(Status status, const std::string& operation) {
  switch (status) {
    case Status::corrupt:
      raise(classes.queue_invalid, operation + ": the queue's shared state is corrupt",
            to_string(status));
    case Status::lost:
      raise(classes.queue_invalid,
            operation +
                ": the queue was lost (its segment truncated, or this process retired "
                "as dead): only close() is left",
            to_string(status));
    case Status::too_big:
      raise(classes.rejected, operation + ": the message is larger than the queue carries",
            to_string(status));
    default:
      raise(classes.failure, operation + ": unexpected status " + std::string(to_string(status)),
            to_string(status));
  }
}

void raise_full(std::optional<std::size_t> accepted) {
  const py::object instance = classes.full();
  if (accepted) instance.attr("accepted") = *accepted;
  PyErr_SetObject(classes.full.ptr(), instance.ptr());
  throw py::error_already_set();
}

void raise_empty() {
  PyErr_SetNone(classes.empty.ptr());
  throw py::error_already_set();
}

void raise_end_of_stream(const std::string& queue) {
  raise(classes.end_of_stream,
        "end of stream on '" + queue + "': every producer has left and the queue is drained",
        to_string(Status::end_of_stream));
}

void raise_timeout(const std::string& message) {
  raise(classes.timeout, message, to_string(Status::timeout));
}

void raise_in_use(const std::string& message) {
  raise(classes.in_use, message, "in_use");
}

void raise_usage(const std::string& message) {
  raise(classes.usage, message, "usage");
}

}  // namespace shmq::python
