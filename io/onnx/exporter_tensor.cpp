// ONNX export of the tensor layers of tensor_layers.h, each written back as its ONNX op with
// the attributes the layer stores (its getters give them as constructed).
//
// Values in the exported graph are float32, as dlcam computes: dlcam's integer results
// (Cast to an integer type, ElementwiseLayer's integer mode) are floats truncated toward
// zero, written as a Cast to int64 (bool for Cast to bool) and back to float.
#include <algorithm>

#include "core/error.h"
#include "io/onnx/exporter_writer.h"
#include "io/onnx/tensor_layers.h"

namespace dlcam::onnx::writer {

namespace {

using Shape64 = std::vector<int64_t>;

// The layer's operands as node inputs: its run-time inputs, and initializers for constants.
std::vector<std::string> operandInputs(LayerWriter& w, const TensorLayer& l) {
  std::vector<std::string> inputs;
  int next = 0;
  for (size_t i = 0; i < l.operands().size(); ++i) {
    const Array& c = l.operands()[i];
    if (!c.defined()) {
      inputs.push_back(w.input(next++));
      continue;
    }
    const Shape64& dims = c.shape().dims();
    inputs.push_back(w.constant("Constant" + std::to_string(i), Shape64(dims.rbegin(), dims.rend()), permutedValues(c.value())));
  }
  return inputs;
}

// The layer's output: `value` cast to `type` and back to float. Int64 rather than the type the
// layer names: dlcam truncates whatever the range, where a narrower type would wrap or saturate.
void outputTruncated(LayerWriter& w, const std::string& value, DataType type) {
  const std::string integer = w.node("Cast", {value}, {intAttr("to", static_cast<int64_t>(type))});
  w.output("Cast", {integer}, {intAttr("to", static_cast<int64_t>(DataType::Float))});
}

// ONNX axes of input i whose size is known only at run time: N (axis 0, the B of every rank
// from 2) and, for a sequence of any length, T (axis 2 of N×C×T).
std::vector<bool> dynamicAxes(const LayerWriter& w, int i) {
  std::vector<bool> dynamic(w.inputShape(i).size(), false);
  if (!dynamic.empty() && w.inputInfo(i).format.find('B') >= 0) dynamic[0] = true;
  if (dynamic.size() == 3 && w.dynamicLength(i)) dynamic[2] = true;
  return dynamic;
}

// ---- arithmetic ------------------------------------------------------------------------------

void writeElementwise(LayerWriter& w, const ElementwiseLayer& l) {
  if (!l.options().integer) {
    w.output(l.type(), operandInputs(w, l));
    return;
  }
  outputTruncated(w, w.node(l.type(), operandInputs(w, l)), DataType::Int64);
}

// ---- shape ops -------------------------------------------------------------------------------

// The stored target, with the batch rule (tensor_layers.h: a target dim 0 equal to the
// import-time dim 0 follows the run-time dim 0) written as ONNX's 0, "copy the input's dim":
// the same size for every input, so the file runs at any batch size as dlcam does.
void writeReshape(LayerWriter& w, const ReshapeLayer& l) {
  const ReshapeOptions& o = l.options();
  Shape64 target = o.shape;
  const bool literalZeros = o.allowZero && std::count(target.begin(), target.end(), 0) > 0;
  if (!o.importShape.empty() && !target.empty() && target[0] == o.importShape[0]) {
    if (literalZeros)
      w.fail("the target " + detail::bracketed(o.shape) +
             " has sizes 0 (allowzero) and a dim 0 that follows the batch size: one ONNX Reshape cannot say both");
    target[0] = 0;
  }
  std::vector<Attribute> attributes;
  if (literalZeros) attributes.push_back(intAttr("allowzero", 1));
  w.output("Reshape", {w.input(0), w.ints("Shape", target)}, attributes);
}

void writeSqueeze(LayerWriter& w, const SqueezeLayer& l) {
  const SqueezeOptions& o = l.options();
  std::vector<std::string> inputs = {w.input(0)};
  // Unsqueeze needs its axes; Squeeze without them removes every size-1 axis, as the layer does.
  if (o.unsqueeze || !o.axes.empty()) inputs.push_back(w.ints("Axes", o.axes));
  w.output(l.type(), inputs);
}

void writeSlice(LayerWriter& w, const SliceLayer& l) {
  const SliceOptions& o = l.options();
  Shape64 axes = o.axes, steps = o.steps;
  for (size_t i = 0; axes.size() < o.starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (steps.empty()) steps.assign(o.starts.size(), 1);
  w.output("Slice", {w.input(0), w.ints("Starts", o.starts), w.ints("Ends", o.ends), w.ints("Axes", axes),
                     w.ints("Steps", steps)});
}

void writePad(LayerWriter& w, const PadLayer& l) {
  const PadOptions& o = l.options();
  const char* mode = o.mode == PadMode::Constant ? "constant" : o.mode == PadMode::Edge ? "edge" : "reflect";
  std::vector<std::string> inputs = {w.input(0), w.ints("Pads", o.pads)};
  if (o.mode == PadMode::Constant && o.value != 0) inputs.push_back(w.scalar("Value", o.value));
  w.output("Pad", inputs, {stringAttr("mode", mode)});
}

// ---- reductions and normalisation ------------------------------------------------------------

void writeReduce(LayerWriter& w, const ReduceLayer& l) {
  const ReduceOptions& o = l.options();
  if (o.axes.empty() && o.noopWithEmptyAxes) {
    // The identity. Opset 17 has noop_with_empty_axes on ReduceSum only; reducing no axis is
    // the same for every op.
    w.output("ReduceSum", {w.input(0)}, {intAttr("noop_with_empty_axes", 1)});
    return;
  }
  std::vector<Attribute> attributes = {intAttr("keepdims", o.keepDims ? 1 : 0)};
  std::vector<std::string> inputs = {w.input(0)};
  // No axes: every axis. Opset 13 moved ReduceSum's axes to an input; the others follow in 18.
  if (!o.axes.empty()) {
    if (o.op == ReduceOp::Sum) inputs.push_back(w.ints("Axes", o.axes));
    else attributes.push_back(intsAttr("axes", o.axes));
  }
  w.output(l.type(), inputs, attributes);
}

// Opset 13's Softmax normalises over one axis. The opset < 13 form (every axis from `axis`
// on) is that when the later axes have size 1, and otherwise Flatten at the axis, Softmax over
// axis 1, Reshape back.
void writeSoftmax(LayerWriter& w, const AxisSoftmaxLayer& l) {
  const AxisSoftmaxOptions& o = l.options();
  const Shape64 in = w.inputShape(0);
  const int64_t rank = static_cast<int64_t>(in.size());
  if (rank == 0) w.fail("cannot write a softmax of a scalar (ONNX's Softmax needs rank 1 or more)");
  const int64_t axis = o.axis < 0 ? o.axis + rank : o.axis;
  const std::vector<bool> dynamic = dynamicAxes(w, 0);
  bool oneAxis = true;
  for (int64_t a = axis + 1; o.coerce2d && a < rank; ++a)
    oneAxis = oneAxis && in[static_cast<size_t>(a)] == 1 && !dynamic[static_cast<size_t>(a)];
  if (oneAxis) {
    w.output(l.type(), {w.input(0)}, {intAttr("axis", o.axis)});
    return;
  }
  // The static shape, its run-time sizes as Reshape's 0 (a copy of Flatten's dim 0, which is
  // N when axis = 1) or one −1.
  Shape64 back = in;
  int unknown = 0;
  for (size_t a = 0; a < back.size(); ++a) {
    if (!dynamic[a]) continue;
    if (a == 0 && axis == 1) {
      back[a] = 0;
    } else {
      back[a] = -1;
      ++unknown;
    }
  }
  if (unknown > 1)
    w.fail(detail::cat("cannot write a softmax over axes ", axis, " to ", rank - 1,
                       " of an input whose batch size and length are both dynamic"));
  std::string z = w.node("Flatten", {w.input(0)}, {intAttr("axis", axis)});
  z = w.node(l.type(), {z}, {intAttr("axis", 1)});
  w.output("Reshape", {z, w.ints("Shape", back)});
}

// dlcam's Cast to a floating type is the identity; to an integer type it truncates and to bool
// it gives x ≠ 0 as 0/1, staying floating point.
void writeCast(LayerWriter& w, const CastLayer& l) {
  if (isFloatType(l.to())) {
    w.output("Cast", {w.input(0)}, {intAttr("to", static_cast<int64_t>(DataType::Float))});
    return;
  }
  outputTruncated(w, w.input(0), l.to() == DataType::Bool ? DataType::Bool : DataType::Int64);
}

}  // namespace

bool writeTensorLayer(LayerWriter& w) {
  const Layer& layer = w.layer();
  if (const auto* e = dynamic_cast<const ElementwiseLayer*>(&layer)) {
    writeElementwise(w, *e);
  } else if (const auto* m = dynamic_cast<const MatMulLayer*>(&layer)) {
    w.output("MatMul", operandInputs(w, *m));
  } else if (const auto* c = dynamic_cast<const ConcatLayer*>(&layer)) {
    w.output("Concat", operandInputs(w, *c), {intAttr("axis", c->axis())});
  } else if (const auto* r = dynamic_cast<const ReshapeLayer*>(&layer)) {
    writeReshape(w, *r);
  } else if (const auto* f = dynamic_cast<const FlattenToMatrixLayer*>(&layer)) {
    w.output("Flatten", {w.input(0)}, {intAttr("axis", f->axis())});
  } else if (const auto* t = dynamic_cast<const TransposeLayer*>(&layer)) {
    // No perm reverses the axes, in ONNX as in the layer.
    std::vector<Attribute> attributes;
    if (!t->perm().empty()) attributes.push_back(intsAttr("perm", t->perm()));
    w.output("Transpose", {w.input(0)}, attributes);
  } else if (const auto* s = dynamic_cast<const SqueezeLayer*>(&layer)) {
    writeSqueeze(w, *s);
  } else if (const auto* g = dynamic_cast<const GatherLayer*>(&layer)) {
    const GatherOptions& o = g->options();
    w.output("Gather", {w.input(0), w.ints("Indices", o.indices, o.indicesShape)}, {intAttr("axis", o.axis)});
  } else if (const auto* sl = dynamic_cast<const SliceLayer*>(&layer)) {
    writeSlice(w, *sl);
  } else if (const auto* p = dynamic_cast<const PadLayer*>(&layer)) {
    writePad(w, *p);
  } else if (const auto* x = dynamic_cast<const ExpandLayer*>(&layer)) {
    w.output("Expand", {w.input(0), w.ints("Shape", x->shape())});
  } else if (const auto* rd = dynamic_cast<const ReduceLayer*>(&layer)) {
    writeReduce(w, *rd);
  } else if (const auto* sm = dynamic_cast<const AxisSoftmaxLayer*>(&layer)) {
    writeSoftmax(w, *sm);
  } else if (const auto* ln = dynamic_cast<const AxisLayerNormLayer*>(&layer)) {
    w.output("LayerNormalization", operandInputs(w, *ln),
             {intAttr("axis", ln->axis()), floatAttr("epsilon", ln->epsilon())});
  } else if (const auto* cast = dynamic_cast<const CastLayer*>(&layer)) {
    writeCast(w, *cast);
  } else {
    return false;
  }
  return true;
}

}  // namespace dlcam::onnx::writer
