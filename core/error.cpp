#include "core/error.h"

namespace dlcam::detail {

void assertionFailed(const char* expr, const char* file, int line, const std::string& msg) {
  std::ostringstream out;
  out << "dlcam internal error: " << expr << " failed at " << file << ":" << line;
  if (!msg.empty()) out << ": " << msg;
  throw std::logic_error(out.str());
}

}  // namespace dlcam::detail
