#include "apps/dlcam/json.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace dlcam::cli {

namespace {

// Shortest round-trip text of a float or double, as std::to_chars writes it.
template <typename F>
std::string shortest(F v) {
  std::array<char, 64> buffer{};
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), v);
  if (ec != std::errc()) throw std::logic_error("jsonNumber: to_chars failed");
  return std::string(buffer.data(), end);
}

}  // namespace

std::string jsonString(const std::string& text) {
  static const char* hex = "0123456789abcdef";
  std::string out = "\"";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

std::string jsonNumber(double v) {
  if (!std::isfinite(v)) return "null";
  // A float32 result converted to double prints as "0.2601740062236786"; as a float it is
  // "0.260174", which reads back (as float) to the same value.
  if (std::abs(v) > std::numeric_limits<float>::max()) return shortest(v);
  const auto f = static_cast<float>(v);
  // Exponent notation ("1e+20") is valid JSON.
  return static_cast<double>(f) == v ? shortest(f) : shortest(v);
}

Json& Json::set(const std::string& key, Json value) {
  auto* members = std::get_if<Object>(&value_);
  if (!members) throw std::logic_error("Json::set on a value that is not an object");
  for (auto& [k, v] : *members)
    if (k == key) return v = std::move(value);
  members->emplace_back(key, std::move(value));
  return members->back().second;
}

Json& Json::push(Json value) {
  auto* items = std::get_if<Array>(&value_);
  if (!items) throw std::logic_error("Json::push on a value that is not an array");
  items->push_back(std::move(value));
  return items->back();
}

std::string Json::dump() const {
  std::string out;
  write(out, 0);
  return out;
}

bool Json::isContainer() const {
  return std::holds_alternative<Array>(value_) || std::holds_alternative<Object>(value_);
}

void Json::write(std::string& out, int indent) const {
  const std::string pad(static_cast<size_t>(indent) + 2, ' '), closing(static_cast<size_t>(indent), ' ');
  if (std::holds_alternative<std::nullptr_t>(value_)) {
    out += "null";
  } else if (const bool* b = std::get_if<bool>(&value_)) {
    out += *b ? "true" : "false";
  } else if (const int64_t* i = std::get_if<int64_t>(&value_)) {
    out += std::to_string(*i);
  } else if (const double* d = std::get_if<double>(&value_)) {
    out += jsonNumber(*d);
  } else if (const std::string* s = std::get_if<std::string>(&value_)) {
    out += jsonString(*s);
  } else if (const Array* items = std::get_if<Array>(&value_)) {
    if (items->empty()) {
      out += "[]";
    } else if (std::none_of(items->begin(), items->end(), [](const Json& item) { return item.isContainer(); })) {
      out += "[";
      for (size_t k = 0; k < items->size(); ++k) {
        if (k) out += ", ";
        (*items)[k].write(out, indent);
      }
      out += "]";
    } else {
      out += "[\n";
      for (size_t k = 0; k < items->size(); ++k) {
        out += pad;
        (*items)[k].write(out, indent + 2);
        out += k + 1 < items->size() ? ",\n" : "\n";
      }
      out += closing + "]";
    }
  } else {
    const Object& members = std::get<Object>(value_);
    if (members.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    for (size_t k = 0; k < members.size(); ++k) {
      out += pad + jsonString(members[k].first) + ": ";
      members[k].second.write(out, indent + 2);
      out += k + 1 < members.size() ? ",\n" : "\n";
    }
    out += closing + "}";
  }
}

}  // namespace dlcam::cli
