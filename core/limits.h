// Resource limits: how much memory a model file, an array file, an image or an input may make
// dlcam allocate.
//
// Files come from users and from the internet, and a header that declares a 100 GB tensor
// must get an error, not an allocation. Every tensor allocation counts against a memory cap:
// one that would take the bytes held by live tensors (per device) past the cap throws
// dlcam::Error before anything is allocated. Readers check what a file declares (an image's
// pixel count, an array's shape) against the cap, and against the file's length, before they
// allocate for it.
//
//   dlcam::setMemoryCap(2LL << 30);               // 2 GiB, for this process
//   DLCAM_MEMORY_CAP=2G dlcam explain net.onnx …  // the same, from the environment
//
// The default is the machine's physical memory (a container's own memory limit is not
// read), for CPU and GPU tensors alike, each counted apart; GPU tensors are bounded by the
// GPU's memory too. The cap bounds tensors, the largest allocations by far; it does not count
// a file's own bytes while it is read, nor the GPU backend's cached free blocks.
#pragma once

#include <cstdint>
#include <string>

#include "core/dtype.h"

namespace dlcam {

// The cap in bytes: the value of setMemoryCap if called, else DLCAM_MEMORY_CAP (read at the
// first allocation; a value that is not a size makes every allocation throw dlcam::Error
// quoting it), else the physical memory.
int64_t memoryCap();
// Sets the cap (bytes > 0) for the whole process; throws dlcam::Error otherwise.
void setMemoryCap(int64_t bytes);

// "512M", "8G", "1.5G", "4096", "64K" (binary units; "MiB", "GB" and lower case also read) →
// bytes. Throws dlcam::Error quoting the text when it is not a positive size.
int64_t parseByteSize(const std::string& text);
// 1536 → "1.5 KiB"; 123 → "123 bytes".
std::string formatBytes(int64_t bytes);

// Bytes held by live tensors on `device`.
int64_t tensorBytesInUse(Device device);
// The most tensorBytesInUse(device) reached since the process started or the last reset.
int64_t peakTensorBytes(Device device);
void resetPeakTensorBytes(Device device);

// Whether `bytes` more fit under the cap on `device` beside what live tensors hold.
bool fitsMemoryCap(int64_t bytes, Device device);
// Throws dlcam::Error "<what> needs <size>, over dlcam's memory cap of <cap> (<size> in use);
// raise it with …" (the part in parentheses when tensors are alive) unless `bytes` more fit
// under the cap on `device` beside what live tensors hold.
void checkMemoryCap(int64_t bytes, Device device, const std::string& what);

// Sets the cap for a scope and restores the previous one (tests, fuzzers).
class ScopedMemoryCap {
 public:
  explicit ScopedMemoryCap(int64_t bytes);
  ~ScopedMemoryCap();
  ScopedMemoryCap(const ScopedMemoryCap&) = delete;
  ScopedMemoryCap& operator=(const ScopedMemoryCap&) = delete;

 private:
  int64_t previous_;
};

namespace detail {
// Storage's accounting: reserve checks the cap and counts the bytes; release uncounts them.
void reserveTensorBytes(int64_t bytes, Device device, const std::string& what);
void releaseTensorBytes(int64_t bytes, Device device);
}  // namespace detail

}  // namespace dlcam
