#include "autodiff/elementwise.h"

#include "autodiff/broadcast.h"
#include "autodiff/tape.h"
#include "kernels/elementwise.h"

namespace dlcam {

// The formulas are functors (kernels/functors.h), so that they also run on the GPU; each
// op names its forward function and the derivative its backward pass multiplies g by.
namespace kc = kernels;
namespace fn = kernels::fn;

namespace {

// y = f(x) where the derivative is best written in terms of the output: grad(g, y) = g·f'(x).
template <typename F, typename Grad>
Array unaryFromOutput(const Array& x, const char* op, F f, Grad grad) {
  Tensor y = kc::map(x.value(), f);
  Array out(y, x.format());
  if (detail::anyTraced(x))
    detail::record(out, op, {&x}, [y, grad](const Tensor& g, const std::vector<bool>&) {
      return std::vector<Tensor>{kc::zip(g, y, grad)};
    });
  return out;
}

// y = f(x) where the derivative is written in terms of the input: grad(g, x) = g·f'(x).
template <typename F, typename Grad>
Array unaryFromInput(const Array& x, const char* op, F f, Grad grad) {
  Array out(kc::map(x.value(), f), x.format());
  if (detail::anyTraced(x)) {
    Tensor xv = x.value();
    detail::record(out, op, {&x}, [xv, grad](const Tensor& g, const std::vector<bool>&) {
      return std::vector<Tensor>{kc::zip(g, xv, grad)};
    });
  }
  return out;
}

// z = f(a, b) with label broadcasting. grads(g, a, b) returns {dz/da·g, dz/db·g} at full
// (broadcast) size; they are summed back to each operand's shape.
template <typename F, typename G>
Array binary(const Array& a, const Array& b, const char* op, F f, G grads, bool keepA, bool keepB) {
  detail::Aligned al = detail::alignForBroadcast(a, b);
  Array out(kc::zipBroadcast(al.a, al.b, f), al.format);
  if (detail::anyTraced(a, b)) {
    Tensor ka = keepA ? al.a : Tensor(), kb = keepB ? al.b : Tensor();
    Shape sa = al.a.shape(), sb = al.b.shape(), ra = a.shape(), rb = b.shape();
    detail::record(out, op, {&a, &b}, [=](const Tensor& g, const std::vector<bool>& needed) {
      auto [ga, gb] = grads(g, ka, kb, needed);
      return std::vector<Tensor>{needed[0] ? kc::sumTo(ga, sa).reshaped(ra) : Tensor(),
                                 needed[1] ? kc::sumTo(gb, sb).reshaped(rb) : Tensor()};
    });
  }
  return out;
}

}  // namespace

Array add(const Array& a, const Array& b) {
  return binary(a, b, "add", fn::Add{},
                [](const Tensor& g, const Tensor&, const Tensor&, const std::vector<bool>&) {
                  return std::pair{g, g};
                }, false, false);
}

Array subtract(const Array& a, const Array& b) {
  return binary(a, b, "subtract", fn::Sub{},
                [](const Tensor& g, const Tensor&, const Tensor&, const std::vector<bool>& needed) {
                  return std::pair{g, needed[1] ? kc::map(g, fn::Negate{}) : Tensor()};
                }, false, false);
}

Array multiply(const Array& a, const Array& b) {
  bool ta = a.isTraced(), tb = b.isTraced();
  return binary(a, b, "multiply", fn::Mul{},
                [](const Tensor& g, const Tensor& x, const Tensor& y, const std::vector<bool>& needed) {
                  return std::pair{needed[0] ? kc::zipBroadcast(g, y, fn::Mul{}) : Tensor(),
                                   needed[1] ? kc::zipBroadcast(g, x, fn::Mul{}) : Tensor()};
                }, /*keepA=*/tb, /*keepB=*/ta);
}

Array divide(const Array& a, const Array& b) {
  bool tb = b.isTraced();
  return binary(a, b, "divide", fn::Div{},
                [](const Tensor& g, const Tensor& x, const Tensor& y, const std::vector<bool>& needed) {
                  Tensor ga = needed[0] ? kc::zipBroadcast(g, y, fn::Div{}) : Tensor();  // g / y
                  Tensor gb;
                  if (needed[1]) {  // -g·x / y²
                    Tensor xe = kc::broadcastTo(x, g.shape()), ye = kc::broadcastTo(y, g.shape());
                    gb = kc::zip3(g, xe, ye, fn::DivGradDivisor{});
                  }
                  return std::pair{ga, gb};
                }, /*keepA=*/tb, /*keepB=*/true);
}

Array pow(const Array& base, const Array& exponent) {
  return binary(base, exponent, "pow", fn::Pow{},
                [](const Tensor& g, const Tensor& x, const Tensor& p, const std::vector<bool>& needed) {
                  Tensor xe = kc::broadcastTo(x, g.shape()), pe = kc::broadcastTo(p, g.shape()), gx, gp;
                  if (needed[0]) gx = kc::zip3(g, xe, pe, fn::PowGradBase{});      // g·p·x^(p−1)
                  if (needed[1]) gp = kc::zip3(g, xe, pe, fn::PowGradExponent{});  // g·x^p·log x
                  return std::pair{gx, gp};
                }, true, true);
}

Array add(const Array& a, double s) {
  Array out(kc::map(a.value(), fn::AddScalar{s}), a.format());
  if (detail::anyTraced(a))
    detail::record(out, "add", {&a}, [](const Tensor& g, const std::vector<bool>&) { return std::vector<Tensor>{g}; });
  return out;
}

Array multiply(const Array& a, double s) {
  Array out(kc::map(a.value(), fn::MulScalar{s}), a.format());
  if (detail::anyTraced(a))
    detail::record(out, "multiply", {&a}, [s](const Tensor& g, const std::vector<bool>&) {
      return std::vector<Tensor>{kc::map(g, fn::MulScalar{s})};
    });
  return out;
}

Array negate(const Array& x) { return multiply(x, -1.0); }

Array pow(const Array& x, double p) {  // x^p; g·p·x^(p−1), and 0 for p = 0 (x⁰ is constant, also at 0)
  return unaryFromInput(x, "pow", fn::PowScalar{p}, fn::PowScalarGrad{p});
}

Array relu(const Array& x) {  // max(x, 0) keeping NaN; g·[y > 0]
  return unaryFromOutput(x, "relu", fn::Relu{}, fn::ReluGrad{});
}

Array leakyRelu(const Array& x, double scale) {  // x > 0 ? x : scale·x; g·(x > 0 ? 1 : scale)
  return unaryFromInput(x, "leakyRelu", fn::LeakyRelu{scale}, fn::LeakyReluGrad{scale});
}

Array clippedRelu(const Array& x, double ceiling) {  // min(max(x, 0), ceiling); g·[0 < x < ceiling]
  if (!(ceiling > 0)) fail("clippedRelu: the ceiling must be positive, got ", ceiling);
  return unaryFromInput(x, "clippedRelu", fn::ClippedRelu{ceiling}, fn::ClippedReluGrad{ceiling});
}

Array sigmoid(const Array& x) {  // 1 / (1 + e^−x); g·y·(1 − y)
  return unaryFromOutput(x, "sigmoid", fn::Sigmoid{}, fn::SigmoidGrad{});
}

Array tanh(const Array& x) {  // g·(1 − y²)
  return unaryFromOutput(x, "tanh", fn::Tanh{}, fn::TanhGrad{});
}

Array exp(const Array& x) {  // g·y
  return unaryFromOutput(x, "exp", fn::Exp{}, fn::ExpGrad{});
}

Array log(const Array& x) {  // g / x
  return unaryFromInput(x, "log", fn::Log{}, fn::LogGrad{});
}

Array sqrt(const Array& x) {  // g / (2y)
  return unaryFromOutput(x, "sqrt", fn::Sqrt{}, fn::SqrtGrad{});
}

}  // namespace dlcam
