// def_op: m.def for the kernel bindings, so that arguments of the wrong Python type raise a TypeError that
// starts with "[op] " like every other error the bindings raise (checks.h).
//
// Without it pybind11 rejects such calls itself, before our checks run, with
// "matmul(): incompatible function arguments ..." (a TypeError that does not follow the "[op]" form, and
// for max_pool2d_forward not even the op's name).
//
// How: the real function is bound first and a catch-all overload (*args, **kwargs) after it. pybind11
// tries overloads first without implicit conversions, then with them, so a call whose arguments already
// have the declared types (every call axonal itself makes with arrays, Python ints, floats and bools)
// runs the real function in that first pass at no extra cost. Any other call reaches the catch-all, which
// calls a standalone copy of the real function: a single overload, so it converts exactly as before (an
// int where a float is declared, a NumPy integer for an int). If that copy rejects the arguments as well,
// the catch-all re-raises its TypeError with the "[op] " prefix and pybind11's list of what was expected
// and what was passed.
#pragma once
#include <pybind11/pybind11.h>

#include <string>
#include <utility>

namespace axonal {
namespace py = pybind11;

template <typename Func, typename... Extra>
void def_op(py::module_& m, const char* name, const std::string& op, Func&& f, const Extra&... extra) {
    // Held for the life of the process on purpose: a py::object captured by a function that is freed
    // during interpreter shutdown could be released after Python can no longer take references.
    PyObject* standalone = py::cpp_function(f, py::name(name), extra...).release().ptr();
    m.def(name, std::forward<Func>(f), extra...);
    m.def(
        name,
        [standalone, op](py::args args, py::kwargs kwargs) -> py::object {
            try {
                return py::reinterpret_borrow<py::object>(standalone)(*args, **kwargs);
            } catch (py::error_already_set& e) {
                if (!e.matches(PyExc_TypeError)) throw;
                std::string message = py::str(e.value());
                if (message.rfind("[", 0) == 0) throw;  // from one of our own checks: already "[op] ..."
                throw py::type_error("[" + op + "] " + message);
            }
        },
        "Any other arguments raise a TypeError that names the op.");
}

}  // namespace axonal
