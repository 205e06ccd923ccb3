// Methods called once per item (put, get, ...) bound as plain METH_FASTCALL functions: pybind11's
// general dispatcher costs more than the queue operation itself (some 200 ns a call here).
#pragma once

#include <pybind11/pybind11.h>

#include <array>
#include <cstring>
#include <new>
#include <optional>
#include <string>

#include "errors.hpp"

namespace shmq::python {

namespace py = pybind11;

// The object a fast method was called on, as its C++ binding (Binding's instances only: the
// descriptor checks the type before the call).
template <class Binding>
Binding& self_of(PyObject* self) {
  return py::handle(self).cast<Binding&>();
}

// Runs a fast method's body and turns what it throws into the Python error it stands for.
template <class Body>
PyObject* call_guarded(Body&& body) noexcept {
  try {
    return body().release().ptr();
  } catch (py::error_already_set& error) {
    error.restore();
  } catch (py::builtin_exception& error) {
    error.set_error();
  } catch (const Error& error) {  // opening again, in a multiprocessing child
    set_python_error(error);
  } catch (const std::bad_alloc&) {
    PyErr_NoMemory();
  } catch (const std::exception& error) {
    PyErr_SetString(PyExc_RuntimeError, error.what());
  }
  return nullptr;
}

// The arguments of a fastcall, by parameter: positional ones first, then keywords. Raises
// TypeError as Python does for too many, unknown, repeated or missing (the first `required`)
// arguments. Absent optional ones are null.
template <std::size_t N>
std::array<PyObject*, N> bind_arguments(const char* function,
                                        const std::array<const char*, N>& names,
                                        std::size_t required, PyObject* const* args,
                                        Py_ssize_t nargs, PyObject* kwnames) {
  std::array<PyObject*, N> bound{};
  if (static_cast<std::size_t>(nargs) > N) {
    throw py::type_error(std::string(function) + "() takes at most " + std::to_string(N) +
                         " arguments (" + std::to_string(nargs) + " given)");
  }
  for (Py_ssize_t i = 0; i < nargs; ++i) bound[static_cast<std::size_t>(i)] = args[i];
  const Py_ssize_t keywords = kwnames == nullptr ? 0 : PyTuple_GET_SIZE(kwnames);
  for (Py_ssize_t k = 0; k < keywords; ++k) {
    const char* key = PyUnicode_AsUTF8(PyTuple_GET_ITEM(kwnames, k));
    if (key == nullptr) throw py::error_already_set();
    std::size_t i = 0;
    while (i < N && std::strcmp(names[i], key) != 0) ++i;
    if (i == N) {
      throw py::type_error(std::string(function) + "() got an unexpected keyword argument '" + key +
                           "'");
    }
    if (bound[i] != nullptr) {
      throw py::type_error(std::string(function) + "() got multiple values for argument '" + key +
                           "'");
    }
    bound[i] = args[nargs + k];
  }
  for (std::size_t i = 0; i < required; ++i) {
    if (bound[i] == nullptr) {
      throw py::type_error(std::string(function) + "() missing required argument '" + names[i] +
                           "'");
    }
  }
  return bound;
}

// queue.Queue's (block, timeout) arguments, as given (null: the default).
struct BlockTimeout {
  bool block = true;
  std::optional<double> timeout;
};

inline BlockTimeout block_timeout_of(PyObject* block, PyObject* timeout) {
  BlockTimeout result;
  if (block != nullptr) {
    const int truth = PyObject_IsTrue(block);
    if (truth < 0) throw py::error_already_set();
    result.block = truth != 0;
  }
  if (timeout != nullptr && timeout != Py_None) {
    const double seconds = PyFloat_AsDouble(timeout);
    if (seconds == -1.0 && PyErr_Occurred()) throw py::error_already_set();
    result.timeout = seconds;
  }
  return result;
}

// A fastcall function as PyMethodDef holds it (through void(*)(): the cast is the C API's own).
using Fastcall = PyObject* (*)(PyObject*, PyObject* const*, Py_ssize_t, PyObject*);
inline PyCFunction fastcall(Fastcall function) noexcept {
  return reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(function));
}

// Installs `method` (static storage) on the class, as a method descriptor.
template <class Binding>
void add_fast_method(py::class_<Binding>& cls, PyMethodDef& method) {
  auto* type = reinterpret_cast<PyTypeObject*>(cls.ptr());
  auto descriptor = py::reinterpret_steal<py::object>(PyDescr_NewMethod(type, &method));
  if (!descriptor) throw py::error_already_set();
  cls.attr(method.ml_name) = descriptor;
}

}  // namespace shmq::python
