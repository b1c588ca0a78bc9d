#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/onnx/wire.h"

using namespace dlcam;
using namespace dlcam::onnx;

namespace {

using Bytes = std::vector<uint8_t>;

std::span<const uint8_t> span(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

uint64_t decodeVarint(const Bytes& bytes) {
  WireReader r(bytes);
  uint64_t v = r.readVarint();
  REQUIRE(r.atEnd());
  return v;
}

// Every field of a message, read with the reader under test.
std::vector<Field> readAll(std::span<const uint8_t> bytes) {
  std::vector<Field> fields;
  WireReader r(bytes);
  Field f;
  while (r.next(f)) fields.push_back(f);
  return fields;
}

// Descends through field 1 of each level until a level has none; returns the depth reached.
int descend(WireReader r) {
  Field f;
  while (r.next(f))
    if (f.number == 1) return descend(WireReader::nested(f));
  return r.depth();
}

// `levels` messages, each the field 1 of the one around it.
std::string nestedMessage(int levels) {
  WireWriter inner;
  inner.varint(2, 42);
  for (int i = 0; i < levels; ++i) {
    WireWriter outer;
    outer.message(1, inner);
    inner = outer;
  }
  return inner.take();
}

}  // namespace

TEST_CASE("onnx wire: varints at their edges decode and encode to the documented bytes") {
  struct Case {
    uint64_t value;
    Bytes bytes;
  };
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  std::vector<Case> cases = {
      {0, {0x00}},
      {1, {0x01}},
      {127, {0x7f}},
      {128, {0x80, 0x01}},
      {300, {0xac, 0x02}},   // the protobuf documentation's example
      {uint64_t{1} << 63, {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}},
      {max, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.value);
    CHECK(decodeVarint(c.bytes) == c.value);
    WireWriter w;
    w.varint(1, c.value);
    Bytes expected = {0x08};   // tag: field 1, wire type 0
    expected.insert(expected.end(), c.bytes.begin(), c.bytes.end());
    CHECK(Bytes(w.str().begin(), w.str().end()) == expected);
  }
  // A non-minimal encoding (1 padded with continuation bytes) is still valid protobuf.
  CHECK(decodeVarint({0x81, 0x80, 0x80, 0x00}) == 1);
  // Negative int64 values are 10-byte varints of their two's complement.
  WireWriter w;
  w.int64(1, -1);
  CHECK(w.str().size() == 11);
  CHECK(readAll(span(w.str()))[0].int64() == -1);
}

TEST_CASE("onnx wire: overlong and truncated varints are rejected with their offset") {
  Bytes eleven(10, 0xff);
  eleven.push_back(0x01);
  CHECK_THROWS_WITH_AS(decodeVarint(eleven), "malformed protobuf: varint longer than 64 bits at byte 0", Error);
  Bytes overflow(9, 0xff);
  overflow.push_back(0x02);   // the 10th byte may only carry bit 63
  CHECK_THROWS_WITH_AS(decodeVarint(overflow), doctest::Contains("varint longer than 64 bits"), Error);
  CHECK_THROWS_WITH_AS(decodeVarint({0x80}), "malformed protobuf: truncated varint at byte 0", Error);
  CHECK_THROWS_WITH_AS(decodeVarint({}), "malformed protobuf: truncated varint at byte 0", Error);
  // A truncated value after a complete tag names the value's offset.
  CHECK_THROWS_WITH_AS(readAll(Bytes{0x08, 0x96}), "malformed protobuf: truncated varint at byte 1", Error);
  CHECK_THROWS_WITH_AS(readAll(Bytes{0x08, 0x01, 0x80}), "malformed protobuf: truncated varint at byte 2", Error);
}

TEST_CASE("onnx wire: truncated fixed values, lengths and payloads throw instead of reading past the end") {
  CHECK_THROWS_WITH_AS(readAll(Bytes{0x09, 1, 2, 3, 4, 5, 6, 7}),
                       "malformed protobuf: fixed64 value needs 8 bytes but only 7 are left at byte 1", Error);
  CHECK_THROWS_WITH_AS(readAll(Bytes{0x0d, 1, 2, 3}),
                       "malformed protobuf: fixed32 value needs 4 bytes but only 3 are left at byte 1", Error);
  CHECK_THROWS_WITH_AS(readAll(Bytes{0x0a}), "malformed protobuf: truncated varint at byte 1", Error);
  CHECK_THROWS_WITH_AS(readAll(Bytes{0x0a, 0x05, 'a', 'b', 'c'}),
                       "malformed protobuf: field 1 declares 5 bytes but only 3 are left at byte 1", Error);
  // A declared length of 2^40 fails on the comparison, before any allocation.
  Bytes huge = {0x12, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 'x'};
  CHECK_THROWS_WITH_AS(readAll(huge),
                       "malformed protobuf: field 2 declares 1099511627776 bytes but only 1 are left at byte 1", Error);
  // So does the largest length a varint can hold.
  Bytes max = {0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  CHECK_THROWS_WITH_AS(readAll(max), doctest::Contains("declares 18446744073709551615 bytes but only 0"), Error);
}

TEST_CASE("onnx wire: groups, wire types 6 and 7 and field number 0 are rejected") {
  CHECK_THROWS_WITH_AS(readAll(Bytes{0x0b}), "malformed protobuf: field 1 is a group (wire type 3), which ONNX does not use at byte 0", Error);
  CHECK_THROWS_WITH_AS(readAll(Bytes{0x08, 0x00, 0x0c}), doctest::Contains("group (wire type 4)"), Error);
  CHECK_THROWS_WITH_AS(readAll(Bytes{0x0e}), "malformed protobuf: field 1 has invalid wire type 6 at byte 0", Error);
  CHECK_THROWS_WITH_AS(readAll(Bytes{0x0f}), "malformed protobuf: field 1 has invalid wire type 7 at byte 0", Error);
  CHECK_THROWS_WITH_AS(readAll(Bytes{0x00, 0x00}), "malformed protobuf: invalid field number 0 at byte 0", Error);
  // A tag whose field number exceeds protobuf's 2^29 - 1.
  CHECK_THROWS_WITH_AS(readAll(Bytes{0x80, 0x80, 0x80, 0x80, 0x20, 0x00}), doctest::Contains("invalid field number 1073741824"), Error);
}

TEST_CASE("onnx wire: a field read as the wrong type names the field, both types and the offset") {
  WireWriter w;
  w.bytes(3, "abc");
  w.varint(4, 5);
  std::vector<Field> f = readAll(span(w.str()));
  CHECK_THROWS_WITH_AS(f[0].int64(), "malformed protobuf: field 3 should have wire type varint, got bytes at byte 0", Error);
  CHECK_THROWS_WITH_AS(f[1].float32(), "malformed protobuf: field 4 should have wire type fixed32, got varint at byte 5", Error);
  CHECK_THROWS_WITH_AS(f[1].string(), doctest::Contains("should have wire type bytes"), Error);
  CHECK_THROWS_WITH_AS(WireReader::nested(f[1]), doctest::Contains("should have wire type bytes"), Error);
}

TEST_CASE("onnx wire: repeated scalars are read packed, unpacked and mixed") {
  std::vector<int64_t> ints = {0, 1, -1, 300, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  std::vector<float> floats = {0.5f, -2.0f, 1e30f};
  std::vector<double> doubles = {0.1, -1e300};
  WireWriter w;
  w.packedInt64s(1, ints);
  for (int64_t v : ints) w.int64(2, v);
  w.packedFloats(3, floats);
  for (float v : floats) w.float32(4, v);
  w.packedDoubles(5, doubles);
  for (double v : doubles) w.float64(6, v);
  // Field 7: an unpacked value, a packed run, another unpacked value (parsers concatenate).
  w.int64(7, 10);
  w.packedInt64s(7, std::vector<int64_t>{20, -30});
  w.int64(7, 40);
  w.packedInt64s(8, std::vector<int64_t>{});   // empty packed arrays are not written
  std::vector<int64_t> packed, unpacked, mixed;
  std::vector<float> packedF, unpackedF;
  std::vector<double> packedD, unpackedD;
  int seen8 = 0;
  for (const Field& f : readAll(span(w.str()))) {
    switch (f.number) {
      case 1: f.appendTo(packed); break;
      case 2: f.appendTo(unpacked); break;
      case 3: f.appendTo(packedF); break;
      case 4: f.appendTo(unpackedF); break;
      case 5: f.appendTo(packedD); break;
      case 6: f.appendTo(unpackedD); break;
      case 7: f.appendTo(mixed); break;
      case 8: ++seen8; break;
    }
  }
  CHECK(packed == ints);
  CHECK(unpacked == ints);
  CHECK(packedF == floats);
  CHECK(unpackedF == floats);
  CHECK(packedD == doubles);
  CHECK(unpackedD == doubles);
  CHECK(mixed == std::vector<int64_t>{10, 20, -30, 40});
  CHECK(seen8 == 0);

  // int32 and uint64 readings of the same varints.
  WireWriter small;
  small.int64(1, -2);
  small.varint(2, std::numeric_limits<uint64_t>::max());
  small.packedInt64s(3, std::vector<int64_t>{-2, 70000});
  std::vector<int32_t> i32;
  std::vector<uint64_t> u64;
  for (const Field& f : readAll(span(small.str()))) {
    if (f.number == 1 || f.number == 3) f.appendTo(i32);
    if (f.number == 2) f.appendTo(u64);
  }
  CHECK(i32 == std::vector<int32_t>{-2, -2, 70000});
  CHECK(u64 == std::vector<uint64_t>{std::numeric_limits<uint64_t>::max()});
}

TEST_CASE("onnx wire: a packed fixed-size array must hold a whole number of values") {
  Bytes bad = {0x1a, 0x05, 0, 0, 0x80, 0x3f, 0};   // field 3, 5 bytes: one float and a stray byte
  std::vector<float> out;
  Field f = readAll(bad)[0];
  CHECK_THROWS_WITH_AS(f.appendTo(out), "malformed protobuf: packed field 3 has 5 bytes, not a multiple of 4 at byte 0", Error);
  std::vector<int64_t> ints;
  Bytes truncated = {0x0a, 0x02, 0x01, 0x80};   // second packed varint cut off
  CHECK_THROWS_WITH_AS(readAll(truncated)[0].appendTo(ints), "malformed protobuf: truncated varint at byte 3", Error);
}

TEST_CASE("onnx wire: nested readers report offsets in the whole input and stop at the depth limit") {
  // A sub-message whose second field is truncated: the offset counts from the outer start.
  WireWriter w;
  w.varint(5, 1);                        // bytes 0-1
  w.bytes(1, std::string("\x08\x01\x10", 3));   // tag at 2, length at 3, payload from byte 4
  Field outer = readAll(span(w.str()))[1];
  CHECK(outer.payloadOffset == 4);
  WireReader inner = WireReader::nested(outer);
  Field f;
  CHECK(inner.next(f));
  CHECK(f.offset == 4);
  CHECK_THROWS_WITH_AS(inner.next(f), "malformed protobuf: truncated varint at byte 7", Error);

  std::string ok = nestedMessage(kMaxWireDepth);
  CHECK(descend(WireReader(span(ok))) == kMaxWireDepth);
  std::string deep = nestedMessage(kMaxWireDepth + 1);
  CHECK_THROWS_WITH_AS(descend(WireReader(span(deep))), doctest::Contains("messages nested deeper than 64 levels"), Error);
}

TEST_CASE("onnx wire: writer to reader round trip, unknown fields skipped") {
  WireWriter sub;
  sub.bytes(1, "inner");
  sub.float64(2, -0.125);
  WireWriter w;
  w.varint(1, 150);
  w.fixed32(2, 0xdeadbeef);
  w.float32(3, 3.25f);
  w.fixed64(4, 0x0123456789abcdefULL);
  w.bytes(5, std::string("a\0b", 3));   // bytes may contain zeros
  w.message(6, sub);
  w.varint(536870911, 9);                // largest field number
  w.bytes(999, "unknown");               // a field the consumer does not know

  int64_t a = 0;
  uint32_t b = 0;
  float c = 0;
  uint64_t d = 0;
  std::string e, innerName;
  double innerValue = 0;
  uint64_t last = 0;
  WireReader r(span(w.str()));
  Field f;
  while (r.next(f)) {
    switch (f.number) {
      case 1: a = f.int64(); break;
      case 2: b = static_cast<uint32_t>(f.bits); break;
      case 3: c = f.float32(); break;
      case 4: d = f.bits; break;
      case 5: e = f.string(); break;
      case 6: {
        WireReader s = WireReader::nested(f);
        Field g;
        while (s.next(g)) {
          if (g.number == 1) innerName = g.string();
          if (g.number == 2) innerValue = g.float64();
        }
        break;
      }
      case 536870911: last = f.uint64(); break;
    }
  }
  CHECK(a == 150);
  CHECK(b == 0xdeadbeef);
  CHECK(c == 3.25f);
  CHECK(d == 0x0123456789abcdefULL);
  CHECK(e == std::string("a\0b", 3));
  CHECK(innerName == "inner");
  CHECK(innerValue == -0.125);
  CHECK(last == 9);
  CHECK(r.atEnd());
  CHECK(r.offset() == w.str().size());
}
