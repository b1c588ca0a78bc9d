#include "autodiff/softmax.h"

#include "autodiff/tape.h"
#include "kernels/softmax.h"

namespace dlcam {

namespace kc = kernels;

namespace {

Array softmaxOverChannels(const Array& x, bool log, const char* fn) {
  if (!x.defined()) fail(fn, ": x has no value");
  const int c = x.format().find('C');
  if (c < 0)
    fail(fn, ": x must have a C (channel) dimension to normalise over, got format \"", x.format().str(), "\" (shape ",
         x.shape().str(), ")");
  const kc::SoftmaxParams p{kc::channelGeometry(x.shape(), c), log};
  Tensor y = kc::softmax(x.value(), p);
  Array out(y, x.format());
  // Both backward formulas need only the output.
  if (detail::anyTraced(x))
    detail::record(out, fn, {&x}, [y, p](const Tensor& g, const std::vector<bool>&) {
      return std::vector<Tensor>{kc::softmaxBackward(g, y, p)};
    });
  return out;
}

}  // namespace

Array softmax(const Array& x) { return softmaxOverChannels(x, false, "softmax"); }

Array logSoftmax(const Array& x) { return softmaxOverChannels(x, true, "logSoftmax"); }

}  // namespace dlcam
