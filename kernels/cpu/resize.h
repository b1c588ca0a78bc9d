// Separable resizing with MATLAB imresize / imresize3 semantics (nearest, linear, cubic).
//
// Each resized dimension gets a sparse weight table (imresize's contributions(): which input
// samples, with out-of-range positions mapped back inside, make up each output sample, with weights that sum to 1);
// the tensor is then resized one dimension after another. Backward applies the transposed
// tables in reverse order.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace dlcam::kernels::cpu {

// Interpolation kernels: box (nearest, width 1), triangle (linear, width 2), Keys cubic with
// a = -0.5 (width 4).
enum class ResizeKernel { Box, Triangle, Cubic };

// Where an output sample needs input positions outside [1, in]:
//  Replicate: the nearest end sample (MATLAB imresize: "Clamp out-of-range indices; has the
//             effect of replicating end-points", and its published outputs agree).
//  Symmetric: mirror, aux = [1:in, in:-1:1] (some re-implementations of imresize do this).
enum class ResizeBorder { Replicate, Symmetric };

struct ResizeTableParams {
  int64_t inLength = 0;   // > 0
  int64_t outLength = 0;  // > 0
  ResizeKernel kernel = ResizeKernel::Cubic;
  // When shrinking, widen the kernel by 1/scale (imresize's Antialiasing).
  bool antialiasing = true;
  ResizeBorder border = ResizeBorder::Replicate;
};

// Output sample o (0-based) is the sum over k < taps of weights[o·taps + k] times input sample
// indices[o·taps + k] (0-based, already mapped into [0, inLength)).
struct ResizeTable {
  int64_t inLength = 0;
  int64_t outLength = 0;
  int64_t taps = 0;
  std::vector<int64_t> indices;  // outLength × taps, row-major
  std::vector<double> weights;   // outLength × taps, row-major; each row sums to 1
};

ResizeTable resizeTable(const ResizeTableParams& params);

// y = the resize of x along `dim` (x.shape[dim] == table.inLength; y.shape[dim] = outLength).
Tensor resizeAlong(const Tensor& x, int dim, const ResizeTable& table);

// A table as a sparse linear map along one dimension: destination sample r is the weighted sum
// of source samples cols[start[r] .. start[r+1]), summed in this order (the GPU kernels of
// kernels/cuda/resize.cu use the same rows, and so the same order).
struct ResizeRows {
  std::vector<int64_t> start;  // rows + 1
  std::vector<int64_t> cols;
  std::vector<double> weights;
};
ResizeRows resizeRows(const ResizeTable& table);
// The adjoint's rows: for each input sample, the outputs it contributed to and with what
// weight, in increasing output order, so that the adjoint is again a gather.
ResizeRows transposedResizeRows(const ResizeTable& table);
// The adjoint: g has outLength along `dim`, the result inLength.
Tensor resizeAlongBackward(const Tensor& g, int dim, const ResizeTable& table);

struct ResizeParams {
  std::vector<int> dims;          // the dimensions to resize
  std::vector<int64_t> outSizes;  // one per entry of dims, > 0
  ResizeKernel kernel = ResizeKernel::Cubic;
  bool antialiasing = true;
  ResizeBorder border = ResizeBorder::Replicate;
};

struct ResizePass {
  int dim = 0;
  ResizeTable table;
};

// A resize of one input shape: the passes in the order they run (increasing scale, as
// imresize does; dimensions whose size does not change are left out).
struct ResizePlan {
  Shape inShape;
  Shape outShape;
  std::vector<ResizePass> passes;
};

ResizePlan planResize(const Shape& inShape, const ResizeParams& params);
// A plan is applied pass by pass with resizeAlong (its adjoint: resizeAlongBackward in reverse
// order), on either device: kernels/resize.h.

}  // namespace dlcam::kernels::cpu
