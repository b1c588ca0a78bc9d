// NumPy .npy files: reference inputs and outputs exchanged with PyTorch and NumPy.
//
// NumPy stores arrays row-major (C order) by default and dlcam column-major, so a file's
// shape is reversed on the way in and out: a C-order d0×…×dk array is the same memory as a
// column-major dk×…×d0 tensor, and no value moves. An N×C×H×W PyTorch batch therefore reads
// as a W×H×C×N tensor; permute its first two dims to get dlcam's "SSCB" (h×w×c×n) layout.
#pragma once

#include <string>

#include "core/tensor.h"

namespace dlcam {

// Reads a .npy file: format versions 1.0, 2.0 and 3.0; little-endian dtypes <f4 <f8 <f2 |i1
// <i2 <i4 <i8 |u1 <u2 <u4 <u8 |b1; C or Fortran order. Returns a column-major tensor whose
// shape is the file's shape reversed (a Fortran-order file is permuted into this convention).
// float64 files give a float64 tensor, every other dtype float32 (bool as 0 and 1; 64-bit
// integers beyond 2^24 round). A shape () file gives a rank-0 tensor.
// Throws dlcam::Error naming the path when the file cannot be read, is not a .npy file, has
// an unsupported version or dtype (big-endian, object, structured, complex, string), a
// malformed header, or a data size that does not match its shape.
Tensor readNpy(const std::string& path);

// Writes t as a C-order .npy file (format version 1.0) whose shape is t's dims reversed, the
// inverse of readNpy: '<f4' for float32, '<f8' for float64. The bytes match numpy.save's for
// the same array. Throws dlcam::Error naming the path when t is undefined, its rank is too
// large for a version 1.0 header (NumPy itself reads at most rank 32), or the file cannot be
// written.
void writeNpy(const std::string& path, const Tensor& t);

}  // namespace dlcam
