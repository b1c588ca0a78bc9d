#include "tests/support/gradcheck.h"

#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <sstream>

namespace dlcam::test {

namespace {
long double weightedSum(const Tensor& y, const Tensor& w) {
  long double s = 0;
  for (int64_t i = 0; i < y.numel(); ++i) s += static_cast<long double>(y.at(i)) * w.at(i);
  return s;
}
}  // namespace

Array randomArray(const Shape& shape, std::string_view format, unsigned seed, double lo, double hi) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  Tensor t(shape, DType::Float64);
  double* p = t.data<double>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(gen);
  return format.empty() ? Array(t) : Array(t, format);
}

Array randomArray32(const Shape& shape, std::string_view format, unsigned seed, double lo, double hi) {
  Array a = randomArray(shape, format, seed, lo, hi);
  return Array(a.value().to(DType::Float32), a.format());
}

bool expectClose(const Tensor& actual, const Tensor& expected, double rtol, double atol, const std::string& what) {
  if (actual.shape() != expected.shape()) {
    FAIL_CHECK(what << ": shape " << actual.shape().str() << ", expected " << expected.shape().str());
    return false;
  }
  double worst = 0;
  int64_t worstAt = -1;
  for (int64_t i = 0; i < actual.numel(); ++i) {
    double a = actual.at(i), e = expected.at(i);
    double excess = std::abs(a - e) - (atol + rtol * std::max(std::abs(a), std::abs(e)));
    if (std::isnan(a) != std::isnan(e)) excess = INFINITY;
    if (excess > worst || (worstAt < 0 && excess > 0)) {
      worst = excess;
      worstAt = i;
    }
  }
  if (worstAt >= 0) {
    FAIL_CHECK(what << ": element " << worstAt << " is " << actual.at(worstAt) << ", expected "
                    << expected.at(worstAt) << " (rtol " << rtol << ", atol " << atol << ")");
    return false;
  }
  CHECK(true);
  return true;
}

bool checkGradients(const Function& f, const std::vector<Array>& inputs, const GradCheckOptions& options) {
  std::vector<Array> xs;
  for (const Array& x : inputs) xs.emplace_back(x.value().to(DType::Float64).clone(), x.format());

  // Analytic: d(Σ w ⊙ f(x)) / dx through the tape.
  Tensor w;
  std::vector<Array> analytic;
  {
    Tape tape;
    std::vector<Array> watched = xs;
    for (Array& x : watched) tape.watch(x);
    Array y = f(watched);
    REQUIRE_MESSAGE(y.dtype() == DType::Float64, "the function under test lost float64 precision");
    w = randomArray(y.shape(), "", 12345, 0.5, 1.5).value();
    Array s = sum(multiply(y, Array(w, y.format())));
    analytic = tape.gradient(s, watched);
  }

  bool ok = true;
  for (size_t k = 0; k < xs.size(); ++k) {
    if (k < options.check.size() && !options.check[k]) continue;
    Tensor numeric(xs[k].shape(), DType::Float64);
    const Tensor original = xs[k].value().clone();
    Tensor shared = xs[k].value();  // same storage as the input f reads: perturbed in place
    double* xv = shared.data<double>();
    for (int64_t i = 0; i < numeric.numel(); ++i) {
      const double v = original.data<double>()[i];
      xv[i] = v + options.step;
      long double plus = weightedSum(f(xs).value(), w);
      xv[i] = v - options.step;
      long double minus = weightedSum(f(xs).value(), w);
      xv[i] = v;
      numeric.data<double>()[i] = static_cast<double>((plus - minus) / (2.0L * options.step));
    }
    std::ostringstream what;
    what << "gradient of input " << k << " (" << xs[k] << ")";
    ok = expectClose(analytic[k].value(), numeric, options.rtol, options.atol, what.str()) && ok;
  }
  return ok;
}

}  // namespace dlcam::test
