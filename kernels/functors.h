// The elementwise functions of dlcam's differentiable ops, as small structs that compile for
// the host (kernels/cpu) and for the device (kernels/cuda), so that one formula serves both
// backends. Parameters are members: fn::MulScalar{0.5}(v) is v·0.5.
//
// Each forward function sits next to its backward one. A backward functor takes the incoming
// gradient g first, then what its derivative is written in: the output y (ReluGrad: g·[y > 0])
// or the input x (LogGrad: g/x).
//
// Arithmetic is written exactly as the CPU lambdas it replaced were, so CPU results did not
// change: a double parameter promotes a float32 value to double (AddScalar computes
// float(double(v) + s)). std:: math has device overloads under nvcc for float and double.
//
// The functors in the DLCAM_GPU_*_FUNCTORS lists below have CUDA kernels (instantiated in
// kernels/cuda/elementwise.cu); kernels/elementwise.h runs any other callable on the host.
// Adding a functor with a GPU kernel: define it here and add it to its list.
#pragma once

#include <cmath>

#ifdef __CUDACC__
#define DLCAM_HD __host__ __device__
#else
#define DLCAM_HD
#endif

// In their own namespace, so that argument-dependent lookup of a call like zip(x, y, f) inside
// kernels/cpu or kernels/cuda does not also find the dispatching kernels::zip.
namespace dlcam::kernels::fn {

// ---- Binary arithmetic, and the backward formulas of divide and pow --------------------------

struct Add {
  template <typename T> DLCAM_HD T operator()(T x, T y) const { return x + y; }
};
struct Sub {
  template <typename T> DLCAM_HD T operator()(T x, T y) const { return x - y; }
};
struct Mul {
  template <typename T> DLCAM_HD T operator()(T x, T y) const { return x * y; }
};
struct Div {
  template <typename T> DLCAM_HD T operator()(T x, T y) const { return x / y; }
};
// d(x/y)/dy · g = −g·x / y²
struct DivGradDivisor {
  template <typename T> DLCAM_HD T operator()(T g, T x, T y) const { return -g * x / (y * y); }
};

struct Pow {
  template <typename T> DLCAM_HD T operator()(T x, T p) const { return std::pow(x, p); }
};
// d(x^p)/dx · g = g·p·x^(p−1); x⁰ is constant, also at x = 0.
struct PowGradBase {
  template <typename T> DLCAM_HD T operator()(T g, T x, T p) const {
    return p == 0 ? 0 * g : g * p * std::pow(x, p - 1);
  }
};
// d(x^p)/dp · g = g·x^p·log x
struct PowGradExponent {
  template <typename T> DLCAM_HD T operator()(T g, T x, T p) const { return g * std::pow(x, p) * std::log(x); }
};

struct Negate {
  template <typename T> DLCAM_HD T operator()(T v) const { return -v; }
};

// ---- With a scalar ----------------------------------------------------------------------------

struct AddScalar {
  double s;
  template <typename T> DLCAM_HD T operator()(T v) const { return static_cast<T>(v + s); }
};
struct MulScalar {
  double s;
  template <typename T> DLCAM_HD T operator()(T v) const { return static_cast<T>(v * s); }
};
// v / d in the element type (mean's division by a count).
struct DivScalar {
  double d;
  template <typename T> DLCAM_HD T operator()(T v) const { return v / static_cast<T>(d); }
};

struct PowScalar {
  double p;
  template <typename T> DLCAM_HD T operator()(T v) const { return static_cast<T>(std::pow(static_cast<double>(v), p)); }
};
// g·p·x^(p−1)
struct PowScalarGrad {
  double p;
  template <typename T> DLCAM_HD T operator()(T g, T x) const {
    return static_cast<T>(g * (p == 0 ? 0.0 : p * std::pow(static_cast<double>(x), p - 1)));
  }
};

// ---- Activations --------------------------------------------------------------------------

// `v < 0 ? 0 : v` keeps NaN (as PyTorch); max(v, 0) could turn it into 0.
struct Relu {
  template <typename T> DLCAM_HD T operator()(T v) const { return v < 0 ? T(0) : v; }
};
struct ReluGrad {  // from the output
  template <typename T> DLCAM_HD T operator()(T g, T y) const { return g * (y > 0 ? T(1) : T(0)); }
};

struct LeakyRelu {
  double scale;
  template <typename T> DLCAM_HD T operator()(T v) const {
    return static_cast<T>(v > 0 ? static_cast<double>(v) : v * scale);
  }
};
struct LeakyReluGrad {  // from the input
  double scale;
  template <typename T> DLCAM_HD T operator()(T g, T x) const { return static_cast<T>(g * (x > 0 ? 1.0 : scale)); }
};

struct ClippedRelu {
  double ceiling;
  template <typename T> DLCAM_HD T operator()(T v) const {
    return static_cast<T>(v < 0 ? 0.0 : (v > ceiling ? ceiling : static_cast<double>(v)));
  }
};
struct ClippedReluGrad {  // from the input
  double ceiling;
  template <typename T> DLCAM_HD T operator()(T g, T x) const {
    return static_cast<T>(g * (x > 0 && x < ceiling ? 1.0 : 0.0));
  }
};

struct Sigmoid {
  template <typename T> DLCAM_HD T operator()(T v) const { return 1 / (1 + std::exp(-v)); }
};
struct SigmoidGrad {  // from the output: y·(1 − y)
  template <typename T> DLCAM_HD T operator()(T g, T y) const { return g * (y * (1 - y)); }
};

struct Tanh {
  template <typename T> DLCAM_HD T operator()(T v) const { return std::tanh(v); }
};
struct TanhGrad {  // from the output: 1 − y²
  template <typename T> DLCAM_HD T operator()(T g, T y) const { return g * (1 - y * y); }
};

// ---- Exponential, logarithm, square root ----------------------------------------------------

struct Exp {
  template <typename T> DLCAM_HD T operator()(T v) const { return std::exp(v); }
};
struct ExpGrad {  // from the output: y
  template <typename T> DLCAM_HD T operator()(T g, T y) const { return g * y; }
};

struct Log {
  template <typename T> DLCAM_HD T operator()(T v) const { return std::log(v); }
};
struct LogGrad {  // from the input: 1/x
  template <typename T> DLCAM_HD T operator()(T g, T x) const { return g * (1 / x); }
};

struct Sqrt {
  template <typename T> DLCAM_HD T operator()(T v) const { return std::sqrt(v); }
};
struct SqrtGrad {  // from the output: 1/(2y)
  template <typename T> DLCAM_HD T operator()(T g, T y) const { return g * (1 / (2 * y)); }
};

// ---- Not differentiated (ONNX's integer arithmetic and Cast) ----------------------------------

struct Trunc {
  template <typename T> DLCAM_HD T operator()(T v) const { return std::trunc(v); }
};
struct NonZero {  // 1 where v ≠ 0 (NaN included), else 0
  template <typename T> DLCAM_HD T operator()(T v) const { return v != 0 ? T(1) : T(0); }
};

// ---- The functors with GPU kernels, by arity ------------------------------------------------

#define DLCAM_GPU_UNARY_FUNCTORS(X)                                                                                \
  X(Negate) X(AddScalar) X(MulScalar) X(DivScalar) X(PowScalar) X(Relu) X(LeakyRelu) X(ClippedRelu) X(Sigmoid) \
  X(Tanh) X(Exp) X(Log) X(Sqrt) X(Trunc) X(NonZero)

#define DLCAM_GPU_BINARY_FUNCTORS(X)                                                                           \
  X(Add) X(Sub) X(Mul) X(Div) X(Pow) X(PowScalarGrad) X(ReluGrad) X(LeakyReluGrad) X(ClippedReluGrad)       \
  X(SigmoidGrad) X(TanhGrad) X(ExpGrad) X(LogGrad) X(SqrtGrad)

#define DLCAM_GPU_TERNARY_FUNCTORS(X) X(DivGradDivisor) X(PowGradBase) X(PowGradExponent)

// How many tensors F's GPU kernel takes; 0 when it has none (a lambda, say).
template <typename F> inline constexpr int gpuArity = 0;
#define DLCAM_GPU_ARITY_(F, n) template <> inline constexpr int gpuArity<F> = n;
#define DLCAM_GPU_ARITY_1_(F) DLCAM_GPU_ARITY_(F, 1)
#define DLCAM_GPU_ARITY_2_(F) DLCAM_GPU_ARITY_(F, 2)
#define DLCAM_GPU_ARITY_3_(F) DLCAM_GPU_ARITY_(F, 3)
DLCAM_GPU_UNARY_FUNCTORS(DLCAM_GPU_ARITY_1_)
DLCAM_GPU_BINARY_FUNCTORS(DLCAM_GPU_ARITY_2_)
DLCAM_GPU_TERNARY_FUNCTORS(DLCAM_GPU_ARITY_3_)
#undef DLCAM_GPU_ARITY_1_
#undef DLCAM_GPU_ARITY_2_
#undef DLCAM_GPU_ARITY_3_
#undef DLCAM_GPU_ARITY_

template <typename F> inline constexpr bool hasGpuKernel = gpuArity<F> != 0;

}  // namespace dlcam::kernels::fn
