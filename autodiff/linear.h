// Matrix products.
#pragma once

#include "core/array.h"

namespace dlcam {

// a (m×k) times b (k×n) → m×n, unformatted. Further dimensions are pages: a and b must have
// the same page sizes (MATLAB pagemtimes). Formatted inputs are rejected: use fullyConnect.
Array matmul(const Array& a, const Array& b);

// MATLAB fullyconnect. x is formatted with a C dimension: "S…CB", "CB", "CBT", "CT"…
// All S dims and C are flattened (column-major: first S fastest, C slowest) into the input
// features I; B and T are kept. weights: O×I (any labels; read in
// storage order). bias: O elements, or undefined
// Array() for none. Returns "C", "CB", "CT" or "CBT" with O channels.
Array fullyConnect(const Array& x, const Array& weights, const Array& bias);

}  // namespace dlcam
