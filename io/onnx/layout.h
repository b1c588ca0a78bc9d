// How ONNX tensors map onto dlcam's labelled arrays.
//
// ONNX stores N×C×spatial… row-major (last dimension fastest); dlcam stores labelled arrays
// column-major in MATLAB's order. A row-major d0×…×dk block is the same memory as a
// column-major dk×…×d0 one, so an ONNX tensor is first read as an unformatted dlcam array
// with its dimensions reversed ("ONNX order": U…U, no value moved). The rank then decides
// the labels, as MATLAB's importer does:
//
//   rank  ONNX             dlcam       note
//   0     scalar           ""
//   1     d0               "U"
//   2     N×C              C×N  "CB"   same memory
//   3     N×C×L            C×N×L "CBT" sequences: conv1d runs over T
//   4     N×C×H×W          H×W×C×N "SSCB"
//   5     N×C×D×H×W        H×W×D×C×N "SSSCB"  MATLAB's volume order h×w×d
//   r>5   N×C×s1…s(r−2)    the reversed spatial dims with the first two swapped, C, N
//
// For 2-D and 3-D data this is the same rule: reverse the spatial dims, then swap the first
// two. Per-spatial-dimension attributes (kernel_shape, strides, pads…) use that order too:
// spatialToDlcam.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/array.h"

namespace dlcam::onnx {

// The labels dlcam gives an ONNX value of this rank (table above).
DimFormat formatForRank(int rank);

// An ONNX-order array (unformatted, dims = ONNX shape reversed) → the labelled array for its
// rank. Differentiable (a permutation and a relabelling).
Array fromOnnxOrder(const Array& onnxOrder);
// The inverse: a labelled array (any format formatForRank gives) → ONNX order.
Array toOnnxOrder(const Array& labelled);

// The ONNX shape (N, C, spatial…) of a labelled activation size.
std::vector<int64_t> onnxShape(const Shape& size, const DimFormat& format);
// The labelled size for an ONNX shape.
Shape labelledSize(const std::vector<int64_t>& onnxShape);

// Per-spatial-dimension values (s1…sk, ONNX order) in dlcam's S order.
std::vector<int64_t> spatialToDlcam(std::vector<int64_t> values);
// The inverse: dlcam's S order → ONNX order (the exporter's direction).
std::vector<int64_t> spatialToOnnx(std::vector<int64_t> values);

// The product of shape[from, to) (1 for an empty range): element counts of ONNX shapes. Throws
// dlcam::Error when it does not fit in int64 (a corrupt or hostile shape).
int64_t product(const std::vector<int64_t>& shape, size_t from = 0, size_t to = SIZE_MAX);
// "[2 3 4]", as errors write ONNX shapes.
std::string shapeText(const std::vector<int64_t>& shape);

// An ONNX-order array from row-major data with ONNX shape `shape` (no copy: dims reversed).
Array onnxOrderArray(Tensor rowMajorValues, const std::vector<int64_t>& shape);

}  // namespace dlcam::onnx
