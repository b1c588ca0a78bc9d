#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>
#include <fstream>
#include <iterator>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "io/npy.h"
#include "tests/support/onnx_nets.h"
#include "tests/support/paths.h"
#include "tests/support/temp_dir.h"

using namespace dlcam;
namespace fs = std::filesystem;

namespace {

// Fixtures written by NumPy: see tests/io/make_npy_fixtures.py.
std::string fixture(const std::string& name) {
  return (test::fixturesDir() / "npy" / name).string();
}

// A scratch file unique to this process (ctest runs test cases in parallel processes).
struct TempFile {
  explicit TempFile(const std::string& name)
      : path((fs::temp_directory_path() / ("dlcam_npy_" + std::to_string(::getpid()) + "_" + name)).string()) {}
  ~TempFile() {
    std::error_code ec;
    fs::remove(path, ec);
  }
  std::string path;
};

using test::readText;
using test::writeText;

// A version 1.0 file with this header text (unpadded) followed by `data`.
std::string npyV1(const std::string& header, const std::string& data) {
  std::string s = "\x93NUMPY\x01";
  s += '\0';
  s += static_cast<char>(header.size() & 0xff);
  s += static_cast<char>(header.size() >> 8);
  return s + header + data;
}
std::string dictFor(const std::string& descr, const std::string& shape, const std::string& order = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + order + ", 'shape': " + shape + ", }\n";
}

void checkShape(const Tensor& t, const std::vector<int64_t>& dims) { CHECK(t.shape() == Shape(dims)); }

// The message of the dlcam::Error that readNpy throws for this file.
std::string readError(const std::string& path) {
  try {
    readNpy(path);
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("readNpy accepted ", path);
  return "";
}

// readNpy rejects the file, with a one-line message that names it and contains `expected`.
void checkRejects(const std::string& name, const std::string& bytes, const std::string& expected) {
  CAPTURE(name);
  TempFile f(name + ".npy");
  writeText(f.path, bytes);
  std::string msg = readError(f.path);
  CAPTURE(msg);
  CHECK(msg.find(f.path) != std::string::npos);
  CHECK(msg.find(expected) != std::string::npos);
  CHECK(msg.find('\n') == std::string::npos);
}

}  // namespace

TEST_CASE("readNpy reads every dtype in C and Fortran order, shape reversed") {
  // Element L (C-order linear index of the 2x3x4 array) holds (L + offset) * scale; see
  // make_npy_fixtures.py. A C-order d0xd1xd2 array is the column-major d2xd1xd0 tensor with
  // the same linear index, so tensor.at(L) is element L.
  struct Case {
    const char* stem;
    double offset, scale;
    bool isFloat32Source;  // the file holds float32, so the expected value is rounded to float
  };
  const std::vector<Case> cases = {
      {"f4", -10, 0.1, true},          {"f8", -10, 0.1, false},   {"f2", -10, 0.25, false},
      {"i1", -10, 3, false},           {"i2", -10, 1000, false},  {"i4", -10, 100000, false},
      {"i8", -10, std::ldexp(1.0, 33), false}, {"u1", 0, 10, false}, {"u2", 0, 2000, false},
      {"u4", 0, 1e8, false},           {"u8", 0, std::ldexp(1.0, 59), false},
  };
  for (const Case& c : cases) {
    for (const char* order : {"_c", "_f"}) {
      std::string name = std::string(c.stem) + order + ".npy";
      CAPTURE(name);
      Tensor t = readNpy(fixture(name));
      checkShape(t, {4, 3, 2});
      const bool isDouble = std::string(c.stem) == "f8";
      CHECK(t.dtype() == (isDouble ? DType::Float64 : DType::Float32));
      for (int64_t L = 0; L < 24; ++L) {
        double exact = (static_cast<double>(L) + c.offset) * c.scale;
        double expected = isDouble ? exact : static_cast<double>(static_cast<float>(exact));
        CHECK(t.at(L) == expected);
      }
    }
  }
  for (const char* name : {"b1_c.npy", "b1_f.npy"}) {
    CAPTURE(name);
    Tensor t = readNpy(fixture(name));
    checkShape(t, {4, 3, 2});
    CHECK(t.dtype() == DType::Float32);
    for (int64_t L = 0; L < 24; ++L) CHECK(t.at(L) == (L % 3 == 0 ? 1.0 : 0.0));
  }
}

TEST_CASE("readNpy converts float16 corner cases exactly") {
  Tensor t = readNpy(fixture("f2_special.npy"));
  checkShape(t, {10});
  const float* v = t.data<float>();
  CHECK(v[0] == 0.0f);
  CHECK_FALSE(std::signbit(v[0]));
  CHECK(v[1] == 0.0f);
  CHECK(std::signbit(v[1]));
  CHECK(v[2] == 1.0f);
  CHECK(v[3] == 65504.0f);
  CHECK(v[4] == std::numeric_limits<float>::infinity());
  CHECK(v[5] == -std::numeric_limits<float>::infinity());
  CHECK(std::isnan(v[6]));
  CHECK(v[7] == std::ldexp(1.0f, -24));  // smallest subnormal
  CHECK(v[8] == std::ldexp(1.0f, -14));  // smallest normal
  CHECK(v[9] == 0.333251953125f);        // 1/3 rounded to 11 significant bits
}

TEST_CASE("readNpy reads format versions 1.0 2.0 3.0, ranks 0 1 4 and zero-sized arrays") {
  for (const char* name : {"v1_f4_2x3.npy", "v2_f4_2x3.npy", "v3_f4_2x3.npy"}) {
    CAPTURE(name);
    Tensor t = readNpy(fixture(name));
    checkShape(t, {3, 2});
    for (int64_t L = 0; L < 6; ++L) CHECK(t.at(L) == 0.5 * static_cast<double>(L) - 1);
  }

  Tensor s4 = readNpy(fixture("scalar_f4.npy"));
  CHECK(s4.rank() == 0);
  CHECK(s4.dtype() == DType::Float32);
  CHECK(s4.at(0) == 3.5);
  Tensor s8 = readNpy(fixture("scalar_f8.npy"));
  CHECK(s8.rank() == 0);
  CHECK(s8.dtype() == DType::Float64);
  CHECK(s8.at(0) == -0.1);

  Tensor r1 = readNpy(fixture("rank1_f4.npy"));
  checkShape(r1, {5});
  for (int64_t i = 0; i < 5; ++i) CHECK(r1.at(i) == static_cast<double>(i) - 2);

  // The 2x3x5x7 array element [a][b][c][d] (C-order index L) is at column-major tensor
  // position (d, c, b, a) of the 7x5x3x2 result, whichever order the file used.
  for (const char* name : {"rank4_f8_c.npy", "rank4_f8_f.npy"}) {
    CAPTURE(name);
    Tensor t = readNpy(fixture(name));
    checkShape(t, {7, 5, 3, 2});
    REQUIRE(t.dtype() == DType::Float64);
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 3; ++b)
        for (int c = 0; c < 5; ++c)
          for (int d = 0; d < 7; ++d) {
            const int64_t L = ((a * 3 + b) * 5 + c) * 7 + d;
            const int64_t colMajor = d + 7 * (c + 5 * (b + 3 * a));
            CHECK(t.at(colMajor) == 0.5 * static_cast<double>(L) - 7);
          }
  }

  Tensor e = readNpy(fixture("empty_f4_2x0x3.npy"));
  checkShape(e, {3, 0, 2});
  CHECK(e.numel() == 0);
}

TEST_CASE("readNpy reads the committed ONNX reference data of tools/export_torch_models.py") {
  // float32 inputs in PyTorch's layout and float64 outputs; the file shapes reversed.
  struct Net {
    const char* name;
    std::vector<int64_t> input, output;
  };
  const std::vector<Net> nets = {
      {"seq_causal_ln", {23, 4, 2}, {5, 2}},
      {"conv3d_bn_pool", {11, 10, 9, 3, 2}, {3, 2}},
      {"grouped_depthwise", {29, 33, 4, 2}, {5, 2}},
      {"residual_concat_regression", {15, 17, 3, 2}, {1, 2}},
      {"mlp_ops", {10, 3}, {7, 3}},
  };
  const fs::path root = dlcam::test::smallNetsDir();
  for (const Net& net : nets) {
    CAPTURE(net.name);
    Tensor x = readNpy((root / net.name / "input.npy").string());
    Tensor y = readNpy((root / net.name / "output.npy").string());
    checkShape(x, net.input);
    checkShape(y, net.output);
    CHECK(x.dtype() == DType::Float32);
    CHECK(y.dtype() == DType::Float64);
    for (int64_t i = 0; i < y.numel(); ++i) CHECK(std::isfinite(y.at(i)));
  }
}

TEST_CASE("writeNpy writes the same bytes as numpy.save, and readNpy reads them back") {
  // NumPy wrote these fixtures; rewriting what we read must reproduce them exactly, which is
  // what shows that NumPy reads our files (header keys, padding, alignment, data order).
  for (const char* name : {"f4_c.npy", "f8_c.npy", "v1_f4_2x3.npy", "scalar_f4.npy", "scalar_f8.npy",
                           "rank1_f4.npy", "rank4_f8_c.npy", "empty_f4_2x0x3.npy"}) {
    CAPTURE(name);
    Tensor t = readNpy(fixture(name));
    TempFile out(std::string("rewrite_") + name);
    writeNpy(out.path, t);
    CHECK(readText(out.path) == readText(fixture(name)));
  }

  // A Fortran-order file reads into the same tensor as the C-order one and is written C-order.
  {
    TempFile out("rewrite_f4_f.npy");
    writeNpy(out.path, readNpy(fixture("f4_f.npy")));
    CHECK(readText(out.path) == readText(fixture("f4_c.npy")));
  }

  // Round trip of odd-sized tensors in both dtypes, NaN and Inf included.
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtypeName(dtype));
    Tensor t = Tensor::empty(Shape{3, 5, 2, 7}, dtype);
    for (int64_t i = 0; i < t.numel(); ++i) {
      double v = std::sin(0.7 * static_cast<double>(i)) * 100;
      if (i == 4) v = std::numeric_limits<double>::quiet_NaN();
      if (i == 9) v = -std::numeric_limits<double>::infinity();
      visitFloat(dtype, [&](auto zero) { t.data<decltype(zero)>()[i] = static_cast<decltype(zero)>(v); });
    }
    TempFile out("roundtrip.npy");
    writeNpy(out.path, t);
    Tensor back = readNpy(out.path);
    CHECK(back.shape() == t.shape());
    REQUIRE(back.dtype() == dtype);
    for (int64_t i = 0; i < t.numel(); ++i) {
      if (i == 4)
        CHECK(std::isnan(back.at(i)));
      else
        CHECK(back.at(i) == t.at(i));
    }
    // Data starts on a 64-byte boundary, as NumPy aligns it.
    std::string bytes = readText(out.path);
    CHECK((bytes.size() - static_cast<size_t>(t.numel()) * sizeOf(dtype)) % 64 == 0);
  }
}

TEST_CASE("writeNpy rejects an undefined tensor, a huge rank and an unwritable path") {
  // Temp paths, so that a writer that wrongly succeeds leaves nothing in the working directory.
  TempFile undefinedOut("undefined.npy"), hugeOut("huge_rank.npy");
  CHECK_THROWS_WITH_AS(writeNpy(undefinedOut.path, Tensor()), doctest::Contains(undefinedOut.path.c_str()), Error);
  CHECK_THROWS_WITH_AS(writeNpy(hugeOut.path, Tensor(Shape(std::vector<int64_t>(30000, 1)))),
                       doctest::Contains("a rank-30000 tensor"), Error);
  CHECK_FALSE(fs::exists(hugeOut.path));
  CHECK_THROWS_WITH_AS(writeNpy("/nonexistent-dir/y.npy", Tensor::scalar(1)),
                       doctest::Contains("/nonexistent-dir/y.npy"), Error);
}

TEST_CASE("readNpy rejects bad files with a one-line message naming the file") {
  const std::string f4x3(12, '\0');  // three float32 zeros
  // Sanity: the hand-built file itself is accepted.
  {
    TempFile ok("ok.npy");
    writeText(ok.path, npyV1(dictFor("<f4", "(3,)"), f4x3));
    checkShape(readNpy(ok.path), {3});
    writeText(ok.path, npyV1("{\"shape\":(3,),\"fortran_order\":True,\"descr\":\"<f4\"}", f4x3));
    checkShape(readNpy(ok.path), {3});
  }

  CHECK(readError("/nonexistent-dir/missing.npy").find("/nonexistent-dir/missing.npy") != std::string::npos);

  // Magic and version.
  checkRejects("empty", "", "not a .npy file");
  checkRejects("text", "hello world, not numpy", "not a .npy file");
  checkRejects("magic only", "\x93NUMPY", "truncated header");
  checkRejects("version 4", std::string("\x93NUMPY\x04\x00\x10\x00", 10), "unsupported .npy format version 4.0");
  checkRejects("version 1.1", std::string("\x93NUMPY\x01\x01\x10\x00", 10), "version 1.1");
  checkRejects("no header length", std::string("\x93NUMPY\x02\x00\x10", 9), "truncated header");

  // Header length: beyond the cap (rejected without allocating it) and beyond the file.
  checkRejects("header too long", std::string("\x93NUMPY\x02\x00\x00\x00\x00\x40", 12), "header too long");
  checkRejects("header past end", std::string("\x93NUMPY\x01\x00\x00\x01", 10) + "{}", "truncated header");

  // Malformed dictionaries.
  checkRejects("not a dict", npyV1("['descr', '<f4']", f4x3), "malformed header");
  checkRejects("unclosed", npyV1("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), ", f4x3),
               "malformed header");
  checkRejects("missing key", npyV1("{'descr': '<f4', 'shape': (3,), }", f4x3), "malformed header");
  checkRejects("extra key", npyV1("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}", f4x3),
               "unexpected key 'x'");
  checkRejects("duplicate key", npyV1("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,)}", f4x3),
               "'descr' appears twice");
  checkRejects("bad bool", npyV1(dictFor("<f4", "(3,)", "0"), f4x3), "not True or False");
  checkRejects("shape int", npyV1(dictFor("<f4", "(3)"), f4x3), "'shape' is not a tuple");
  checkRejects("negative dim", npyV1(dictFor("<f4", "(-3,)"), f4x3), "non-negative integer");
  checkRejects("shape list", npyV1(dictFor("<f4", "[3]"), f4x3), "malformed header");
  checkRejects("descr not string", npyV1("{'descr': 4, 'fortran_order': False, 'shape': (3,)}", f4x3),
               "'descr' is not a string");
  checkRejects("trailing text", npyV1(dictFor("<f4", "(3,)") + "x", f4x3), "text after the closing");
  checkRejects("huge dim", npyV1(dictFor("<f4", "(99999999999999999999,)"), f4x3), "dimension too large");

  // Dtypes.
  checkRejects("big-endian", npyV1(dictFor(">f4", "(3,)"), f4x3), "big-endian");
  checkRejects("big-endian int", npyV1(dictFor(">i8", "(3,)"), std::string(24, '\0')), "big-endian");
  checkRejects("object", npyV1(dictFor("|O", "(3,)"), std::string(24, '\0')), "object arrays");
  checkRejects("complex", npyV1(dictFor("<c8", "(3,)"), std::string(24, '\0')), "unsupported dtype '<c8'");
  checkRejects("unicode", npyV1(dictFor("<U3", "(1,)"), f4x3), "unsupported dtype '<U3'");
  checkRejects("f4 without order", npyV1(dictFor("|f4", "(3,)"), f4x3), "unsupported dtype '|f4'");
  checkRejects("structured",
               npyV1("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,)}", f4x3), "structured");

  // Data size, checked against the file size before allocating: a shape of 10^12 elements
  // fails at once instead of allocating 4 TB, and an overflowing element count is caught.
  checkRejects("truncated data", npyV1(dictFor("<f4", "(4,)"), f4x3), "truncated data");
  checkRejects("huge shape", npyV1(dictFor("<f4", "(1000000, 1000000)"), f4x3), "truncated data");
  checkRejects("numel overflow", npyV1(dictFor("<f8", "(4294967296, 4294967296)"), f4x3), "too many elements");
  {
    TempFile empty("empty_huge.npy");
    writeText(empty.path, npyV1(dictFor("<f4", "(0, 4611686018427387904)"), ""));
    checkShape(readNpy(empty.path), {4611686018427387904, 0});
  }
  // No elements, but dims whose product dlcam's Shape cannot hold, in either order.
  checkRejects("zero-element overflow", npyV1(dictFor("<f4", "(0, 4611686018427387904, 4611686018427387904)"), ""),
               "too many elements (dlcam needs the product of its nonzero dims to fit in int64)");
  checkRejects("zero-element overflow, Fortran",
               npyV1(dictFor("<f4", "(4611686018427387904, 4611686018427387904, 0)", "True"), ""), "too many elements");
  checkRejects("trailing data", npyV1(dictFor("<f4", "(2,)"), f4x3), "data size mismatch");
  checkRejects("half truncated", npyV1(dictFor("<f2", "(7,)"), f4x3), "truncated data");
}

namespace {

// Bytes from hex digits, spaces ignored: hexBytes("0000803f 01") is 00 00 80 3f 01.
std::string hexBytes(const std::string& hex) {
  std::string out, digits;
  for (char c : hex)
    if (c != ' ') digits += c;
  for (size_t i = 0; i + 1 < digits.size(); i += 2) out += static_cast<char>(std::stoi(digits.substr(i, 2), nullptr, 16));
  return out;
}

using test::TempDir;

Tensor tensorOf(const Shape& shape, const std::vector<double>& values, DType dtype = DType::Float32) {
  return Tensor::fromValues(shape, std::span<const double>(values), dtype);
}

}  // namespace

TEST_CASE("writeNpy writes every NpyType as numpy.save does, byte for byte") {
  // The 2×3 array [[1, -2, 3], [4, 5, -6]] ([[1, 2, 3], [4, 5, 250]] for uint8). numpy.save's
  // header for shape (2, 3): the dict (59 characters), 58 spaces (20 of them room for the first
  // dim to grow to 21 digits), '\n': 118 bytes, so that the data starts at byte 128, a multiple
  // of 64.
  auto file = [](const std::string& descr, const std::string& dataHex) {
    const std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (2, 3), }";
    REQUIRE(dict.size() == 59);
    return std::string("\x93NUMPY\x01\x00\x76\x00", 10) + dict + std::string(58, ' ') + "\n" + hexBytes(dataHex);
  };
  const std::string f4 = file("<f4", "0000803f 000000c0 00004040 00008040 0000a040 0000c0c0");
  const std::string f8 = file("<f8",
                              "000000000000f03f 00000000000000c0 0000000000000840 "
                              "0000000000001040 0000000000001440 00000000000018c0");
  const std::string i4 = file("<i4", "01000000 feffffff 03000000 04000000 05000000 faffffff");
  const std::string i8 = file("<i8",
                              "0100000000000000 feffffffffffffff 0300000000000000 "
                              "0400000000000000 0500000000000000 faffffffffffffff");
  const std::string u1 = file("|u1", "0102030405fa");
  REQUIRE(f4.size() == 128 + 24);

  // The same file from either indexing: Same takes the 2×3 tensor t(i, j) = a[i][j], Reversed
  // the 3×2 tensor holding a's C-order values as its column-major ones.
  const std::vector<double> same = {1, 4, -2, 5, 3, -6}, reversed = {1, -2, 3, 4, 5, -6};
  const std::vector<double> sameU = {1, 4, 2, 5, 3, 250}, reversedU = {1, 2, 3, 4, 5, 250};
  struct Case {
    NpyType type;
    const std::string& expected;
  };
  const std::vector<Case> cases = {{NpyType::Same, f4},   {NpyType::Float32, f4}, {NpyType::Float64, f8},
                                   {NpyType::Int32, i4},  {NpyType::Int64, i8},   {NpyType::UInt8, u1}};
  TempDir dir("types");
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (const Case& c : cases) {
      CAPTURE(dtypeName(dtype));
      CAPTURE(static_cast<int>(c.type));
      const bool isU1 = c.type == NpyType::UInt8;
      const std::string& expected = c.type == NpyType::Same && dtype == DType::Float64 ? f8 : c.expected;
      const std::string path = dir.file("t.npy");
      writeNpy(path, tensorOf(Shape{2, 3}, isU1 ? sameU : same, dtype), {NpyIndexing::Same, c.type});
      CHECK(readText(path) == expected);
      writeNpy(path, tensorOf(Shape{3, 2}, isU1 ? reversedU : reversed, dtype), {NpyIndexing::Reversed, c.type});
      CHECK(readText(path) == expected);
      CHECK(dir.entries() == std::set<std::string>{"t.npy"});
    }
  }
}

TEST_CASE("NpyIndexing::Same keeps indices: an h×w×c tensor is an h×w×c NumPy array") {
  // t(i, j, k) = 100i + 10j + k, 2×3×4.
  Tensor t = Tensor::empty(Shape{2, 3, 4});
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) t.data<float>()[i + 2 * (j + 3 * k)] = static_cast<float>(100 * i + 10 * j + k);
  TempFile out("same.npy");
  writeNpy(out.path, t, {NpyIndexing::Same});

  // The file: shape (2, 3, 4), C order, so a[i][j][k] is float number (i·3 + j)·4 + k after the
  // 128-byte header.
  const std::string bytes = readText(out.path);
  CHECK(bytes.find("'shape': (2, 3, 4), }") != std::string::npos);
  REQUIRE(bytes.size() == 128 + 24 * 4);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) {
        float v;
        std::memcpy(&v, bytes.data() + 128 + 4 * ((i * 3 + j) * 4 + k), 4);
        CHECK(v == static_cast<float>(100 * i + 10 * j + k));
      }

  const Tensor back = readNpy(out.path, NpyIndexing::Same);
  CHECK(back.shape() == Shape{2, 3, 4});
  for (int64_t L = 0; L < 24; ++L) CHECK(back.at(L) == t.at(L));

  // Read with Reversed, the same file is the 4×3×2 tensor r(k, j, i) = t(i, j, k).
  const Tensor r = readNpy(out.path, NpyIndexing::Reversed);
  CHECK(r.shape() == Shape{4, 3, 2});
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) CHECK(r.at(k + 4 * (j + 3 * i)) == 100 * i + 10 * j + k);
}

TEST_CASE("readNpy with NpyIndexing::Same gives a C-order and a Fortran-order file the file's shape") {
  // NumPy's 2×3×4 fixtures: element [i][j][k] (C-order index L) holds (L - 10)·0.1 as float32.
  for (const char* name : {"f4_c.npy", "f4_f.npy"}) {
    CAPTURE(name);
    const Tensor t = readNpy(fixture(name), NpyIndexing::Same);
    checkShape(t, {2, 3, 4});
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j)
        for (int k = 0; k < 4; ++k) {
          const int L = (i * 3 + j) * 4 + k;
          CHECK(t.at(i + 2 * (j + 3 * k)) == static_cast<double>(static_cast<float>((L - 10) * 0.1)));
        }
  }
  // Ranks 0 and 1 read the same with either indexing.
  CHECK(readNpy(fixture("scalar_f8.npy"), NpyIndexing::Same).rank() == 0);
  checkShape(readNpy(fixture("rank1_f4.npy"), NpyIndexing::Same), {5});
  checkShape(readNpy(fixture("empty_f4_2x0x3.npy"), NpyIndexing::Same), {2, 0, 3});
}

TEST_CASE("writeNpy rounds to integer types halves away from zero") {
  // numpy's astype would truncate and np.round rounds halves to even; dlcam rounds as MATLAB's
  // int32() and uint8() do.
  struct Case {
    NpyType type;
    DType dtype;
    std::vector<double> in, out;
  };
  const std::vector<Case> cases = {
      {NpyType::Int32, DType::Float32, {0.5, 1.5, 2.5, -0.5, -2.5, 2.4999, -2.5001, -0.4}, {1, 2, 3, -1, -3, 2, -3, 0}},
      {NpyType::UInt8, DType::Float32, {0.4999, 0.5, 254.5, 255.4, -0.4, 127.5}, {0, 1, 255, 255, 0, 128}},
      {NpyType::Int32, DType::Float64, {2147483647.4, -2147483648.4, -7.5}, {2147483647, -2147483648.0, -8}},
      {NpyType::Int64, DType::Float64, {-std::ldexp(1.0, 63), std::ldexp(1.0, 62), 3.5}, {-std::ldexp(1.0, 63), std::ldexp(1.0, 62), 4}},
  };
  for (const Case& c : cases) {
    CAPTURE(static_cast<int>(c.type));
    TempFile out("round.npy");
    const int64_t n = static_cast<int64_t>(c.in.size());
    writeNpy(out.path, tensorOf(Shape{n}, c.in, c.dtype), {NpyIndexing::Reversed, c.type});
    // readNpy gives float32 for integer files; these integers are exact in float32 or (int32
    // extremes) rounded the same way on both sides.
    const Tensor back = readNpy(out.path);
    REQUIRE(back.numel() == n);
    for (int64_t i = 0; i < n; ++i) CHECK(back.at(i) == static_cast<double>(static_cast<float>(c.out[static_cast<size_t>(i)])));
  }
  // The int32 extremes exactly, from the file's bytes.
  TempFile out("extremes.npy");
  writeNpy(out.path, tensorOf(Shape{2}, {2147483647.4, -2147483648.4}, DType::Float64), {NpyIndexing::Same, NpyType::Int32});
  const std::string bytes = readText(out.path);
  CHECK(bytes.substr(bytes.size() - 8) == hexBytes("ffffff7f 00000080"));
}

TEST_CASE("writeNpy rejects NaN and out-of-range values for integer types and creates no file") {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  struct Case {
    NpyType type;
    DType dtype;
    double bad;
    std::string message;  // with the path before it
  };
  const std::vector<Case> cases = {
      {NpyType::UInt8, DType::Float32, 255.5, "value 255.5 at index 3 (1, 1) does not fit uint8 (0 to 255 after rounding)"},
      {NpyType::UInt8, DType::Float32, -0.5, "value -0.5 at index 3 (1, 1) does not fit uint8"},
      {NpyType::UInt8, DType::Float32, nan, "value nan at index 3 (1, 1) does not fit uint8 (NaN has no integer value)"},
      {NpyType::Int32, DType::Float64, 2147483647.5, "value 2147483647.5 at index 3 (1, 1) does not fit int32 (-2147483648 to 2147483647 after rounding)"},
      {NpyType::Int32, DType::Float64, -2147483648.5, "value -2147483648.5 at index 3 (1, 1) does not fit int32"},
      {NpyType::Int32, DType::Float32, nan, "value nan at index 3 (1, 1) does not fit int32 (NaN has no integer value)"},
      {NpyType::Int32, DType::Float32, -inf, "value -inf at index 3 (1, 1) does not fit int32"},
      {NpyType::Int64, DType::Float64, std::ldexp(1.0, 63), "value 9223372036854775808 at index 3 (1, 1) does not fit int64"},
      {NpyType::Int64, DType::Float32, inf, "value inf at index 3 (1, 1) does not fit int64"},
  };
  TempDir dir("reject");
  for (const Case& c : cases) {
    CAPTURE(c.message);
    std::vector<double> values = {1, 2, 3, 0, 5, 6};
    values[3] = c.bad;  // t(1, 1) of the 2×3 tensor
    const std::string path = dir.file("bad.npy");
    for (NpyIndexing indexing : {NpyIndexing::Same, NpyIndexing::Reversed}) {
      CHECK_THROWS_WITH_AS(writeNpy(path, tensorOf(Shape{2, 3}, values, c.dtype), {indexing, c.type}),
                           doctest::Contains(("writeNpy: " + path + ": " + c.message).c_str()), Error);
      CHECK(dir.entries().empty());
    }
  }
}

TEST_CASE("writeNpy replaces a file in one step and leaves no temporary file") {
  TempDir dir("atomic");
  const std::string path = dir.file("x.npy");
  writeNpy(path, Tensor::full(Shape{4}, 1));
  writeNpy(path, Tensor::full(Shape{2, 2}, 7), {NpyIndexing::Same, NpyType::UInt8});
  const Tensor back = readNpy(path, NpyIndexing::Same);
  checkShape(back, {2, 2});
  CHECK(back.at(3) == 7);
  CHECK(dir.entries() == std::set<std::string>{"x.npy"});

  // The rename over a directory fails: the temporary file is removed, the directory kept.
  fs::create_directory(dir.path / "taken.npy");
  CHECK_THROWS_WITH_AS(writeNpy(dir.file("taken.npy"), Tensor::full(Shape{3}, 1)),
                       doctest::Contains(dir.file("taken.npy").c_str()), Error);
  CHECK(dir.entries() == std::set<std::string>{"taken.npy", "x.npy"});
  CHECK(fs::is_directory(dir.path / "taken.npy"));

  // A directory that does not exist: an error naming the path, nothing created.
  const std::string nowhere = dir.file("no/such/dir/y.npy");
  CHECK_THROWS_WITH_AS(writeNpy(nowhere, Tensor::scalar(1)), doctest::Contains((nowhere + ": cannot create the file").c_str()),
                       Error);
  CHECK_FALSE(fs::exists(dir.path / "no"));
}
