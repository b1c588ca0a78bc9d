// A small JSON value for the `--json` output of the dlcam subcommands: build it, then dump it.
//
//   Json result = Json::object();
//   result.set("model", "net.onnx");
//   result.set("shape", Json::array({1, 3, 17, 15}));
//   out << result.dump() << "\n";
//
// Strings are escaped as RFC 8259 asks (quotes, backslashes and control characters; other
// bytes, UTF-8 included, pass through). Numbers are written with the fewest digits that read
// back to the same value: a double that is a float32 value (most dlcam results) with the
// fewest digits that read back to that float. NaN and infinities, which JSON cannot write,
// become null. Object members keep the order they were set in.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace dlcam::cli {

class Json {
 public:
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  Json() = default;  // null
  Json(std::nullptr_t) {}                                             // NOLINT: implicit on purpose
  Json(bool v) : value_(v) {}                                         // NOLINT
  Json(int v) : value_(static_cast<int64_t>(v)) {}                    // NOLINT
  Json(int64_t v) : value_(v) {}                                      // NOLINT
  Json(size_t v) : value_(static_cast<int64_t>(v)) {}                 // NOLINT
  Json(double v) : value_(v) {}                                       // NOLINT
  Json(const char* v) : value_(std::string(v)) {}                     // NOLINT
  Json(std::string v) : value_(std::move(v)) {}                       // NOLINT

  static Json object() { return Json(Object{}); }
  static Json array(Array items = {}) { return Json(std::move(items)); }
  template <typename T>
  static Json array(const std::vector<T>& values) {
    Array items;
    for (const T& v : values) items.emplace_back(v);
    return Json(std::move(items));
  }

  // Object member (replaced when the key exists). Throws std::logic_error on a non-object.
  Json& set(const std::string& key, Json value);
  // Array element. Throws std::logic_error on a non-array.
  Json& push(Json value);

  bool isContainer() const;  // an array or an object

  // Two-space indentation; an array of numbers, strings, booleans and nulls stays on one line.
  std::string dump() const;

 private:
  explicit Json(Array items) : value_(std::move(items)) {}
  explicit Json(Object members) : value_(std::move(members)) {}
  void write(std::string& out, int indent) const;

  std::variant<std::nullptr_t, bool, int64_t, double, std::string, Array, Object> value_ = nullptr;
};

// A JSON string literal: "a\"b" for a"b.
std::string jsonString(const std::string& text);
// A JSON number: the shortest text that reads back to v (to the float32 value when v is one),
// or null for NaN and infinities.
std::string jsonNumber(double v);

}  // namespace dlcam::cli
