// Small helpers the layer tests share.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include "layers/layer.h"
#include "tests/support/gradcheck.h"

namespace dlcam::test {

// One forward call of a single-input layer.
inline Array forwardOf(const Layer& layer, const Array& x, ForwardContext& context) {
  std::vector<Array> in = {x};
  return layer.forward(in, context);
}

inline Array forwardOf(const Layer& layer, const Array& x) {
  ForwardContext context;
  return forwardOf(layer, x, context);
}

// The size and format of an actual array, to compare with Layer::inferOutput.
inline ActivationInfo infoOf(const Array& x) { return {x.shape(), x.format()}; }

// A float32 array from column-major values.
inline Array values(Shape shape, std::vector<double> v, std::string_view format = "") {
  return Array::fromValues(std::move(shape), std::span<const double>(v), format);
}

// forward(x) equals `expected` exactly (same format and shape), and inferOutput predicts the
// size and format forward produced.
inline void checkLayer(const Layer& layer, const Array& x, const Array& expected) {
  Array y = forwardOf(layer, x);
  CHECK(y.format() == expected.format());
  REQUIRE(y.shape() == expected.shape());
  expectClose(y.value(), expected.value(), 0, 0, layer.type());
  const ActivationInfo in = infoOf(x);
  CHECK(layer.inferOutput(std::span(&in, 1)) == infoOf(y));
}

}  // namespace dlcam::test
