// Label-aware alignment of two arrays for broadcasting (see autodiff/elementwise.h).
#pragma once

#include "core/array.h"

namespace dlcam::detail {

struct Aligned {
  Tensor a, b;       // reshaped (no copy) to the output rank; sizes equal or 1 per dim
  DimFormat format;  // of the result
};

// Inserts singleton dimensions so that a and b line up label by label.
Aligned alignForBroadcast(const Array& a, const Array& b);

}  // namespace dlcam::detail
