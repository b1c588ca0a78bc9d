#include "autodiff/device.h"

#include "autodiff/tape.h"

namespace dlcam {

Array toDevice(const Array& x, Device device) {
  if (!x.defined() || x.device() == device) return x;
  const Device from = x.device();
  Array out(x.value().to(device), x.format());
  if (detail::anyTraced(x))
    detail::record(out, "toDevice", {&x}, [from](const Tensor& g, const std::vector<bool>&) {
      return std::vector<Tensor>{g.to(from)};
    });
  return out;
}

}  // namespace dlcam
