// The tape: reverse-mode automatic differentiation, recorded explicitly and in a scope.
//
//   Tape tape;                      // starts recording on this thread (MATLAB: dlfeval)
//   tape.watch(A);                  // A becomes a leaf; only work that depends on A is recorded
//   Array s = sum(relu(A * w));     // recorded: each op leaves a node with a backward closure
//   Array g = tape.gradient(s, A);  // MATLAB: dlgradient(s, A)
//
// How it works. Every differentiable function (autodiff/*.cpp) computes its output with a
// kernel. If one of its inputs is being traced, it also attaches a Node to the output: the
// node links to the input nodes and holds a closure that turns the gradient of the output
// into gradients of the inputs, capturing only the tensors that closure needs. Work on
// untraced arrays records nothing and costs what inference costs.
//
// gradient(y, targets) walks back from y over the nodes that lie between y and a target and
// calls only their closures, asking each only for the input gradients that lead to a target
// (a convolution whose weights are not targets never computes a weight gradient). Where a
// node feeds several others, the gradients flowing back into it are summed.
//
// Rules:
//  - One tape records at a time on a thread; a second Tape while one is active is an error.
//  - y must have exactly one element (dlgradient's rule).
//  - A target must have been watched on this tape, or computed from a watched array;
//    anything else is an error. A watched target that y does not depend on gets zeros, as
//    MATLAB's dlgradient returns.
//  - gradient() may be called several times on one tape; each call starts from zero.
//  - watch(x) marks the Array object x (and copies made from it afterwards). A copy taken
//    before watch(x) is not traced, and work done with it gets no gradient.
//  - Nodes are owned by the arrays that reference them: when the arrays go away, so do the
//    nodes and the tensors they kept. When the tape ends, its arrays stop being traced.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <vector>

#include "core/array.h"

namespace dlcam {

namespace detail {

struct TapeState {
  uint64_t nextId = 0;
};

// Given the gradient of the output and which inputs need a gradient, returns one tensor per
// input: the gradient, or an undefined Tensor where none was asked for.
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& gradOutput, const std::vector<bool>& needed)>;

struct Node {
  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node();  // iterative: freeing a chain of 100,000 nodes must not recurse 100,000 deep

  const char* op = "";                        // the function's name, for error messages
  uint64_t id = 0;                            // creation order on its tape
  std::shared_ptr<TapeState> tape;
  std::vector<std::shared_ptr<Node>> inputs;  // null for inputs that were not traced
  BackwardFn backward;                        // null for leaves (watched arrays)
  Shape shape;                                // of the output
  DType dtype = DType::Float32;
  Device device = Device::CPU;                // of the output: its gradient is returned there
};

// True when node belongs to the tape recording on this thread.
bool isRecording(const std::shared_ptr<Node>& node);

// True when any of the arrays is traced, i.e. the op that consumes them must record.
bool anyTraced(std::initializer_list<const Array*> inputs);
inline bool anyTraced(const Array& a) { return a.isTraced(); }
inline bool anyTraced(const Array& a, const Array& b) { return a.isTraced() || b.isTraced(); }
bool anyTraced(const std::vector<Array>& inputs);

// Attaches a new node to `output`, produced by `op` from `inputs`. Call only when
// anyTraced(inputs) is true; the closure should capture only what backward needs.
void record(Array& output, const char* op, const std::vector<const Array*>& inputs, BackwardFn backward);

}  // namespace detail

class Tape {
 public:
  Tape();
  ~Tape();
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;

  // Makes x a leaf of this tape: from now on, operations that use x are recorded.
  // Any history x had is dropped (x becomes the start of a new path).
  void watch(Array& x);

  // d y / d target for each target, each with its target's shape, format and dtype.
  std::vector<Array> gradient(const Array& y, const std::vector<Array>& targets) const;
  Array gradient(const Array& y, const Array& target) const { return gradient(y, std::vector<Array>{target})[0]; }

  // Number of nodes this tape has created so far (watched leaves included).
  uint64_t nodesRecorded() const { return state_->nextId; }

 private:
  std::shared_ptr<detail::TapeState> state_;
};

// Pauses the tape recording on this thread for the lifetime of this object (PyTorch:
// torch.no_grad()): operations record nothing and their outputs are not traced, even when
// their inputs are. Network::predict runs inside one, so inference never grows a tape.
class PauseRecording {
 public:
  PauseRecording();
  ~PauseRecording();
  PauseRecording(const PauseRecording&) = delete;
  PauseRecording& operator=(const PauseRecording&) = delete;

 private:
  detail::TapeState* paused_;
};

}  // namespace dlcam
