#include "kernels/dispatch.h"

#include <algorithm>
#include <iostream>
#include <mutex>

namespace dlcam::kernels {

namespace {
std::mutex fallbackMutex;
std::vector<HostFallback>& fallbackList() {
  static std::vector<HostFallback> list;
  return list;
}
}  // namespace

void noteHostFallback(const std::string& op) {
  std::lock_guard lock(fallbackMutex);
  auto& list = fallbackList();
  auto it = std::find_if(list.begin(), list.end(), [&](const HostFallback& f) { return f.op == op; });
  if (it != list.end()) {
    ++it->calls;
    return;
  }
  list.push_back({op, 1});
  std::cerr << "dlcam: note: '" << op << "' has no GPU kernel; it runs on the CPU (inputs and result are copied)\n";
}

std::vector<HostFallback> hostFallbacks() {
  std::lock_guard lock(fallbackMutex);
  return fallbackList();
}

}  // namespace dlcam::kernels
