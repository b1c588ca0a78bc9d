#include "core/limits.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "core/error.h"

namespace dlcam {

namespace {

int64_t physicalMemory() {
  const long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || pageSize <= 0) return INT64_MAX;  // unknown: no cap beyond the system's
  int64_t bytes = 0;
  return __builtin_mul_overflow(int64_t{pages}, int64_t{pageSize}, &bytes) ? INT64_MAX : bytes;
}

// 0 until first use; then the cap.
std::atomic<int64_t> g_cap{0};
std::mutex g_capInit;

struct Counters {
  std::atomic<int64_t> inUse{0};
  std::atomic<int64_t> peak{0};
};
Counters g_counters[2];  // by Device

Counters& countersFor(Device device) { return g_counters[device == Device::GPU ? 1 : 0]; }

}  // namespace

int64_t parseByteSize(const std::string& text) {
  auto bad = [&] { fail("expected a size such as 512M or 8G (bytes, K, M, G or T), got '", text, "'"); };
  size_t pos = 0;
  while (pos < text.size() && (std::isdigit(static_cast<unsigned char>(text[pos])) || text[pos] == '.')) ++pos;
  if (pos == 0 || text.size() > 32) bad();
  char* end = nullptr;
  const std::string number = text.substr(0, pos);
  const double value = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size()) bad();
  std::string unit = text.substr(pos);
  std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
  if (unit.ends_with("ib")) unit.resize(unit.size() - 2);
  else if (unit.size() == 2 && unit[1] == 'b') unit.resize(1);
  double scale = 0;
  if (unit.empty() || unit == "b" || unit == "bytes") scale = 1;
  else if (unit == "k") scale = 0x1p10;
  else if (unit == "m") scale = 0x1p20;
  else if (unit == "g") scale = 0x1p30;
  else if (unit == "t") scale = 0x1p40;
  else bad();
  const double bytes = std::floor(value * scale);
  if (!(bytes >= 1) || bytes >= 0x1p63) bad();
  return static_cast<int64_t>(bytes);
}

std::string formatBytes(int64_t bytes) {
  if (bytes < 1024) return detail::cat(bytes, bytes == 1 ? " byte" : " bytes");
  static const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 5) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, value < 10 ? "%.1f %s" : "%.0f %s", value, units[unit]);
  return text;
}

int64_t memoryCap() {
  int64_t cap = g_cap.load(std::memory_order_relaxed);
  if (cap > 0) return cap;
  std::lock_guard lock(g_capInit);
  cap = g_cap.load();
  if (cap > 0) return cap;
  if (const char* env = std::getenv("DLCAM_MEMORY_CAP"); env && *env) {
    try {
      cap = parseByteSize(env);
    } catch (const Error& e) {
      fail("DLCAM_MEMORY_CAP: ", e.what());
    }
  } else {
    cap = physicalMemory();
  }
  g_cap.store(cap);
  return cap;
}

void setMemoryCap(int64_t bytes) {
  if (bytes <= 0) fail("setMemoryCap: the cap must be positive, got ", bytes);
  std::lock_guard lock(g_capInit);
  g_cap.store(bytes);
}

int64_t tensorBytesInUse(Device device) { return countersFor(device).inUse.load(); }
int64_t peakTensorBytes(Device device) { return countersFor(device).peak.load(); }
void resetPeakTensorBytes(Device device) { countersFor(device).peak.store(countersFor(device).inUse.load()); }

bool fitsMemoryCap(int64_t bytes, Device device) {
  const int64_t cap = memoryCap();
  return bytes >= 0 && bytes <= cap && tensorBytesInUse(device) <= cap - bytes;
}

void checkMemoryCap(int64_t bytes, Device device, const std::string& what) {
  if (fitsMemoryCap(bytes, device)) return;
  const int64_t cap = memoryCap(), inUse = tensorBytesInUse(device);
  fail(what, " needs ", bytes < 0 ? "more than 8 EiB" : formatBytes(bytes), ", over dlcam's memory cap of ",
       formatBytes(cap), inUse > 0 ? " (" + formatBytes(inUse) + " in use)" : std::string(),
       "; raise it with DLCAM_MEMORY_CAP or dlcam::setMemoryCap");
}

ScopedMemoryCap::ScopedMemoryCap(int64_t bytes) : previous_(memoryCap()) { setMemoryCap(bytes); }
ScopedMemoryCap::~ScopedMemoryCap() { setMemoryCap(previous_); }

namespace detail {

void reserveTensorBytes(int64_t bytes, Device device, const std::string& what) {
  // Compare-and-swap, so that threads allocating at once cannot pass the cap together.
  Counters& c = countersFor(device);
  const int64_t cap = memoryCap();
  int64_t inUse = c.inUse.load();
  do {
    if (bytes < 0 || bytes > cap || inUse > cap - bytes) checkMemoryCap(bytes, device, what);  // throws
  } while (!c.inUse.compare_exchange_weak(inUse, inUse + bytes));
  const int64_t now = inUse + bytes;
  int64_t peak = c.peak.load();
  while (now > peak && !c.peak.compare_exchange_weak(peak, now)) {
  }
}

void releaseTensorBytes(int64_t bytes, Device device) { countersFor(device).inUse.fetch_sub(bytes); }

}  // namespace detail

}  // namespace dlcam
