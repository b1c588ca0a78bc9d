#include "core/error.h"

namespace dlcam::detail {

void assertionFailed(const char* expr, const char* file, int line, const std::string& msg) {
  throw std::logic_error(cat("dlcam internal error: ", expr, " failed at ", file, ":", line,
                             msg.empty() ? "" : ": ", msg));
}

}  // namespace dlcam::detail
