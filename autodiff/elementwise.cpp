#include "autodiff/elementwise.h"

#include <cmath>

#include "autodiff/broadcast.h"
#include "autodiff/tape.h"
#include "kernels/cpu/elementwise.h"

namespace dlcam {

namespace kc = kernels::cpu;

namespace {

// y = f(x) where the derivative is best written in terms of the output: df(y).
template <typename F, typename DF>
Array unaryFromOutput(const Array& x, const char* op, F f, DF df) {
  Tensor y = kc::map(x.value(), f);
  Array out(y, x.format());
  if (detail::anyTraced(x))
    detail::record(out, op, {&x}, [y, df](const Tensor& g, const std::vector<bool>&) {
      return std::vector<Tensor>{kc::zip(g, y, [df](auto gv, auto yv) { return gv * df(yv); })};
    });
  return out;
}

// y = f(x) where the derivative is written in terms of the input: df(x).
template <typename F, typename DF>
Array unaryFromInput(const Array& x, const char* op, F f, DF df) {
  Array out(kc::map(x.value(), f), x.format());
  if (detail::anyTraced(x)) {
    Tensor xv = x.value();
    detail::record(out, op, {&x}, [xv, df](const Tensor& g, const std::vector<bool>&) {
      return std::vector<Tensor>{kc::zip(g, xv, [df](auto gv, auto v) { return gv * df(v); })};
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
  return binary(a, b, "add", [](auto x, auto y) { return x + y; },
                [](const Tensor& g, const Tensor&, const Tensor&, const std::vector<bool>&) {
                  return std::pair{g, g};
                }, false, false);
}

Array subtract(const Array& a, const Array& b) {
  return binary(a, b, "subtract", [](auto x, auto y) { return x - y; },
                [](const Tensor& g, const Tensor&, const Tensor&, const std::vector<bool>& needed) {
                  return std::pair{g, needed[1] ? kc::map(g, [](auto v) { return -v; }) : Tensor()};
                }, false, false);
}

Array multiply(const Array& a, const Array& b) {
  bool ta = a.isTraced(), tb = b.isTraced();
  return binary(a, b, "multiply", [](auto x, auto y) { return x * y; },
                [](const Tensor& g, const Tensor& x, const Tensor& y, const std::vector<bool>& needed) {
                  auto mul = [](auto u, auto v) { return u * v; };
                  return std::pair{needed[0] ? kc::zipBroadcast(g, y, mul) : Tensor(),
                                   needed[1] ? kc::zipBroadcast(g, x, mul) : Tensor()};
                }, /*keepA=*/tb, /*keepB=*/ta);
}

Array divide(const Array& a, const Array& b) {
  bool tb = b.isTraced();
  return binary(a, b, "divide", [](auto x, auto y) { return x / y; },
                [](const Tensor& g, const Tensor& x, const Tensor& y, const std::vector<bool>& needed) {
                  Tensor ga = needed[0] ? kc::zipBroadcast(g, y, [](auto u, auto v) { return u / v; }) : Tensor();
                  Tensor gb;
                  if (needed[1]) {  // d(x/y)/dy = -x / y²
                    Tensor xe = kc::broadcastTo(x, g.shape()), ye = kc::broadcastTo(y, g.shape());
                    gb = kc::zip3(g, xe, ye, [](auto u, auto p, auto q) { return -u * p / (q * q); });
                  }
                  return std::pair{ga, gb};
                }, /*keepA=*/tb, /*keepB=*/true);
}

Array pow(const Array& base, const Array& exponent) {
  return binary(base, exponent, "pow", [](auto x, auto p) { return std::pow(x, p); },
                [](const Tensor& g, const Tensor& x, const Tensor& p, const std::vector<bool>& needed) {
                  Tensor xe = kc::broadcastTo(x, g.shape()), pe = kc::broadcastTo(p, g.shape()), gx, gp;
                  if (needed[0])  // p·x^(p−1)
                    gx = kc::zip3(g, xe, pe, [](auto u, auto v, auto q) { return q == 0 ? 0 * u : u * q * std::pow(v, q - 1); });
                  if (needed[1])  // x^p·log x
                    gp = kc::zip3(g, xe, pe, [](auto u, auto v, auto q) { return u * std::pow(v, q) * std::log(v); });
                  return std::pair{gx, gp};
                }, true, true);
}

Array add(const Array& a, double s) {
  Array out(kc::map(a.value(), [s](auto v) { return v + s; }), a.format());
  if (detail::anyTraced(a))
    detail::record(out, "add", {&a}, [](const Tensor& g, const std::vector<bool>&) { return std::vector<Tensor>{g}; });
  return out;
}

Array multiply(const Array& a, double s) {
  Array out(kc::map(a.value(), [s](auto v) { return v * s; }), a.format());
  if (detail::anyTraced(a))
    detail::record(out, "multiply", {&a}, [s](const Tensor& g, const std::vector<bool>&) {
      return std::vector<Tensor>{kc::map(g, [s](auto v) { return v * s; })};
    });
  return out;
}

Array negate(const Array& x) { return multiply(x, -1.0); }

Array pow(const Array& x, double p) {
  return unaryFromInput(x, "pow", [p](auto v) { return std::pow(v, p); },
                        [p](auto v) { return p == 0 ? 0.0 : p * std::pow(v, p - 1); });  // x⁰ is constant, also at 0
}

Array relu(const Array& x) {
  // `v < 0 ? 0 : v` keeps NaN (as PyTorch); MATLAB's max(x, 0) would turn it into 0.
  return unaryFromOutput(x, "relu", [](auto v) { return v < 0 ? decltype(v)(0) : v; },
                         [](auto y) { return y > 0 ? decltype(y)(1) : decltype(y)(0); });
}

Array leakyRelu(const Array& x, double scale) {
  return unaryFromInput(x, "leakyRelu", [scale](auto v) { return v > 0 ? v : v * scale; },
                        [scale](auto v) { return v > 0 ? 1.0 : scale; });
}

Array clippedRelu(const Array& x, double ceiling) {
  if (!(ceiling > 0)) fail("clippedRelu: the ceiling must be positive, got ", ceiling);
  return unaryFromInput(x, "clippedRelu",
                        [ceiling](auto v) { return v < 0 ? 0.0 : (v > ceiling ? ceiling : double(v)); },
                        [ceiling](auto v) { return v > 0 && v < ceiling ? 1.0 : 0.0; });
}

Array sigmoid(const Array& x) {
  return unaryFromOutput(x, "sigmoid", [](auto v) { return 1 / (1 + std::exp(-v)); },
                         [](auto y) { return y * (1 - y); });
}

Array tanh(const Array& x) {
  return unaryFromOutput(x, "tanh", [](auto v) { return std::tanh(v); }, [](auto y) { return 1 - y * y; });
}

Array exp(const Array& x) {
  return unaryFromOutput(x, "exp", [](auto v) { return std::exp(v); }, [](auto y) { return y; });
}

Array log(const Array& x) {
  return unaryFromInput(x, "log", [](auto v) { return std::log(v); }, [](auto v) { return 1 / v; });
}

Array sqrt(const Array& x) {
  return unaryFromOutput(x, "sqrt", [](auto v) { return std::sqrt(v); }, [](auto y) { return 1 / (2 * y); });
}

}  // namespace dlcam
