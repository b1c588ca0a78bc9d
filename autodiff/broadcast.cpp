#include "autodiff/broadcast.h"

#include <algorithm>

namespace dlcam::detail {

namespace {
// Sizes of x placed in a target format: each of x's labels goes to the next dimension of
// the target with the same label; other target dimensions get size 1.
Tensor expandTo(const Array& x, const DimFormat& target) {
  std::vector<int64_t> dims(static_cast<size_t>(target.rank()), 1);
  int next = 0;
  for (int d = 0; d < x.rank(); ++d) {
    while (next < target.rank() && target[next] != x.format()[d]) ++next;
    DLCAM_ASSERT(next < target.rank(), "label ", x.format()[d], " missing in ", target.str());
    dims[static_cast<size_t>(next++)] = x.size(d);
  }
  return x.value().reshaped(Shape(dims));
}

// An unformatted operand takes the formatted operand's labels, position by position.
DimFormat adoptLabels(const Array& x, const Array& other) {
  if (x.format().isFormatted() || !other.format().isFormatted()) return x.format();
  if (x.rank() > other.rank())
    fail("cannot combine unformatted array of shape ", x.shape().str(), " with array of format ",
         other.format().str(), ": it has more dimensions");
  return DimFormat(other.format().str().substr(0, static_cast<size_t>(x.rank())));
}
}  // namespace

Aligned alignForBroadcast(const Array& a, const Array& b) {
  const Array fa(a.value(), adoptLabels(a, b));
  const Array fb(b.value(), adoptLabels(b, a));
  std::string labels;
  for (char c : std::string("SCBTU")) {
    int n = std::max(fa.format().count(c), fb.format().count(c));
    labels.append(static_cast<size_t>(n), c);
  }
  DimFormat out(labels);
  Aligned r{expandTo(fa, out), expandTo(fb, out), out};
  if (r.a.dtype() != r.b.dtype())
    fail("cannot combine ", dtypeName(r.a.dtype()), " and ", dtypeName(r.b.dtype()), " arrays");
  return r;
}

}  // namespace dlcam::detail
