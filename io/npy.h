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

class StagedFiles;

// How a file's dimensions map onto a tensor's.
enum class NpyIndexing {
  // File shape (d0, …, dk) is tensor dk×…×d0, the same memory (no value moves). A PyTorch
  // N×C×H×W batch reads as W×H×C×N: ONNX order, reversed (io/onnx/layout.h works with this).
  Reversed,
  // File shape (d0, …, dk) is tensor d0×…×dk with a[i, j, k] == t(i, j, k): the same indices
  // in NumPy and in dlcam (and MATLAB). An h×w×c image or an h×w Grad-CAM map saved this way
  // is h×w×c / h×w in NumPy too. Values are permuted on the way in and out.
  Same,
};

// The element type written to a file. Same: the tensor's own (float32 → '<f4', float64 →
// '<f8').
enum class NpyType { Same, Float32, Float64, UInt8, Int32, Int64 };

struct NpyWriteOptions {
  NpyIndexing indexing = NpyIndexing::Reversed;
  // Integer types round to the nearest integer, halves away from zero (as MATLAB's uint8() and
  // int32() do; NumPy's astype truncates); a value that is NaN or outside the type's range is an
  // error naming the path, the value and its index in the tensor, and no file is created.
  // Float32 from a float64 tensor rounds to nearest (beyond float32's range: ±Inf).
  NpyType type = NpyType::Same;
};

// Reads a .npy file: format versions 1.0, 2.0 and 3.0; little-endian dtypes <f4 <f8 <f2 |i1
// <i2 <i4 <i8 |u1 <u2 <u4 <u8 |b1; C or Fortran order. With NpyIndexing::Reversed (the
// default) returns a column-major tensor whose shape is the file's shape reversed (a
// Fortran-order file is permuted into this convention); with NpyIndexing::Same, one whose
// shape is the file's shape.
// float64 files give a float64 tensor, every other dtype float32 (bool as 0 and 1; 64-bit
// integers beyond 2^24 round). A shape () file gives a rank-0 tensor.
// Throws dlcam::Error naming the path when the file is missing or cannot be read
// (requireReadableFile, io/file_check.h: "no such file"), is not a .npy file, has
// an unsupported version or dtype (big-endian, object, structured, complex, string), a
// malformed header, or a data size that does not match its shape.
Tensor readNpy(const std::string& path, NpyIndexing indexing = NpyIndexing::Reversed);

// Writes t as a C-order .npy file (format version 1.0), the inverse of readNpy with the same
// indexing: with NpyIndexing::Reversed the file's shape is t's dims reversed, with Same it is
// t's dims. The bytes match numpy.save's for the same array. The file appears complete or not
// at all (written beside `path` and renamed). Throws dlcam::Error naming the path when t is
// undefined, its rank is too large for a version 1.0 header (NumPy itself reads at most rank
// 32), a value does not fit an integer type, or the file cannot be written.
void writeNpy(const std::string& path, const Tensor& t, const NpyWriteOptions& options = {});
// The same, staged in `files`: `path` is replaced when files.commit() runs (io/atomic_write.h).
void writeNpy(const std::string& path, const Tensor& t, const NpyWriteOptions& options, StagedFiles& files);

}  // namespace dlcam
