// Functions that move or select values without arithmetic: concatenation, reshape,
// flatten, permute, relabel, and selection of channels or elements.
#pragma once

#include <string_view>
#include <vector>

#include "core/array.h"

namespace dlcam {

// Concatenates along dimension `dim`. All arrays must have the same format and the same
// sizes in every other dimension (MATLAB cat; depth concatenation is dim = format.find('C')).
Array concat(const std::vector<Array>& xs, int dim);

// Same values (column-major order) with a new shape and format (one label per new dim,
// canonical order). numel must match.
Array reshape(const Array& x, const Shape& shape, std::string_view format);

// "S…CB[T]" → "CB[T]": the S dims and C become one C dimension (first S fastest, C slowest).
// An array without S dims is returned unchanged.
Array flatten(const Array& x);

// out dimension i is x dimension order[i] (0-based). The labels move with their
// dimensions and must stay canonical (e.g. swapping two S dims, or any order of an
// unformatted array); use relabel() to give data a new meaning instead.
Array permute(const Array& x, const std::vector<int>& order);

// Same data, new labels (MATLAB: dlarray(stripdims(x), format)); one label per dim of x,
// canonical order.
Array relabel(const Array& x, std::string_view format);

// The entries at `indices` (0-based, any order, repeats allowed) along dimension `dim`.
Array index(const Array& x, int dim, const std::vector<int64_t>& indices);
// The channels at `indices` along C.
Array selectChannels(const Array& x, const std::vector<int64_t>& indices);
// One element by column-major linear index (0-based), as a one-element unformatted array
// (MATLAB's x(i) in a reduction function, 1-based there).
Array element(const Array& x, int64_t linearIndex);

}  // namespace dlcam
