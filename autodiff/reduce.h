// Reductions. Reduced dimensions stay, with size 1 and their labels, as MATLAB's sum(X,dim)
// on a dlarray. Pick dimensions by label with x.format().dimsOf("ST").
#pragma once

#include <vector>

#include "core/array.h"

namespace dlcam {

Array sum(const Array& x, const std::vector<int>& dims);
Array sum(const Array& x);  // over all dimensions: one element
Array mean(const Array& x, const std::vector<int>& dims);
Array mean(const Array& x);
// Maximum over dims. The gradient flows to the first maximum on ties; NaN counts as the maximum.
Array max(const Array& x, const std::vector<int>& dims);

}  // namespace dlcam
