// Bindings for kernels/gemm: gemm (2-D, in place into c) and matmul (2-D or batched 3-D, allocates).
// Inputs may be row-major or column-major views (for example x.T) with any leading dimension: the
// layout is read from the strides and turned into a transpose flag, so transposes cost no copy.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "bindings/aligned_array.h"
#include "bindings/checks.h"
#include "bindings/def_op.h"
#include "kernels/gemm.h"

namespace axonal {
namespace {

struct MatrixView {
    bool trans;  // true when the memory is the row-major transpose of the logical matrix
    int64_t ld;
};

// Logical shape (rows, cols) with element strides (s0, s1) -> a row-major view the kernel understands.
MatrixView matrix_view(const std::string& op, const char* name, const py::array& a, int64_t s0, int64_t s1) {
    int64_t rows = a.shape(a.ndim() - 2), cols = a.shape(a.ndim() - 1);
    if (rows == 0 || cols == 0) return {false, std::max<int64_t>(cols, 1)};  // empty: nothing is read
    if ((s1 == 1 || cols <= 1) && s0 >= std::max<int64_t>(cols, 1)) return {false, std::max<int64_t>(s0, 1)};
    if ((s0 == 1 || rows <= 1) && s1 >= std::max<int64_t>(rows, 1)) return {true, std::max<int64_t>(s1, 1)};
    if (rows <= 1 && cols <= 1) return {false, 1};
    fail_value(op, name, " has shape ", shape_str(a), " with strides (", s0, ", ", s1,
               ") elements: neither rows nor columns are contiguous; pass a contiguous array");
}

int64_t elem_stride(const py::array& a, int dim) { return a.strides(dim) / py::ssize_t(a.itemsize()); }

// Non-negative strides in whole elements, and data aligned to the element size (a misaligned float is
// undefined behaviour to load; UBSan found the fuzzer's unaligned views reaching the kernels).
void check_strides_nonnegative(const std::string& op, const char* name, const py::array& a) {
    for (py::ssize_t d = 0; d < a.ndim(); ++d)
        if (a.strides(d) < 0 || a.strides(d) % py::ssize_t(a.itemsize()) != 0)
            fail_value(op, name, " has negative or unaligned strides (shape ", shape_str(a), "); pass a contiguous array");
    if (reinterpret_cast<std::uintptr_t>(a.data()) % std::uintptr_t(a.itemsize()) != 0)
        fail_value(op, name, " is not aligned to its element size (shape ", shape_str(a), "); pass a copy");
}

template <typename T>
void run_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const py::array& a, MatrixView va,
              const py::array& b, MatrixView vb, double beta, py::array& c) {
    const T* A = cdata_ptr<T>(a);
    const T* B = cdata_ptr<T>(b);
    T* C = data_ptr<T>(c);
    int64_t ldc = std::max<int64_t>(elem_stride(c, 0), 1);
    py::gil_scoped_release release;
    gemm<T>(ta != va.trans, tb != vb.trans, M, N, K, T(alpha), A, va.ld, B, vb.ld, T(beta), C, ldc);
}

// c <- alpha * op(a) @ op(b) + beta * c, in place.
void gemm_py(py::array a, py::array b, py::array c, bool trans_a, bool trans_b, double alpha, double beta,
             bool reference) {
    const std::string op = "gemm";
    DType dt = float_dtype(op, "a", a);
    require_same_dtype(op, "b", b, "a", a);
    require_same_dtype(op, "c", c, "a", a);
    require_ndim(op, "a", a, 2);
    require_ndim(op, "b", b, 2);
    require_ndim(op, "c", c, 2);
    require_writeable(op, "c", c);
    check_strides_nonnegative(op, "a", a);
    check_strides_nonnegative(op, "b", b);
    check_strides_nonnegative(op, "c", c);
    int64_t M = trans_a ? a.shape(1) : a.shape(0);
    int64_t K = trans_a ? a.shape(0) : a.shape(1);
    int64_t Kb = trans_b ? b.shape(1) : b.shape(0);
    int64_t N = trans_b ? b.shape(0) : b.shape(1);
    if (K != Kb)
        fail_value(op, "inner dimensions differ: op(a) is ", M, "x", K, ", op(b) is ", Kb, "x", N, " (a ", shape_str(a),
                   ", b ", shape_str(b), ", trans_a=", trans_a, ", trans_b=", trans_b, ")");
    if (c.shape(0) != M || c.shape(1) != N)
        fail_value(op, "c has shape ", shape_str(c), " but op(a) @ op(b) is (", M, ", ", N, ") (a ", shape_str(a),
                   ", b ", shape_str(b), ")");
    if (elem_stride(c, 1) != 1 && N > 1) fail_value(op, "c must have contiguous rows (shape ", shape_str(c), ")");
    // The kernels write row i at c + i * ldc: rows closer than a row apart (a writeable view with row stride 0
    // or 1) would make them write past the end of c's memory.
    if (M > 1 && N > 0 && elem_stride(c, 0) < N)
        fail_value(op, "c has row stride ", elem_stride(c, 0), " elements, less than its ", N,
                   " columns (shape ", shape_str(c), "): its rows overlap; pass a contiguous array");
    MatrixView va = matrix_view(op, "a", a, elem_stride(a, 0), elem_stride(a, 1));
    MatrixView vb = matrix_view(op, "b", b, elem_stride(b, 0), elem_stride(b, 1));
    if (reference) {
        py::gil_scoped_release release;
        if (dt == DType::F32)
            gemm_reference<float>(trans_a != va.trans, trans_b != vb.trans, M, N, K, float(alpha),
                                  cdata_ptr<float>(a), va.ld, cdata_ptr<float>(b), vb.ld, float(beta),
                                  data_ptr<float>(c), std::max<int64_t>(elem_stride(c, 0), 1));
        else
            gemm_reference<double>(trans_a != va.trans, trans_b != vb.trans, M, N, K, alpha, cdata_ptr<double>(a),
                                   va.ld, cdata_ptr<double>(b), vb.ld, beta, data_ptr<double>(c),
                                   std::max<int64_t>(elem_stride(c, 0), 1));
        return;
    }
    if (dt == DType::F32)
        run_gemm<float>(trans_a, trans_b, M, N, K, alpha, a, va, b, vb, beta, c);
    else
        run_gemm<double>(trans_a, trans_b, M, N, K, alpha, a, va, b, vb, beta, c);
}

// a (..., M, K) @ b (..., K, N) for 2-D or 3-D inputs with equal batch sizes (the Python side broadcasts
// batches with stride-0 views, which are fine here). Returns a new C-contiguous array.
py::array matmul_py(py::array a, py::array b) {
    const std::string op = "matmul";
    DType dt = float_dtype(op, "a", a);
    require_same_dtype(op, "b", b, "a", a);
    if (a.ndim() != b.ndim() || a.ndim() < 2 || a.ndim() > 3)
        fail_value(op, "expects two 2-D or two 3-D arrays, got a ", shape_str(a), " and b ", shape_str(b));
    check_strides_nonnegative(op, "a", a);
    check_strides_nonnegative(op, "b", b);
    bool batched = a.ndim() == 3;
    int64_t batch = batched ? a.shape(0) : 1;
    if (batched && b.shape(0) != batch)
        fail_value(op, "batch sizes differ: a ", shape_str(a), ", b ", shape_str(b));
    int d = batched ? 1 : 0;
    int64_t M = a.shape(d), K = a.shape(d + 1), Kb = b.shape(d), N = b.shape(d + 1);
    if (K != Kb)
        fail_value(op, "inner dimensions differ: a ", shape_str(a), " @ b ", shape_str(b), " (", K, " != ", Kb, ")");
    std::vector<py::ssize_t> out_shape;
    if (batched) out_shape.push_back(batch);
    out_shape.push_back(M);
    out_shape.push_back(N);
    py::array c = aligned_empty(op, a.dtype(), out_shape);
    MatrixView va = matrix_view(op, "a", a, elem_stride(a, d), elem_stride(a, d + 1));
    MatrixView vb = matrix_view(op, "b", b, elem_stride(b, d), elem_stride(b, d + 1));
    int64_t sa = batched ? elem_stride(a, 0) : 0, sb = batched ? elem_stride(b, 0) : 0;
    auto run = [&](auto tag) {
        using T = decltype(tag);
        const T* A = cdata_ptr<T>(a);
        const T* B = cdata_ptr<T>(b);
        T* C = data_ptr<T>(c);
        py::gil_scoped_release release;
        gemm_batched<T>(va.trans, vb.trans, batch, M, N, K, T(1), A, sa, va.ld, B, sb, vb.ld, T(0), C, M * N,
                        std::max<int64_t>(N, 1));
    };
    with_dtype(dt, run);
    return c;
}

}  // namespace

void bind_gemm(py::module_& m) {
    def_op(m, "gemm", "gemm", &gemm_py, py::arg("a"), py::arg("b"), py::arg("c"), py::arg("trans_a") = false,
           py::arg("trans_b") = false, py::arg("alpha") = 1.0, py::arg("beta") = 0.0, py::arg("reference") = false,
           "c <- alpha * op(a) @ op(b) + beta * c in place; reference=True runs the naive kernel.");
    def_op(m, "matmul", "matmul", &matmul_py,
           py::arg("a"), py::arg("b"), "a @ b for 2-D or equally batched 3-D arrays.");
}

}  // namespace axonal
