#include "core/array.h"

#include <ostream>

#include "autodiff/tape.h"
#include "kernels/layout.h"

namespace dlcam {

Array::Array(Tensor value) : value_(std::move(value)), format_(DimFormat::unformatted(value_.rank())) {}

Array::Array(Tensor value, std::string_view format) {
  DimFormat fmt(format);
  if (fmt.rank() < value.rank())
    fail("format \"", format, "\" has ", fmt.rank(), " labels but the data has ", value.rank(),
         " dimensions (", value.shape().str(), "); give one label per dimension");
  std::vector<int64_t> dims = value.shape().dims();
  dims.resize(static_cast<size_t>(fmt.rank()), 1);
  value = value.reshaped(Shape(dims));
  if (!fmt.isCanonical()) {
    std::vector<int> order = fmt.canonicalOrder();
    value = kernels::permute(value, order);
    std::string labels;
    for (int d : order) labels += fmt[d];
    fmt = DimFormat(labels);
  }
  value_ = std::move(value);
  format_ = std::move(fmt);
}

Array::Array(Tensor value, DimFormat format) : value_(std::move(value)), format_(std::move(format)) {
  if (format_.rank() != value_.rank())
    fail("format \"", format_.str(), "\" has ", format_.rank(), " labels but the data has ", value_.rank(),
         " dimensions (", value_.shape().str(), ")");
  if (!format_.isCanonical())
    fail("format \"", format_.str(), "\" is not in canonical order (S… C B T U); pass it as a string to permute the data");
}

double Array::item() const {
  if (numel() != 1) fail("item() needs an array with one element, got shape ", shape().str());
  return value_.at(0);
}

std::vector<float> Array::toVector() const {
  Tensor f = value_.to(Device::CPU).to(DType::Float32);
  const float* p = f.data<float>();
  return std::vector<float>(p, p + f.numel());
}

bool Array::isTraced() const { return detail::isRecording(node_); }

std::ostream& operator<<(std::ostream& out, const Array& x) {
  out << "Array " << x.shape().str() << " " << x.format().str() << " " << dtypeName(x.dtype());
  if (x.defined() && x.device() == Device::GPU) out << " (gpu)";
  return out;
}

}  // namespace dlcam
