// Errors. dlcam reports every user mistake (bad shape, bad format, unknown layer...) by
// throwing dlcam::Error with a message that says what was expected and what was given.
// Broken internal invariants are bugs in dlcam and use DLCAM_ASSERT instead.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace dlcam {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

// Concatenates anything streamable into one string: cat("expected ", 3, " dims").
template <typename... Args>
std::string cat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

// "[2 3 4]": a list of sizes or indices for an error message.
template <typename Int>
std::string bracketed(const std::vector<Int>& values) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < values.size(); ++i) out << (i ? " " : "") << values[i];
  out << ']';
  return out.str();
}

// "3×3×2": sizes joined by '×', as MATLAB's layer descriptions write them.
template <typename Int>
std::string sizesText(const std::vector<Int>& values) {
  std::ostringstream out;
  for (size_t i = 0; i < values.size(); ++i) out << (i ? "×" : "") << values[i];
  return out.str();
}

[[noreturn]] void assertionFailed(const char* expr, const char* file, int line, const std::string& msg);

}  // namespace detail

// Throws dlcam::Error built from the arguments: fail("expected ", a, ", got ", b).
template <typename... Args>
[[noreturn]] void fail(const Args&... args) {
  throw Error(detail::cat(args...));
}

}  // namespace dlcam

// Internal invariant. A failure is a dlcam bug, never a user error; it throws std::logic_error
// (so a host application survives it) with the location.
#define DLCAM_ASSERT(cond, ...)                                                            \
  do {                                                                                     \
    if (!(cond)) ::dlcam::detail::assertionFailed(#cond, __FILE__, __LINE__,               \
                                                  ::dlcam::detail::cat("" __VA_OPT__(, ) __VA_ARGS__)); \
  } while (0)
