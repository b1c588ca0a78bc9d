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

std::vector<Array> converted(const std::vector<Array>& xs, DType dtype) {
  std::vector<Array> out;
  for (const Array& x : xs) out.emplace_back(x.value().to(dtype).clone(), x.format());
  return out;
}

// d(Σ w ⊙ f(x)) / dx for the inputs marked in `watch` (others are constants), through the
// tape. Gradients of unwatched inputs are left undefined.
std::vector<Array> analyticGradients(const Function& f, const std::vector<Array>& xs, const Tensor& w,
                                     const std::vector<bool>& watch) {
  Tape tape;
  std::vector<Array> in = xs, targets;
  for (size_t k = 0; k < in.size(); ++k)
    if (watch[k]) tape.watch(in[k]);
  Array y = f(in);
  Array s = sum(multiply(y, Array(w.to(y.dtype()), y.format())));
  for (size_t k = 0; k < in.size(); ++k)
    if (watch[k]) targets.push_back(in[k]);
  std::vector<Array> found = tape.gradient(s, targets), all(in.size());
  for (size_t k = 0, next = 0; k < in.size(); ++k)
    if (watch[k]) all[k] = found[next++];
  return all;
}

std::string describe(const char* what, size_t k, const Array& x) {
  std::ostringstream s;
  s << what << " of input " << k << " (" << x << ")";
  return s.str();
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

std::string compareClose(const Tensor& actual, const Tensor& expected, double rtol, double atol, const std::string& what) {
  std::ostringstream report;
  if (actual.shape() != expected.shape()) {
    report << what << ": shape " << actual.shape().str() << ", expected " << expected.shape().str() << "\n";
    return report.str();
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
  if (worstAt >= 0)
    report << what << ": element " << worstAt << " is " << actual.at(worstAt) << ", expected " << expected.at(worstAt)
           << " (rtol " << rtol << ", atol " << atol << ")\n";
  return report.str();
}

void expectValues(const Array& y, const std::vector<double>& expected, double tol) {
  REQUIRE(y.numel() == static_cast<int64_t>(expected.size()));
  double worst = 0;
  for (size_t i = 0; i < expected.size(); ++i)
    worst = std::max(worst, std::abs(y.value().at(static_cast<int64_t>(i)) - expected[i]) / (1 + std::abs(expected[i])));
  CHECK_MESSAGE(worst < tol, "worst relative difference ", worst, ", tolerance ", tol);
}

bool expectClose(const Tensor& actual, const Tensor& expected, double rtol, double atol, const std::string& what) {
  std::string report = compareClose(actual, expected, rtol, atol, what);
  CHECK_MESSAGE(report.empty(), report);
  return report.empty();
}

std::string gradientReport(const Function& f, const std::vector<Array>& inputs, const GradCheckOptions& options) {
  const std::vector<Array> xs = converted(inputs, DType::Float64);
  const size_t n = xs.size();
  auto checked = [&](size_t k) { return k >= options.check.size() || options.check[k]; };
  const Tensor w = randomArray(f(xs).shape(), "", 12345, 0.5, 1.5).value();
  const std::vector<Array> analytic = analyticGradients(f, xs, w, std::vector<bool>(n, true));
  std::string report;

  // Finite differences, element by element, perturbing the inputs' storage in place.
  for (size_t k = 0; k < n; ++k) {
    if (!checked(k)) continue;
    Tensor numeric(xs[k].shape(), DType::Float64);
    const Tensor original = xs[k].value().clone();
    Tensor shared = xs[k].value();  // same storage as the input f reads
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
    report += compareClose(analytic[k].value(), numeric, options.rtol, options.atol, describe("gradient", k, xs[k]));
  }

  // Each input watched alone.
  if (n > 1)
    for (size_t k = 0; k < n; ++k) {
      if (!checked(k)) continue;
      std::vector<bool> only(n, false);
      only[k] = true;
      Array alone = analyticGradients(f, xs, w, only)[k];
      report += compareClose(alone.value(), analytic[k].value(), 1e-12, 1e-14,
                             describe("gradient when watched alone", k, xs[k]));
    }

  // The float32 backward against the float64 one.
  const std::vector<Array> analytic32 = analyticGradients(f, converted(inputs, DType::Float32), w, std::vector<bool>(n, true));
  for (size_t k = 0; k < n; ++k) {
    if (!checked(k)) continue;
    double scale = 0;
    for (int64_t i = 0; i < analytic[k].numel(); ++i) scale = std::max(scale, std::abs(analytic[k].value().at(i)));
    if (analytic32[k].dtype() != DType::Float32) report += describe("float32 gradient", k, xs[k]) + ": not float32\n";
    report += compareClose(analytic32[k].value().to(DType::Float64), analytic[k].value(), options.rtol32,
                           options.atol32 * std::max(scale, 1e-30), describe("float32 gradient", k, xs[k]));
  }
  return report;
}

bool checkGradients(const Function& f, const std::vector<Array>& inputs, const GradCheckOptions& options) {
  std::string report = gradientReport(f, inputs, options);
  CHECK_MESSAGE(report.empty(), report);
  return report.empty();
}

}  // namespace dlcam::test
