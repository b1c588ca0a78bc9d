// Layers for the ONNX ops that work on values of any rank with ONNX's axis semantics:
// numpy-broadcasting arithmetic, MatMul, Concat, Reshape, Transpose, Gather, Slice, Pad,
// reductions, softmax over an axis, LayerNormalization, Cast, Expand (io/onnx/ops_tensor.cpp
// builds them from nodes).
//
// Every run-time input is labelled as io/onnx/layout.h labels an ONNX value of its rank
// (rank 2 "CB", 3 "CBT", 4 "SSCB"...). A layer converts its inputs to ONNX order, computes
// the op there and converts the result back, so the output is formatted formatForRank(output
// rank) and ONNX axes keep their ONNX meaning. Everything is built from differentiable
// functions, so gradients flow through every layer (Cast to an integer type and the integer
// mode of ElementwiseLayer give constants: no gradient).
//
// Operands. A layer takes one operand per ONNX data input. An operand is either a run-time
// input (an undefined Array()) or an embedded constant (a defined Array in ONNX order:
// unformatted, dims = ONNX shape reversed, as NodeContext::constant gives). The run-time
// operands are the layer's inputs, in operand order; constants are used in the dtype of the
// run-time inputs. A layer whose operands are all constants takes no inputs and computes in
// float64 (the importer folds such a layer at load).
//
// type() is the ONNX op name ("Reshape", "Transpose"...). The getters (options(), axis()...)
// return the configuration exactly as constructed: no layer normalises what it stores
// (negative axes stay negative, empty lists stay empty), so writing them back as ONNX
// attributes gives the op the layer computes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/onnx/proto.h"
#include "layers/layer.h"

namespace dlcam::onnx {

class TensorLayer : public Layer {
 public:
  // operands: see above. Throws dlcam::Error naming the layer when there are none.
  TensorLayer(std::string name, std::vector<Array> operands);

  int numInputs() const override;
  // Checks each input's format (formatForRank of its rank) and the ONNX shapes the op needs.
  ActivationInfo inferOutput(std::span<const ActivationInfo> inputs) const override;
  Array forward(std::span<const Array> inputs, ForwardContext& context) const override;
  void moveTo(Device device) override;  // the constant operands too

  // The ONNX output shape for operands of these ONNX shapes (one per operand).
  virtual std::vector<int64_t> outputShape(const std::vector<std::vector<int64_t>>& shapes) const = 0;
  const std::vector<Array>& operands() const { return operands_; }

 protected:
  // The op on ONNX-order operands, all in one dtype → the ONNX-order result.
  virtual Array compute(const std::vector<Array>& operands) const = 0;

  // Tools for the ops. An ONNX axis in [−rank, rank) → [0, rank); errors name the layer.
  int axisIndex(int64_t axis, int rank) const;
  // Numpy broadcast of two ONNX shapes; errors name the layer and both shapes.
  std::vector<int64_t> broadcastShapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b) const;
  // The ONNX shape of an ONNX-order array.
  static std::vector<int64_t> onnxDims(const Array& onnxOrder);
  // Differentiable reshape of an ONNX-order array to an ONNX shape (same values, row-major).
  static Array reshapeOnnx(const Array& x, const std::vector<int64_t>& onnxShape);
  // Differentiable broadcast of an ONNX-order array to an ONNX shape it broadcasts to.
  static Array broadcastOnnx(const Array& x, const std::vector<int64_t>& onnxShape);

  std::vector<Array> operands_;
};

// ---- arithmetic -------------------------------------------------------------------------

enum class ElementwiseOp { Add, Sub, Mul, Div, Pow, Max, Min, Sum, Mean };

struct ElementwiseOptions {
  ElementwiseOp op = ElementwiseOp::Add;
  // The ONNX operands are integers: the result is truncated toward zero (integer division in
  // shape computations, Div(7, 2) = 3) and carries no gradient.
  bool integer = false;
};

// Numpy broadcasting over the operands (trailing ONNX axes aligned, size 1 stretches); the
// output has the largest rank. Add, Sub, Mul, Div, Pow take two operands; Max, Min, Sum and
// Mean one or more. Max's gradient goes to the first maximum on ties.
class ElementwiseLayer : public TensorLayer {
 public:
  ElementwiseLayer(std::string name, ElementwiseOptions options, std::vector<Array> operands);
  std::string type() const override;
  std::vector<int64_t> outputShape(const std::vector<std::vector<int64_t>>& shapes) const override;
  // Two run-time inputs of one rank (a residual addition) are computed in their labelled
  // layout: with equal formats, dlcam's label broadcasting is numpy's, and no permutation to
  // ONNX order is needed. Everything else goes through TensorLayer::forward.
  Array forward(std::span<const Array> inputs, ForwardContext& context) const override;
  const ElementwiseOptions& options() const { return options_; }

 protected:
  Array compute(const std::vector<Array>& operands) const override;

 private:
  ElementwiseOptions options_;
};

// numpy.matmul of two operands: (…, M, K) × (…, K, N) → (…, M, N), the batch dims
// broadcast; a rank-1 first operand is a row (its M dropped from the result), a rank-1
// second operand a column (N dropped).
class MatMulLayer : public TensorLayer {
 public:
  MatMulLayer(std::string name, std::vector<Array> operands);
  std::string type() const override { return "MatMul"; }
  std::vector<int64_t> outputShape(const std::vector<std::vector<int64_t>>& shapes) const override;

 protected:
  Array compute(const std::vector<Array>& operands) const override;
};

// ---- moving values ----------------------------------------------------------------------

// Concatenation of one or more operands of equal rank along ONNX axis `axis` (negative counts
// from the end).
class ConcatLayer : public TensorLayer {
 public:
  ConcatLayer(std::string name, int64_t axis, std::vector<Array> operands);
  std::string type() const override { return "Concat"; }
  std::string description() const override;  // "Concat along axis 1"
  std::vector<int64_t> outputShape(const std::vector<std::vector<int64_t>>& shapes) const override;
  // As constructed: may be negative (the importer passes it in [0, rank)).
  int64_t axis() const { return axis_; }

 protected:
  Array compute(const std::vector<Array>& operands) const override;

 private:
  int64_t axis_;
};

struct ReshapeOptions {
  // ONNX target shape: 0 copies the input's dim (unless allowZero), one −1 is inferred.
  std::vector<int64_t> shape{};
  bool allowZero = false;
  // The input's ONNX shape when the network was imported (empty: no batch rule).
  std::vector<int64_t> importShape{};
};

// Reshape to options.shape. Batch rule: a target folded at import from a Shape sub-graph holds
// the import-time batch size. So when the run-time input's ONNX dim 0 differs from
// importShape[0] and the target's dim 0 equals importShape[0], the target's dim 0 becomes the
// run-time dim 0 (a 1×512 target reshapes a 4×512×1×1 input to 4×512).
class ReshapeLayer : public TensorLayer {
 public:
  ReshapeLayer(std::string name, ReshapeOptions options, Array operand = Array());
  std::string type() const override { return "Reshape"; }
  std::string description() const override;  // "Reshape to [1 -1]"
  std::vector<int64_t> outputShape(const std::vector<std::vector<int64_t>>& shapes) const override;
  // As constructed: the target may hold 0s and a −1; the batch rule is applied per call, not
  // stored.
  const ReshapeOptions& options() const { return options_; }

 protected:
  Array compute(const std::vector<Array>& operands) const override;

 private:
  ReshapeOptions options_;
};

// ONNX Flatten: d0×…×d(r−1) → (d0·…·d(axis−1)) × (d(axis)·…·d(r−1)), rank 2 ("CB").
// axis in [−r, r].
class FlattenToMatrixLayer : public TensorLayer {
 public:
  FlattenToMatrixLayer(std::string name, int64_t axis, Array operand = Array());
  std::string type() const override { return "Flatten"; }
  std::string description() const override;  // "Flatten at axis 1"
  std::vector<int64_t> outputShape(const std::vector<std::vector<int64_t>>& shapes) const override;
  int64_t axis() const { return axis_; }  // as constructed; ONNX allows [−r, r]

 protected:
  Array compute(const std::vector<Array>& operands) const override;

 private:
  int64_t axis_;
};

// Output ONNX axis i is input axis perm[i]; an empty perm reverses the axes.
class TransposeLayer : public TensorLayer {
 public:
  TransposeLayer(std::string name, std::vector<int64_t> perm, Array operand = Array());
  std::string type() const override { return "Transpose"; }
  std::string description() const override;  // "Transpose with perm [0 2 3 1]"
  std::vector<int64_t> outputShape(const std::vector<std::vector<int64_t>>& shapes) const override;
  // As constructed: empty when the axes are reversed (ONNX's default).
  const std::vector<int64_t>& perm() const { return perm_; }

 protected:
  Array compute(const std::vector<Array>& operands) const override;

 private:
  std::vector<int> order(int rank) const;  // ONNX-order permutation
  std::vector<int64_t> perm_;
};

struct SqueezeOptions {
  bool unsqueeze = false;
  // Squeeze: axes of the input to remove (each of size 1); empty removes every size-1 axis.
  // Unsqueeze: axes of the output that are new size-1 axes (negative: from the output's end).
  std::vector<int64_t> axes{};
};

class SqueezeLayer : public TensorLayer {
 public:
  SqueezeLayer(std::string name, SqueezeOptions options, Array operand = Array());
  std::string type() const override { return options_.unsqueeze ? "Unsqueeze" : "Squeeze"; }
  std::vector<int64_t> outputShape(const std::vector<std::vector<int64_t>>& shapes) const override;
  const SqueezeOptions& options() const { return options_; }  // as constructed (axes may be negative)

 protected:
  Array compute(const std::vector<Array>& operands) const override;

 private:
  SqueezeOptions options_;
};

struct GatherOptions {
  int64_t axis = 0;
  std::vector<int64_t> indices{};     // row-major; negative counts from the end of the axis
  std::vector<int64_t> indicesShape{};  // ONNX shape of the indices ({} for one index)
};

// ONNX Gather: output shape = data.shape[:axis] + indicesShape + data.shape[axis+1:].
class GatherLayer : public TensorLayer {
 public:
  GatherLayer(std::string name, GatherOptions options, Array operand = Array());
  std::string type() const override { return "Gather"; }
  std::string description() const override;  // "Gather 3 indices along axis 1"
  std::vector<int64_t> outputShape(const std::vector<std::vector<int64_t>>& shapes) const override;
  // As constructed: axis and indices may be negative (the importer passes axis in [0, rank)).
  const GatherOptions& options() const { return options_; }

 protected:
  Array compute(const std::vector<Array>& operands) const override;

 private:
  GatherOptions options_;
};

struct SliceOptions {
  // One entry per sliced axis. axes empty: 0, 1, …; steps empty: all 1. Starts and ends are
  // clamped as ONNX says (negative counts from the end, INT64_MAX is "to the end").
  std::vector<int64_t> starts{}, ends{}, axes{}, steps{};
};

class SliceLayer : public TensorLayer {
 public:
  SliceLayer(std::string name, SliceOptions options, Array operand = Array());
  std::string type() const override { return "Slice"; }
  std::string description() const override;  // "Slice from [1] to [3] step [2] on axes [2]"
  std::vector<int64_t> outputShape(const std::vector<std::vector<int64_t>>& shapes) const override;
  // As constructed: unclamped, axes and steps possibly empty (see SliceOptions).
  const SliceOptions& options() const { return options_; }

 protected:
  Array compute(const std::vector<Array>& operands) const override;

 private:
  // Per ONNX axis, the input positions kept (in output order); empty optional = the whole axis.
  std::vector<std::vector<int64_t>> kept(const std::vector<int64_t>& shape, std::vector<bool>& sliced) const;
  SliceOptions options_;
};

enum class PadMode { Constant, Edge, Reflect };

struct PadOptions {
  PadMode mode = PadMode::Constant;
  // 2·rank values: the amounts added before each ONNX axis, then after each; negative crops.
  std::vector<int64_t> pads{};
  double value = 0;  // Constant mode
};

class PadLayer : public TensorLayer {
 public:
  PadLayer(std::string name, PadOptions options, Array operand = Array());
  std::string type() const override { return "Pad"; }
  std::vector<int64_t> outputShape(const std::vector<std::vector<int64_t>>& shapes) const override;
  const PadOptions& options() const { return options_; }

 protected:
  Array compute(const std::vector<Array>& operands) const override;

 private:
  PadOptions options_;
};

// Broadcast to options.shape with numpy's rule (ONNX Expand): the output shape is the
// broadcast of the input's shape and `shape`.
class ExpandLayer : public TensorLayer {
 public:
  ExpandLayer(std::string name, std::vector<int64_t> shape, Array operand = Array());
  std::string type() const override { return "Expand"; }
  std::vector<int64_t> outputShape(const std::vector<std::vector<int64_t>>& shapes) const override;
  // The shape given (not the broadcast output shape).
  const std::vector<int64_t>& shape() const { return shape_; }

 protected:
  Array compute(const std::vector<Array>& operands) const override;

 private:
  std::vector<int64_t> shape_;
};

// ---- reductions and normalisation -------------------------------------------------------

enum class ReduceOp { Mean, Sum, Max };

struct ReduceOptions {
  ReduceOp op = ReduceOp::Mean;
  std::vector<int64_t> axes{};    // empty: every axis (or none, with noopWithEmptyAxes)
  bool keepDims = true;           // reduced axes stay with size 1
  bool noopWithEmptyAxes = false;
};

class ReduceLayer : public TensorLayer {
 public:
  ReduceLayer(std::string name, ReduceOptions options, Array operand = Array());
  std::string type() const override;
  std::string description() const override;  // "ReduceMean over axes [2 3]"
  std::vector<int64_t> outputShape(const std::vector<std::vector<int64_t>>& shapes) const override;
  const ReduceOptions& options() const { return options_; }  // as constructed (axes may be negative)

 protected:
  Array compute(const std::vector<Array>& operands) const override;

 private:
  std::vector<bool> reduced(int rank) const;  // per ONNX axis
  ReduceOptions options_;
};

struct AxisSoftmaxOptions {
  bool log = false;     // LogSoftmax
  int64_t axis = -1;
  // Opset < 13: the input is coerced to 2-D at `axis` and normalised over all axes from
  // `axis` on together. Opset >= 13: over the one axis.
  bool coerce2d = false;
};

// ONNX Softmax / LogSoftmax over an axis. Output: the input's shape.
class AxisSoftmaxLayer : public TensorLayer {
 public:
  AxisSoftmaxLayer(std::string name, AxisSoftmaxOptions options, Array operand = Array());
  std::string type() const override { return options_.log ? "LogSoftmax" : "Softmax"; }
  std::string description() const override;  // "Softmax over axis -1"
  std::vector<int64_t> outputShape(const std::vector<std::vector<int64_t>>& shapes) const override;
  // As constructed: axis may be negative (the importer passes it in [0, rank)).
  const AxisSoftmaxOptions& options() const { return options_; }

 protected:
  Array compute(const std::vector<Array>& operands) const override;

 private:
  AxisSoftmaxOptions options_;
};

// ONNX LayerNormalization (opset 17): normalises over ONNX axes [axis, rank) with the biased
// variance, then scales and shifts. Operands: X, Scale and optionally B, whose shapes
// broadcast to X's shape from axis on. Output: X's shape.
class AxisLayerNormLayer : public TensorLayer {
 public:
  AxisLayerNormLayer(std::string name, int64_t axis, double epsilon, std::vector<Array> operands);
  std::string type() const override { return "LayerNormalization"; }
  std::vector<int64_t> outputShape(const std::vector<std::vector<int64_t>>& shapes) const override;
  // As constructed: axis may be negative (the importer passes it in [0, rank)); epsilon > 0.
  int64_t axis() const { return axis_; }
  double epsilon() const { return epsilon_; }

 protected:
  Array compute(const std::vector<Array>& operands) const override;

 private:
  int64_t axis_;
  double epsilon_;
};

// ONNX Cast. To a floating type: the identity (dlcam computes in float32 or float64
// whatever the file says). To an integer type: truncation toward zero; to bool: x ≠ 0 as
// 0/1. Integer and bool results carry no gradient.
class CastLayer : public TensorLayer {
 public:
  CastLayer(std::string name, DataType to, Array operand = Array());
  std::string type() const override { return "Cast"; }
  std::vector<int64_t> outputShape(const std::vector<std::vector<int64_t>>& shapes) const override;
  DataType to() const { return to_; }  // the ONNX type named, though dlcam computes in float

 protected:
  Array compute(const std::vector<Array>& operands) const override;

 private:
  DataType to_;
};

// True for the ONNX integer types and bool.
bool isIntegerType(DataType type);
// True for float, double, float16 and bfloat16.
bool isFloatType(DataType type);

}  // namespace dlcam::onnx
