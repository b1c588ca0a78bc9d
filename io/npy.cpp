#include "io/npy.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/half.h"
#include "io/atomic_write.h"
#include "io/file_check.h"
#include "kernels/cpu/layout.h"

namespace dlcam {

// Values are copied as raw little-endian bytes in both directions.
static_assert(std::endian::native == std::endian::little, "io/npy assumes a little-endian host");

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
// A numeric array's header is well under 1 KB; the cap keeps a corrupt length field from
// making us allocate gigabytes for it (NumPy itself refuses headers over 10,000 characters).
constexpr uint32_t kMaxHeaderBytes = 1u << 20;
// numpy.save's padding, reproduced so that writeNpy's bytes match NumPy's.
constexpr size_t kArrayAlign = 64;
constexpr size_t kGrowthAxisMaxDigits = 21;

enum class Kind { Float, Int, UInt, Bool };

// A dtype the reader takes.
struct NpyDescr {
  Kind kind;
  int bytes;
  std::string descr;  // as NumPy writes it, for messages
};

// The reader's message prefix: one line that names the file.
template <typename... Args>
[[noreturn]] void failRead(const std::string& path, const Args&... args) {
  fail("readNpy: ", path, ": ", args...);
}

// Printable form of header text for a one-line message.
std::string quoted(std::string_view text, size_t maxLen = 80) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < maxLen; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\\' || c == '"') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (std::isprint(c)) {
      out += static_cast<char>(c);
    } else {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (text.size() > maxLen) out += "...";
  return out + "\"";
}

std::string shapeTuple(const std::vector<int64_t>& dims) {
  std::string s = "(";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + (dims.size() == 1 ? ",)" : ")");
}

// The header: a Python dict literal with exactly the keys 'descr' (a string), 'fortran_order'
// (True/False) and 'shape' (a tuple of ints), as NumPy writes and reads it.
struct Header {
  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
};

class HeaderParser {
 public:
  HeaderParser(const std::string& path, std::string_view text) : path_(path), text_(text) {}

  Header parse() {
    Header h;
    bool seenDescr = false, seenOrder = false, seenShape = false;
    expect('{');
    skipSpace();
    while (peek() != '}') {
      std::string key = parseString();
      skipSpace();
      expect(':');
      skipSpace();
      if (key == "descr") {
        if (seenDescr) malformed("'descr' appears twice");
        if (peek() == '[')
          failRead(path_, "unsupported dtype: structured arrays (a list 'descr') are not supported");
        if (peek() != '\'' && peek() != '"') malformed("'descr' is not a string");
        h.descr = parseString();
        seenDescr = true;
      } else if (key == "fortran_order") {
        if (seenOrder) malformed("'fortran_order' appears twice");
        h.fortranOrder = parseBool();
        seenOrder = true;
      } else if (key == "shape") {
        if (seenShape) malformed("'shape' appears twice");
        h.shape = parseTuple();
        seenShape = true;
      } else {
        malformed("unexpected key '" + key + "'");
      }
      skipSpace();
      if (peek() == ',') {
        ++pos_;
        skipSpace();
      } else if (peek() != '}') {
        malformed("expected ',' or '}'");
      }
    }
    ++pos_;
    skipSpace();
    if (pos_ != text_.size()) malformed("text after the closing '}'");
    if (!seenDescr || !seenOrder || !seenShape)
      malformed("expected the keys 'descr', 'fortran_order' and 'shape'");
    return h;
  }

 private:
  [[noreturn]] void malformed(const std::string& what) const {
    failRead(path_, "malformed header (", what, " at character ", pos_, "): ", quoted(text_));
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  void expect(char c) {
    if (peek() != c) malformed(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string parseString() {
    char q = peek();
    if (q != '\'' && q != '"') malformed("expected a quoted string");
    size_t end = text_.find(q, pos_ + 1);
    if (end == std::string_view::npos) malformed("unterminated string");
    std::string s(text_.substr(pos_ + 1, end - pos_ - 1));
    if (s.find('\\') != std::string::npos) malformed("escape sequence in a string");
    pos_ = end + 1;
    return s;
  }
  bool parseBool() {
    for (auto [word, value] : {std::pair<std::string_view, bool>{"True", true}, {"False", false}}) {
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return value;
      }
    }
    malformed("'fortran_order' is not True or False");
  }
  int64_t parseInt() {
    if (!std::isdigit(static_cast<unsigned char>(peek()))) malformed("expected a non-negative integer in 'shape'");
    int64_t v = 0;
    while (std::isdigit(static_cast<unsigned char>(peek()))) {
      if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, peek() - '0', &v))
        malformed("dimension too large");
      ++pos_;
    }
    if (peek() == 'L') ++pos_;  // Python 2 NumPy wrote long ints as 3L
    return v;
  }
  // "()", "(n,)", "(n, m)", "(n, m,)"; "(n)" is an int in Python, not a tuple.
  std::vector<int64_t> parseTuple() {
    expect('(');
    skipSpace();
    std::vector<int64_t> dims;
    bool comma = false;
    while (peek() != ')') {
      dims.push_back(parseInt());
      skipSpace();
      comma = peek() == ',';
      if (comma) {
        ++pos_;
        skipSpace();
      } else if (peek() != ')') {
        malformed("expected ',' or ')' in 'shape'");
      }
    }
    if (dims.size() == 1 && !comma) malformed("'shape' is not a tuple");
    ++pos_;
    return dims;
  }

  const std::string& path_;
  std::string_view text_;
  size_t pos_ = 0;
};

[[noreturn]] void unsupportedDtype(const std::string& path, const std::string& descr, const char* why) {
  failRead(path, "unsupported dtype '", descr, "'", why,
           "; supported: <f4 <f8 <f2 |i1 <i2 <i4 <i8 |u1 <u2 <u4 <u8 |b1");
}

NpyDescr parseDescr(const std::string& path, const std::string& descr) {
  if (descr.size() < 2) unsupportedDtype(path, descr, "");
  char order = descr[0];
  std::string code = descr.substr(1);
  if (code.starts_with('O')) failRead(path, "object arrays (dtype '", descr, "') are not supported");
  static const std::vector<NpyDescr> known = {
      {Kind::Float, 4, "f4"}, {Kind::Float, 8, "f8"}, {Kind::Float, 2, "f2"}, {Kind::Int, 1, "i1"},
      {Kind::Int, 2, "i2"},   {Kind::Int, 4, "i4"},   {Kind::Int, 8, "i8"},   {Kind::UInt, 1, "u1"},
      {Kind::UInt, 2, "u2"},  {Kind::UInt, 4, "u4"},  {Kind::UInt, 8, "u8"},  {Kind::Bool, 1, "b1"}};
  for (const NpyDescr& t : known) {
    if (t.descr != code) continue;
    if (order == '>' && t.bytes > 1)
      failRead(path, "big-endian data (dtype '", descr, "') is not supported; save it little-endian");
    // '|' (not applicable) is only valid for one-byte types; '=' is native, little here.
    bool ok = order == '<' || order == '=' || (t.bytes == 1 && (order == '|' || order == '>'));
    if (!ok) unsupportedDtype(path, descr, " (byte order)");
    return {t.kind, t.bytes, descr};
  }
  unsupportedDtype(path, descr, "");
}

template <typename Src>
void convertTo(const unsigned char* bytes, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    Src v;
    std::memcpy(&v, bytes + i * static_cast<int64_t>(sizeof(Src)), sizeof(Src));
    out[i] = static_cast<float>(v);
  }
}

// raw holds n values of type t, little-endian; out gets them as float32.
void convert(const NpyDescr& t, const unsigned char* raw, int64_t n, float* out) {
  switch (t.kind) {
    case Kind::Float:
      DLCAM_ASSERT(t.bytes == 2, "float32 and float64 are read directly");
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, raw + 2 * i, 2);
        out[i] = halfToFloat(h);
      }
      return;
    case Kind::Bool:
      for (int64_t i = 0; i < n; ++i) out[i] = raw[i] ? 1.0f : 0.0f;
      return;
    case Kind::Int:
      if (t.bytes == 1) return convertTo<int8_t>(raw, n, out);
      if (t.bytes == 2) return convertTo<int16_t>(raw, n, out);
      if (t.bytes == 4) return convertTo<int32_t>(raw, n, out);
      return convertTo<int64_t>(raw, n, out);
    case Kind::UInt:
      if (t.bytes == 1) return convertTo<uint8_t>(raw, n, out);
      if (t.bytes == 2) return convertTo<uint16_t>(raw, n, out);
      if (t.bytes == 4) return convertTo<uint32_t>(raw, n, out);
      return convertTo<uint64_t>(raw, n, out);
  }
}

uint32_t readLittleEndian(const unsigned char* p, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// t with its dims in reverse order: t(i0, …, ik) moves to (ik, …, i0).
Tensor reverseDims(const Tensor& t) {
  if (t.rank() < 2) return t;
  std::vector<int> order;
  for (int d = t.rank() - 1; d >= 0; --d) order.push_back(d);
  return kernels::cpu::permute(t, order);
}

// What writeNpy stores for an NpyType.
struct WriteType {
  NpyType type;  // never Same
  std::string descr;
  std::string name;  // for messages
  bool integer = false;
  // Integer types: the range [min, maxPlusOne), both exact doubles (2^63 is, 2^63 - 1 is not).
  double min = 0, maxPlusOne = 0;
  std::string range;  // for messages
};

WriteType writeTypeFor(NpyType type, DType dtype) {
  switch (type) {
    case NpyType::Same:
      return writeTypeFor(dtype == DType::Float64 ? NpyType::Float64 : NpyType::Float32, dtype);
    case NpyType::Float32:
      return {type, "<f4", "float32", false, 0, 0, ""};
    case NpyType::Float64:
      return {type, "<f8", "float64", false, 0, 0, ""};
    case NpyType::UInt8:
      return {type, "|u1", "uint8", true, 0, 256, "0 to 255"};
    case NpyType::Int32:
      return {type, "<i4", "int32", true, -std::ldexp(1.0, 31), std::ldexp(1.0, 31), "-2147483648 to 2147483647"};
    case NpyType::Int64:
      return {type, "<i8", "int64", true, -std::ldexp(1.0, 63), std::ldexp(1.0, 63),
              "-9223372036854775808 to 9223372036854775807"};
  }
  DLCAM_ASSERT(false, "unknown NpyType ", static_cast<int>(type));
  return {};
}

// "(1, 0, 2)": the 0-based subscripts of linear index i in a column-major tensor of this shape.
std::string subscripts(const Shape& shape, int64_t i) {
  std::string s = "(";
  for (int d = 0; d < shape.rank(); ++d) {
    s += (d ? ", " : "") + std::to_string(i % shape[d]);
    i /= shape[d];
  }
  return s + ")";
}

// Integer types take values rounded half away from zero (std::round); NaN and values outside
// the type's range are errors.
void checkFitsInteger(const std::string& path, const Tensor& t, const WriteType& type) {
  visitFloat(t.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* values = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      const double rounded = std::round(static_cast<double>(values[i]));
      if (rounded >= type.min && rounded < type.maxPlusOne) continue;  // false for NaN
      // The shortest text that reads back as the value: 2147483647.5, not 2.14748e+09.
      char text[64];
      const auto end = std::to_chars(text, text + sizeof(text), values[i]).ptr;
      fail("writeNpy: ", path, ": value ", std::string_view(text, static_cast<size_t>(end - text)), " at index ", i,
           " ", subscripts(t.shape(), i), " does not fit ", type.name,
           std::isnan(values[i]) ? " (NaN has no integer value)" : " (" + type.range + " after rounding)");
    }
  });
}

// Writes n values in memory order as Out (integers already checked by checkFitsInteger):
// directly when they are Out already, else through a small buffer, never a converted copy of
// them all.
template <typename Out, typename In>
void writeAs(std::ostream& out, const In* values, int64_t n) {
  if constexpr (std::is_same_v<Out, In>) {
    out.write(reinterpret_cast<const char*>(values), static_cast<std::streamsize>(n * sizeof(In)));
  } else {
    constexpr int64_t kChunk = 1 << 16;
    std::vector<Out> buffer(static_cast<size_t>(std::min(n, kChunk)));
    for (int64_t start = 0; start < n; start += kChunk) {
      const int64_t len = std::min(kChunk, n - start);
      for (int64_t i = 0; i < len; ++i) {
        const In v = values[start + i];
        buffer[static_cast<size_t>(i)] = static_cast<Out>(std::is_integral_v<Out> ? std::round(v) : v);
      }
      out.write(reinterpret_cast<const char*>(buffer.data()), static_cast<std::streamsize>(len * sizeof(Out)));
    }
  }
}

void writeValues(std::ostream& out, const Tensor& data, const WriteType& type) {
  visitFloat(data.dtype(), [&](auto zero) {
    using In = decltype(zero);
    const In* values = data.data<In>();
    const int64_t n = data.numel();
    switch (type.type) {
      case NpyType::Float32: return writeAs<float>(out, values, n);
      case NpyType::Float64: return writeAs<double>(out, values, n);
      case NpyType::UInt8: return writeAs<uint8_t>(out, values, n);
      case NpyType::Int32: return writeAs<int32_t>(out, values, n);
      case NpyType::Int64: return writeAs<int64_t>(out, values, n);
      case NpyType::Same: break;
    }
    DLCAM_ASSERT(false, "writeValues needs the stored type, not Same");
  });
}

}  // namespace

Tensor readNpy(const std::string& path, NpyIndexing indexing) {
  requireReadableFile(path, ".npy file");
  std::ifstream in(path, std::ios::binary);
  if (!in) failRead(path, "cannot open the file");
  std::error_code ec;
  const uintmax_t fileSize = std::filesystem::file_size(path, ec);
  if (ec) failRead(path, "cannot get the file size: ", ec.message());

  unsigned char preamble[12] = {};
  const size_t got = static_cast<size_t>(in.read(reinterpret_cast<char*>(preamble), 8).gcount());
  if (got < kMagicLen || std::memcmp(preamble, kMagic, kMagicLen) != 0)
    failRead(path, "not a .npy file (expected the magic string \\x93NUMPY, got ",
             quoted(std::string_view(reinterpret_cast<const char*>(preamble), got), 8), ")");
  if (got < 8) failRead(path, "truncated header (the file ends after the magic string)");
  const int major = preamble[6], minor = preamble[7];
  if (major < 1 || major > 3 || minor != 0)
    failRead(path, "unsupported .npy format version ", major, ".", minor, " (expected 1.0, 2.0 or 3.0)");

  // Version 1.0 stores the header length in 2 bytes, 2.0 and 3.0 (UTF-8 header) in 4.
  const int lenBytes = major == 1 ? 2 : 4;
  if (in.read(reinterpret_cast<char*>(preamble + 8), lenBytes).gcount() != lenBytes)
    failRead(path, "truncated header (the file ends inside the header length)");
  const uint32_t headerLen = readLittleEndian(preamble + 8, lenBytes);
  const uintmax_t dataOffset = 8 + static_cast<uintmax_t>(lenBytes) + headerLen;
  if (headerLen > kMaxHeaderBytes)
    failRead(path, "header too long (", headerLen, " bytes; at most ", kMaxHeaderBytes, " accepted)");
  if (dataOffset > fileSize)
    failRead(path, "truncated header (a ", headerLen, "-byte header announced, the file has ", fileSize,
             " bytes in all)");
  std::string text(headerLen, '\0');
  if (!in.read(text.data(), headerLen)) failRead(path, "cannot read the ", headerLen, "-byte header");

  const Header header = HeaderParser(path, text).parse();
  const NpyDescr type = parseDescr(path, header.descr);

  // Check the shape against the bytes present before allocating anything for it.
  // The nonzero dims' product must fit too, even when a zero dim makes numel 0: Shape
  // multiplies its dims in order, and every partial product is at most that product.
  const bool anyZero = std::find(header.shape.begin(), header.shape.end(), 0) != header.shape.end();
  int64_t nonzeroProduct = 1;
  for (int64_t d : header.shape)
    if (d != 0 && __builtin_mul_overflow(nonzeroProduct, d, &nonzeroProduct))
      failRead(path, "shape ", shapeTuple(header.shape), " has too many elements",
               anyZero ? " (dlcam needs the product of its nonzero dims to fit in int64)" : "");
  const int64_t numel = anyZero ? 0 : nonzeroProduct;
  uintmax_t dataBytes = 0;
  if (__builtin_mul_overflow(static_cast<uintmax_t>(numel), static_cast<uintmax_t>(type.bytes), &dataBytes))
    failRead(path, "shape ", shapeTuple(header.shape), " has too many elements");
  const uintmax_t present = fileSize - dataOffset;
  if (present < dataBytes)
    failRead(path, "truncated data: shape ", shapeTuple(header.shape), " of '", type.descr, "' needs ",
             dataBytes, " bytes after the header, the file has ", present);
  if (present > dataBytes)
    failRead(path, "data size mismatch: shape ", shapeTuple(header.shape), " of '", type.descr,
             "' needs ", dataBytes, " bytes after the header, the file has ", present);

  // The bytes are column-major in the file's own dim order for a Fortran-order file, and in
  // the reversed order for a C-order one. Each indexing wants one of the two; the other is a
  // permute that reverses every dim.
  std::vector<int64_t> dims = header.shape;
  if (!header.fortranOrder) dims.assign(header.shape.rbegin(), header.shape.rend());
  const bool isDouble = type.kind == Kind::Float && type.bytes == 8;
  Tensor t = Tensor::empty(Shape(dims), isDouble ? DType::Float64 : DType::Float32);
  const auto streamSize = static_cast<std::streamsize>(dataBytes);
  if (isDouble || (type.kind == Kind::Float && type.bytes == 4)) {
    char* dst = isDouble ? reinterpret_cast<char*>(t.data<double>()) : reinterpret_cast<char*>(t.data<float>());
    if (in.read(dst, streamSize).gcount() != streamSize) failRead(path, "truncated data (read failed)");
  } else {
    std::vector<unsigned char> raw(dataBytes);
    if (in.read(reinterpret_cast<char*>(raw.data()), streamSize).gcount() != streamSize)
      failRead(path, "truncated data (read failed)");
    convert(type, raw.data(), numel, t.data<float>());
  }

  const bool wantFileOrder = indexing == NpyIndexing::Same;
  return wantFileOrder == header.fortranOrder ? t : reverseDims(t);
}

void writeNpy(const std::string& path, const Tensor& t, const NpyWriteOptions& options) {
  StagedFiles file;
  writeNpy(path, t, options, file);
  file.commit();
}

void writeNpy(const std::string& path, const Tensor& tensor, const NpyWriteOptions& options, StagedFiles& files) {
  if (!tensor.defined()) fail("writeNpy: ", path, ": expected a tensor with a value, got an undefined tensor");
  const Tensor t = tensor.to(Device::CPU);  // a GPU tensor is copied to the host first
  const WriteType type = writeTypeFor(options.type, t.dtype());
  // Every value is checked before the file is created, so a failed write leaves nothing behind.
  if (type.integer) checkFitsInteger(path, t, type);

  // A C-order file of shape (d0, …, dk) holds the column-major dk×…×d0 tensor: t itself for
  // Reversed, t with its dims reversed for Same.
  const Tensor data = options.indexing == NpyIndexing::Same ? reverseDims(t) : t;
  const std::vector<int64_t>& dims = data.shape().dims();
  const std::vector<int64_t> shape(dims.rbegin(), dims.rend());

  // Key order, spacing and padding as numpy.lib.format writes them (NumPy 1.24).
  std::string dict = std::string("{'descr': '") + type.descr + "', 'fortran_order': False, 'shape': " +
                     shapeTuple(shape) + ", }";
  if (!shape.empty()) dict.append(kGrowthAxisMaxDigits - std::to_string(shape[0]).size(), ' ');
  const size_t padding = kArrayAlign - (kMagicLen + 4 + dict.size() + 1) % kArrayAlign;
  const size_t headerLen = dict.size() + padding + 1;
  // Version 1.0 stores the length in 2 bytes: enough for rank ~21000, while NumPy allows 32.
  if (headerLen > 65535)
    fail("writeNpy: ", path, ": a rank-", dims.size(),
         " tensor does not fit a .npy version 1.0 header (NumPy reads at most rank 32)");
  dict.append(padding, ' ');
  dict += '\n';

  std::string header(kMagic, kMagicLen);
  header += '\x01';
  header += '\0';
  header += static_cast<char>(headerLen & 0xff);
  header += static_cast<char>(headerLen >> 8);
  header += dict;

  files.stage(path, "writeNpy", [&](std::ostream& out) {
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    writeValues(out, data, type);
  });
}

}  // namespace dlcam
