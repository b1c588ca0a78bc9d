#include "autodiff/linear.h"

#include "autodiff/tape.h"
#include "kernels/linear.h"

namespace dlcam {

namespace kc = kernels;

Array matmul(const Array& a, const Array& b) {
  if (a.format().isFormatted() || b.format().isFormatted())
    fail("matmul takes unformatted arrays, got formats \"", a.format().str(), "\" and \"", b.format().str(),
         "\"; for formatted data use fullyConnect");
  auto dim = [](const Array& x, int d) { return d < x.rank() ? x.size(d) : int64_t{1}; };
  const int64_t m = dim(a, 0), k = dim(a, 1), kb = dim(b, 0), n = dim(b, 1);
  if (k != kb) fail("matmul: a is ", m, "x", k, " and b is ", kb, "x", n, "; a's columns must equal b's rows");
  std::vector<int64_t> pages;
  for (int d = 2; d < std::max(a.rank(), b.rank()); ++d) {
    if (dim(a, d) != dim(b, d))
      fail("matmul: page dimension ", d, " differs (", a.shape().str(), " and ", b.shape().str(), ")");
    pages.push_back(dim(a, d));
  }
  const int64_t np = Shape(pages).numel();
  if (a.dtype() != b.dtype()) fail("matmul: cannot multiply ", dtypeName(a.dtype()), " by ", dtypeName(b.dtype()));
  Tensor c = kc::gemm(a.value(), b.value(), {.rowsA = m, .colsA = k, .rowsB = k, .colsB = n, .pages = np});
  std::vector<int64_t> dims = {m, n};
  dims.insert(dims.end(), pages.begin(), pages.end());
  Array out(c.reshaped(Shape(dims)));
  if (detail::anyTraced(a, b)) {
    Tensor av = b.isTraced() ? a.value() : Tensor(), bv = a.isTraced() ? b.value() : Tensor();
    Shape sa = a.shape(), sb = b.shape();
    detail::record(out, "matmul", {&a, &b}, [=](const Tensor& g, const std::vector<bool>& needed) {
      Tensor ga, gb;
      if (needed[0]) ga = kc::gemm(g, bv, {.rowsA = m, .colsA = n, .rowsB = k, .colsB = n, .pages = np, .transposeB = true}).reshaped(sa);  // G·Bᵀ
      if (needed[1]) gb = kc::gemm(av, g, {.rowsA = m, .colsA = k, .rowsB = m, .colsB = n, .pages = np, .transposeA = true}).reshaped(sb);  // Aᵀ·G
      return std::vector<Tensor>{ga, gb};
    });
  }
  return out;
}

Array fullyConnect(const Array& x, const Array& weights, const Array& bias) {
  const DimFormat& f = x.format();
  const int c = f.find('C');
  if (c < 0) fail("fullyConnect needs input with a C (channel) dimension, got format \"", f.str(), "\"");
  if (f.count('U') > 0) fail("fullyConnect: input format \"", f.str(), "\" has U dimensions; label them first");
  if (x.dtype() != weights.dtype() || (bias.defined() && bias.dtype() != x.dtype()))
    fail("fullyConnect: x, weights and bias must have the same dtype, got ", dtypeName(x.dtype()), ", ",
         dtypeName(weights.dtype()), (bias.defined() ? ", " + dtypeName(bias.dtype()) : std::string()));
  int64_t inputs = 1, columns = 1;
  for (int d = 0; d < x.rank(); ++d) (d <= c ? inputs : columns) *= x.size(d);
  // Weights are outputs×inputs; a vector of `inputs` values is one output.
  const int64_t outputs = weights.rank() == 2 ? weights.size(0) : (weights.rank() < 2 && weights.numel() == inputs ? 1 : -1);
  if (outputs < 0 || weights.rank() > 2 || (weights.rank() == 2 && weights.size(1) != inputs))
    fail("fullyConnect: weights must be outputs×", inputs, " for input of size ", x.shape().str(), " (", f.str(),
         "), got ", weights.shape().str());
  if (bias.defined() && bias.numel() != outputs)
    fail("fullyConnect: bias must have ", outputs, " elements (one per output), got ", bias.numel());

  std::string labels = "C";
  std::vector<int64_t> dims = {outputs};
  for (int d = c + 1; d < x.rank(); ++d) {
    labels += f[d];
    dims.push_back(x.size(d));
  }
  Tensor y = kc::fullyConnect(x.value(), {inputs, columns, outputs}, weights.value(), bias.defined() ? bias.value() : Tensor());
  Array out(y.reshaped(Shape(dims)), DimFormat(labels));

  std::vector<const Array*> inputsList = {&x, &weights};
  if (bias.defined()) inputsList.push_back(&bias);
  if (detail::anyTraced(x, weights) || (bias.defined() && bias.isTraced())) {
    Tensor xv = weights.isTraced() ? x.value() : Tensor(), wv = x.isTraced() ? weights.value() : Tensor();
    Shape sx = x.shape(), sw = weights.shape(), sb = bias.defined() ? bias.shape() : Shape();
    detail::record(out, "fullyConnect", inputsList, [=](const Tensor& g, const std::vector<bool>& needed) {
      std::vector<Tensor> grads(needed.size());
      if (needed[0]) grads[0] = kc::gemm(wv, g, {.rowsA = outputs, .colsA = inputs, .rowsB = outputs, .colsB = columns, .transposeA = true}).reshaped(sx);
      if (needed[1]) grads[1] = kc::gemm(g, xv, {.rowsA = outputs, .colsA = columns, .rowsB = inputs, .colsB = columns, .transposeB = true}).reshaped(sw);
      if (needed.size() > 2 && needed[2]) grads[2] = kc::rowSums(g, outputs, columns).reshaped(sb);
      return grads;
    });
  }
  return out;
}

}  // namespace dlcam
