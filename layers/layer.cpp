#include "layers/layer.h"

#include "core/error.h"

namespace dlcam {

std::string ActivationInfo::str() const {
  std::string out;
  for (int d = 0; d < size.rank(); ++d) {
    if (d > 0) out += " × ";
    out += std::to_string(size[d]) + "(" + format.str().substr(d, 1) + ")";
  }
  return out.empty() ? "scalar" : out;
}

int64_t Layer::numLearnables() const {
  int64_t n = 0;
  for (const Parameter& p : learnables_) n += p.value.numel();
  return n;
}

namespace {
const Array& findParameter(const std::vector<Parameter>& list, const std::string& name, const Layer& layer,
                           const char* kind) {
  for (const Parameter& p : list)
    if (p.name == name) return p.value;
  std::string known;
  for (const Parameter& p : list) known += (known.empty() ? "" : ", ") + p.name;
  fail("layer '", layer.name(), "' (", layer.type(), ") has no ", kind, " '", name, "' (it has: ",
       known.empty() ? "none" : known, ")");
}
}  // namespace

const Array& Layer::learnable(const std::string& name) const {
  return findParameter(learnables_, name, *this, "learnable");
}

const Array& Layer::state(const std::string& name) const { return findParameter(states_, name, *this, "state"); }

void Layer::failHere(const std::string& what) const { fail("layer '", name_, "' (", type(), "): ", what); }

void Layer::expectInputs(size_t given) const {
  if (given != static_cast<size_t>(numInputs()))
    failHere("expects " + std::to_string(numInputs()) + " input(s), got " + std::to_string(given));
}

ActivationInfo InputLayer::inferOutput(std::span<const ActivationInfo> inputs) const {
  expectInputs(inputs.size());
  return inputs[0];
}

void Layer::moveTo(Device device) {
  for (auto* list : {&learnables_, &states_})
    for (Parameter& p : *list)
      if (p.value.defined()) p.value = Array(p.value.value().to(device), p.value.format());
}

}  // namespace dlcam
