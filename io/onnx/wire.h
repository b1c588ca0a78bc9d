// Protobuf wire format, the encoding of .onnx files, read and written without libprotobuf.
//
// A protobuf message is a flat sequence of fields. Each field starts with a tag, a varint
// holding (field number << 3) | wire type, followed by a payload whose length the wire type
// gives:
//   0 varint    1 to 10 bytes, 7 bits each, low bits first, high bit set on all but the last
//   1 fixed64   8 bytes little-endian (double, fixed64)
//   2 bytes     a varint length, then that many bytes (strings, sub-messages, packed arrays)
//   5 fixed32   4 bytes little-endian (float, fixed32)
// Wire types 3 and 4 (groups) are obsolete and not used by ONNX; they and 6, 7 are rejected.
// A sub-message is a bytes field whose payload is itself a message. A repeated scalar field
// comes either as one field per value ("unpacked") or as one bytes field holding the values
// back to back ("packed"); readers must accept both.
//
// The reader never trusts a size in the input: every length is checked against the bytes
// left before anything is read or allocated, so truncated or garbage input throws a one-line
// dlcam::Error naming the byte offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dlcam::onnx {

enum class WireType : uint8_t { Varint = 0, Fixed64 = 1, Bytes = 2, Fixed32 = 5 };

// Sub-messages nested deeper than this are rejected (a guard against stack exhaustion).
inline constexpr int kMaxWireDepth = 64;

// One field as read from the input. Scalar accessors check the wire type and throw
// dlcam::Error naming the field and its offset when it does not match.
struct Field {
  uint32_t number = 0;
  WireType type = WireType::Varint;
  uint64_t bits = 0;                  // Varint, Fixed64, Fixed32: the value's bits
  std::span<const uint8_t> payload;   // Bytes: the bytes after the length
  size_t offset = 0;                  // input offset of the tag
  size_t payloadOffset = 0;           // input offset of payload[0]
  int depth = 0;                      // nesting depth of the message holding the field

  int64_t int64() const;      // int64, uint64 and enum fields: the varint as two's complement
  int32_t int32() const;      // int32 fields: the low 32 bits of the varint
  uint64_t uint64() const;
  float float32() const;      // fixed32 bits as an IEEE float
  double float64() const;     // fixed64 bits as an IEEE double
  std::string string() const; // bytes / string fields
  std::span<const uint8_t> bytes() const;

  // Repeated scalars, packed or unpacked: append this field's value(s) to out.
  void appendTo(std::vector<int64_t>& out) const;   // int64 varints
  void appendTo(std::vector<int32_t>& out) const;   // int32 varints
  void appendTo(std::vector<uint64_t>& out) const;  // uint64 varints
  void appendTo(std::vector<float>& out) const;     // fixed32 floats
  void appendTo(std::vector<double>& out) const;    // fixed64 doubles

  // Throws dlcam::Error: "<what> at byte <offset>".
  [[noreturn]] void fail(std::string_view what) const;
};

// Iterates the fields of one message:
//     WireReader r(bytes);
//     Field f;
//     while (r.next(f)) switch (f.number) { case 1: name = f.string(); break; ... }
// Unknown fields need no code: the loop simply ignores them (their lengths are still checked).
class WireReader {
 public:
  // `base` is the input offset of bytes[0] (for error messages), `depth` the nesting depth.
  explicit WireReader(std::span<const uint8_t> bytes, size_t base = 0, int depth = 0);
  // A reader over a bytes field's payload, one level deeper; throws past kMaxWireDepth.
  static WireReader nested(const Field& field);

  // Reads the next field into `field`; false at the end of the message.
  bool next(Field& field);
  bool atEnd() const { return pos_ == bytes_.size(); }
  size_t offset() const { return base_ + pos_; }  // input offset of the next byte
  int depth() const { return depth_; }

  // A bare varint (as in packed arrays); throws when truncated or longer than 64 bits.
  uint64_t readVarint();

 private:
  std::span<const uint8_t> take(size_t n, std::string_view what);

  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
  size_t base_ = 0;
  int depth_ = 0;
};

// Appends fields to a byte string. Nested messages are written into their own writer first
// and then emitted as a bytes field, so their length is known before they are copied in.
class WireWriter {
 public:
  void varint(uint32_t field, uint64_t value);
  void int64(uint32_t field, int64_t value) { varint(field, static_cast<uint64_t>(value)); }
  void fixed32(uint32_t field, uint32_t bits);
  void fixed64(uint32_t field, uint64_t bits);
  void float32(uint32_t field, float value);
  void float64(uint32_t field, double value);
  void bytes(uint32_t field, std::string_view payload);
  void message(uint32_t field, const WireWriter& sub) { bytes(field, sub.str()); }
  // Packed repeated fields: one bytes field holding all values (nothing when empty).
  void packedInt64s(uint32_t field, std::span<const int64_t> values);
  void packedFloats(uint32_t field, std::span<const float> values);
  void packedDoubles(uint32_t field, std::span<const double> values);

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void tag(uint32_t field, WireType type);
  void rawVarint(uint64_t value);
  void rawFixed(uint64_t bits, int nbytes);

  std::string out_;
};

}  // namespace dlcam::onnx
