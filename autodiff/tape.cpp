#include "autodiff/tape.h"

#include <unordered_map>
#include <unordered_set>

#include "kernels/elementwise.h"

namespace dlcam {

namespace {
thread_local detail::TapeState* activeTape = nullptr;
}

namespace detail {

Node::~Node() {
  std::vector<std::shared_ptr<Node>> pending = std::move(inputs);
  while (!pending.empty()) {
    std::shared_ptr<Node> n = std::move(pending.back());
    pending.pop_back();
    if (n && n.use_count() == 1)  // last owner: take its inputs before it dies
      for (auto& in : n->inputs) pending.push_back(std::move(in));
  }
}

bool isRecording(const std::shared_ptr<Node>& node) {
  return node && activeTape && node->tape.get() == activeTape;
}

bool anyTraced(std::initializer_list<const Array*> inputs) {
  for (const Array* a : inputs)
    if (a->isTraced()) return true;
  return false;
}

bool anyTraced(const std::vector<Array>& inputs) {
  for (const Array& a : inputs)
    if (a.isTraced()) return true;
  return false;
}

void record(Array& output, const char* op, const std::vector<const Array*>& inputs, BackwardFn backward) {
  DLCAM_ASSERT(activeTape != nullptr, op, " recorded with no active tape");
  auto node = std::make_shared<Node>();
  node->op = op;
  node->id = activeTape->nextId++;
  for (const Array* in : inputs) node->inputs.push_back(in->isTraced() ? in->node() : nullptr);
  node->backward = std::move(backward);
  node->shape = output.shape();
  node->dtype = output.dtype();
  node->device = output.device();
  for (const auto& in : node->inputs)
    if (in) node->tape = in->tape;
  DLCAM_ASSERT(node->tape != nullptr, op, " recorded with no traced input");
  output.setNode(std::move(node));
}

}  // namespace detail

Tape::Tape() : state_(std::make_shared<detail::TapeState>()) {
  if (activeTape)
    fail("a Tape is already recording on this thread; dlcam records one tape at a time "
         "(finish the first tape's scope before starting another)");
  activeTape = state_.get();
}

Tape::~Tape() {
  if (activeTape == state_.get()) activeTape = nullptr;
}

PauseRecording::PauseRecording() : paused_(activeTape) { activeTape = nullptr; }

PauseRecording::~PauseRecording() { activeTape = paused_; }

void Tape::watch(Array& x) {
  if (!x.defined()) fail("Tape::watch: the array has no value");
  auto leaf = std::make_shared<detail::Node>();
  leaf->op = "watch";
  leaf->id = state_->nextId++;
  leaf->tape = state_;
  leaf->shape = x.shape();
  leaf->dtype = x.dtype();
  leaf->device = x.device();
  x.setNode(std::move(leaf));
}

std::vector<Array> Tape::gradient(const Array& y, const std::vector<Array>& targets) const {
  using detail::Node;
  if (y.numel() != 1)
    fail("gradient: the value to differentiate must be a scalar (one element), got shape ", y.shape().str(),
         "; reduce it first, e.g. with sum()");
  if (y.node() && y.node()->tape != state_)
    fail("gradient: y was computed on another tape; compute it inside this tape's scope");
  std::unordered_set<const Node*> targetNodes;
  for (size_t k = 0; k < targets.size(); ++k) {
    const auto& n = targets[k].node();
    if (!n || n->tape != state_)
      fail("gradient: target ", k, " (", targets[k], ") is not traced on this tape; call tape.watch(x) "
           "before computing with x");
    targetNodes.insert(n.get());
  }

  // Post-order DFS from y: every node appears after all of its inputs. Iterative, so that
  // deep networks cannot overflow the stack.
  std::vector<Node*> order;
  std::unordered_map<const Node*, bool> leadsToTarget;
  if (y.node()) {
    std::vector<std::pair<Node*, size_t>> stack{{y.node().get(), 0}};
    std::unordered_set<const Node*> seen{y.node().get()};
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next < node->inputs.size()) {
        Node* in = node->inputs[next++].get();
        if (in && seen.insert(in).second) stack.push_back({in, 0});
        continue;
      }
      bool leads = targetNodes.count(node) > 0;
      for (const auto& in : node->inputs) leads = leads || (in && leadsToTarget[in.get()]);
      leadsToTarget[node] = leads;
      order.push_back(node);
      stack.pop_back();
    }
  }

  // Reverse topological order: outputs before inputs. Gradients live on their array's device.
  std::unordered_map<const Node*, Tensor> grads;
  if (!order.empty()) grads[y.node().get()] = Tensor::full(y.shape(), 1.0, y.dtype(), y.device());
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node* node = *it;
    auto found = grads.find(node);
    if (found == grads.end() || !node->backward) continue;
    std::vector<bool> needed(node->inputs.size());
    bool any = false;
    for (size_t i = 0; i < needed.size(); ++i) {
      needed[i] = node->inputs[i] && leadsToTarget[node->inputs[i].get()];
      any = any || needed[i];
    }
    if (!any) continue;
    std::vector<Tensor> inGrads = node->backward(found->second, needed);
    DLCAM_ASSERT(inGrads.size() == node->inputs.size(), node->op, " returned ", inGrads.size(), " gradients");
    if (!targetNodes.count(node)) grads.erase(found);  // no longer needed: free it early
    for (size_t i = 0; i < needed.size(); ++i) {
      if (!needed[i]) continue;
      const Node* in = node->inputs[i].get();
      DLCAM_ASSERT(inGrads[i].defined() && inGrads[i].shape() == in->shape, node->op, " gradient ", i,
                   " has shape ", inGrads[i].shape().str(), ", expected ", in->shape.str());
      // A backward with inputs on both devices runs where the GPU ones are; each array's
      // gradient goes back to its own device (a CPU weight of a GPU activation, say).
      const Tensor g = inGrads[i].device() == in->device ? inGrads[i] : inGrads[i].to(in->device);
      auto [slot, inserted] = grads.try_emplace(in, g);
      if (!inserted) slot->second = kernels::add(slot->second, g);
    }
  }

  std::vector<Array> result;
  for (const Array& t : targets) {
    auto found = grads.find(t.node().get());
    Tensor g = found != grads.end() ? found->second : Tensor::zeros(t.shape(), t.dtype(), t.device());
    result.emplace_back(g, t.format());
  }
  return result;
}

}  // namespace dlcam
