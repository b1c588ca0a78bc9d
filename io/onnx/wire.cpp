#include "io/onnx/wire.h"

#include <bit>
#include <cstring>

#include "core/error.h"

namespace dlcam::onnx {

static_assert(std::endian::native == std::endian::little,
              "the protobuf reader copies little-endian values straight into memory");

namespace {

[[noreturn]] void wireFail(size_t offset, std::string_view what) {
  fail("malformed protobuf: ", what, " at byte ", offset);
}

const char* wireTypeName(WireType t) {
  switch (t) {
    case WireType::Varint: return "varint";
    case WireType::Fixed64: return "fixed64";
    case WireType::Bytes: return "bytes";
    case WireType::Fixed32: return "fixed32";
  }
  return "?";
}

uint64_t loadLittleEndian(std::span<const uint8_t> bytes) {
  uint64_t bits = 0;
  std::memcpy(&bits, bytes.data(), bytes.size());  // host is little-endian (static_assert)
  return bits;
}

void expectType(const Field& f, WireType expected) {
  if (f.type != expected)
    f.fail(detail::cat("field ", f.number, " should have wire type ", wireTypeName(expected),
                       ", got ", wireTypeName(f.type)));
}

// A packed array of fixed-size values: the payload length must be a whole number of them.
template <typename T, typename Bits>
void appendPacked(const Field& f, std::vector<T>& out) {
  if (f.payload.size() % sizeof(T) != 0)
    f.fail(detail::cat("packed field ", f.number, " has ", f.payload.size(),
                       " bytes, not a multiple of ", sizeof(T)));
  size_t n = f.payload.size() / sizeof(T);
  out.reserve(out.size() + n);  // bounded by the payload, which is in memory already
  for (size_t i = 0; i < n; ++i)
    out.push_back(std::bit_cast<T>(static_cast<Bits>(loadLittleEndian(f.payload.subspan(i * sizeof(T), sizeof(T))))));
}

// A packed array of varints: decoded with a reader over the payload.
template <typename T>
void appendPackedVarints(const Field& f, std::vector<T>& out) {
  WireReader r(f.payload, f.payloadOffset, f.depth);
  while (!r.atEnd()) out.push_back(static_cast<T>(r.readVarint()));
}

}  // namespace

// ---- Field ----

void Field::fail(std::string_view what) const { wireFail(offset, what); }

int64_t Field::int64() const { return static_cast<int64_t>(uint64()); }

int32_t Field::int32() const { return static_cast<int32_t>(static_cast<uint32_t>(uint64())); }

uint64_t Field::uint64() const {
  expectType(*this, WireType::Varint);
  return bits;
}

float Field::float32() const {
  expectType(*this, WireType::Fixed32);
  return std::bit_cast<float>(static_cast<uint32_t>(bits));
}

double Field::float64() const {
  expectType(*this, WireType::Fixed64);
  return std::bit_cast<double>(bits);
}

std::string Field::string() const {
  std::span<const uint8_t> b = bytes();
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

std::span<const uint8_t> Field::bytes() const {
  expectType(*this, WireType::Bytes);
  return payload;
}

void Field::appendTo(std::vector<int64_t>& out) const {
  if (type == WireType::Bytes) return appendPackedVarints(*this, out);
  out.push_back(int64());
}

void Field::appendTo(std::vector<int32_t>& out) const {
  if (type == WireType::Bytes) return appendPackedVarints(*this, out);
  out.push_back(int32());
}

void Field::appendTo(std::vector<uint64_t>& out) const {
  if (type == WireType::Bytes) return appendPackedVarints(*this, out);
  out.push_back(uint64());
}

void Field::appendTo(std::vector<float>& out) const {
  if (type == WireType::Bytes) return appendPacked<float, uint32_t>(*this, out);
  out.push_back(float32());
}

void Field::appendTo(std::vector<double>& out) const {
  if (type == WireType::Bytes) return appendPacked<double, uint64_t>(*this, out);
  out.push_back(float64());
}

// ---- WireReader ----

WireReader::WireReader(std::span<const uint8_t> bytes, size_t base, int depth)
    : bytes_(bytes), base_(base), depth_(depth) {
  if (depth_ > kMaxWireDepth)
    wireFail(base_, detail::cat("messages nested deeper than ", kMaxWireDepth, " levels"));
}

WireReader WireReader::nested(const Field& field) {
  return WireReader(field.bytes(), field.payloadOffset, field.depth + 1);
}

std::span<const uint8_t> WireReader::take(size_t n, std::string_view what) {
  size_t left = bytes_.size() - pos_;
  if (n > left)
    wireFail(offset(), detail::cat(what, " needs ", n, " bytes but only ", left, " are left"));
  std::span<const uint8_t> out = bytes_.subspan(pos_, n);
  pos_ += n;
  return out;
}

uint64_t WireReader::readVarint() {
  size_t start = offset();
  uint64_t value = 0;
  // 7 bits per byte: 10 bytes carry 70 bits, so the 10th byte may only hold the 64th bit.
  for (int i = 0; i < 10; ++i) {
    if (atEnd()) wireFail(start, "truncated varint");
    uint8_t byte = bytes_[pos_++];
    if (i == 9 && byte > 1) wireFail(start, "varint longer than 64 bits");
    value |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) return value;
  }
  wireFail(start, "varint longer than 10 bytes");  // unreachable: the 10th byte ends it
}

bool WireReader::next(Field& field) {
  if (atEnd()) return false;
  field = Field{};
  field.offset = offset();
  field.depth = depth_;

  uint64_t tag = readVarint();
  uint64_t number = tag >> 3;
  if (number == 0 || number > 0x1fffffff)  // protobuf's field numbers are 1 .. 2^29-1
    wireFail(field.offset, detail::cat("invalid field number ", number));
  field.number = static_cast<uint32_t>(number);

  switch (tag & 7) {
    case 0:
      field.type = WireType::Varint;
      field.bits = readVarint();
      break;
    case 1:
      field.type = WireType::Fixed64;
      field.bits = loadLittleEndian(take(8, "fixed64 value"));
      break;
    case 2: {
      field.type = WireType::Bytes;
      size_t lengthOffset = offset();
      uint64_t length = readVarint();
      size_t left = bytes_.size() - pos_;
      // Compared before anything is read or allocated: a declared 2^40 fails here.
      if (length > left)
        wireFail(lengthOffset, detail::cat("field ", number, " declares ", length,
                                           " bytes but only ", left, " are left"));
      field.payloadOffset = offset();
      field.payload = take(static_cast<size_t>(length), "bytes field");
      break;
    }
    case 5:
      field.type = WireType::Fixed32;
      field.bits = loadLittleEndian(take(4, "fixed32 value"));
      break;
    case 3:
    case 4:
      wireFail(field.offset, detail::cat("field ", number, " is a group (wire type ", tag & 7,
                                         "), which ONNX does not use"));
    default:
      wireFail(field.offset, detail::cat("field ", number, " has invalid wire type ", tag & 7));
  }
  return true;
}

// ---- WireWriter ----

void WireWriter::rawVarint(uint64_t value) {
  while (value >= 0x80) {
    out_.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out_.push_back(static_cast<char>(value));
}

void WireWriter::rawFixed(uint64_t bits, int nbytes) {
  for (int i = 0; i < nbytes; ++i) out_.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

void WireWriter::tag(uint32_t field, WireType type) {
  DLCAM_ASSERT(field >= 1 && field <= 0x1fffffff, "field number ", field);
  rawVarint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(type));
}

void WireWriter::varint(uint32_t field, uint64_t value) {
  tag(field, WireType::Varint);
  rawVarint(value);
}

void WireWriter::fixed32(uint32_t field, uint32_t bits) {
  tag(field, WireType::Fixed32);
  rawFixed(bits, 4);
}

void WireWriter::fixed64(uint32_t field, uint64_t bits) {
  tag(field, WireType::Fixed64);
  rawFixed(bits, 8);
}

void WireWriter::float32(uint32_t field, float value) { fixed32(field, std::bit_cast<uint32_t>(value)); }

void WireWriter::float64(uint32_t field, double value) { fixed64(field, std::bit_cast<uint64_t>(value)); }

void WireWriter::bytes(uint32_t field, std::string_view payload) {
  tag(field, WireType::Bytes);
  rawVarint(payload.size());
  out_.append(payload);
}

void WireWriter::packedInt64s(uint32_t field, std::span<const int64_t> values) {
  if (values.empty()) return;
  WireWriter body;
  for (int64_t v : values) body.rawVarint(static_cast<uint64_t>(v));
  bytes(field, body.str());
}

void WireWriter::packedFloats(uint32_t field, std::span<const float> values) {
  if (values.empty()) return;
  WireWriter body;
  for (float v : values) body.rawFixed(std::bit_cast<uint32_t>(v), 4);
  bytes(field, body.str());
}

void WireWriter::packedDoubles(uint32_t field, std::span<const double> values) {
  if (values.empty()) return;
  WireWriter body;
  for (double v : values) body.rawFixed(std::bit_cast<uint64_t>(v), 8);
  bytes(field, body.str());
}

}  // namespace dlcam::onnx
