#include "datasets/manifest.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <optional>
#include <sstream>

#include "core/error.h"
#include "io/atomic_write.h"
#include "io/file_check.h"
#include "io/image.h"
#include "io/labels.h"
#include "io/npy.h"
#include "io/onnx/layout.h"

namespace dlcam::datasets {

namespace {

namespace fs = std::filesystem;

// The words of a line, split at spaces and tabs.
std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> words;
  size_t at = 0;
  while (true) {
    at = line.find_first_not_of(" \t", at);
    if (at == std::string::npos) return words;
    const size_t end = line.find_first_of(" \t", at);
    words.push_back(line.substr(at, end == std::string::npos ? std::string::npos : end - at));
    at = end;
  }
}

// A non-negative integer field; std::nullopt for anything else ("-1", "3.5", "x").
std::optional<int64_t> index(const std::string& text) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || v < 0) return std::nullopt;
  return v;
}

ManifestEntry parseLine(const std::vector<std::string>& words, const std::string& where) {
  if (words.size() < 4)
    fail(where, ": expected 'FILE CLASS box|span INDICES...', got ", words.size(), " field",
         words.size() == 1 ? "" : "s");
  ManifestEntry e;
  e.file = words[0];
  const std::optional<int64_t> label = index(words[1]);
  if (!label) fail(where, ": the class must be a 0-based index (a non-negative integer), got '", words[1], "'");
  e.label = *label;

  const std::string& kind = words[2];
  const size_t count = words.size() - 3;
  if (kind == "span") {
    if (count != 2) fail(where, ": 'span' takes 2 indices (t first, t last), got ", count);
  } else if (kind == "box") {
    if (count != 4 && count != 6)
      fail(where, ": 'box' takes 4 indices (h, w first; h, w last) or 6 (h, w, d first; h, w, d last), got ", count);
  } else {
    fail(where, ": the region must be 'box' or 'span', got '", kind, "'");
  }
  const size_t dims = count / 2;
  for (size_t k = 0; k < count; ++k) {
    const std::optional<int64_t> v = index(words[3 + k]);
    if (!v) fail(where, ": region indices must be non-negative integers, got '", words[3 + k], "'");
    (k < dims ? e.region.first : e.region.last).push_back(*v);
  }
  for (size_t d = 0; d < dims; ++d)
    if (e.region.first[d] > e.region.last[d])
      fail(where, ": the region's first index ", e.region.first[d], " exceeds its last ", e.region.last[d],
           " in dimension ", d + 1, " (indices are first..., last...)");
  return e;
}

// "box 12 30 27 44" / "span 40 51": the region as a manifest writes it.
std::string regionText(LocalisationKind kind, const Region& region) {
  std::ostringstream text;
  text << (kind == LocalisationKind::Sequences ? "span" : "box");
  for (int64_t v : region.first) text << ' ' << v;
  for (int64_t v : region.last) text << ' ' << v;
  return text.str();
}

// A sample's input as the float32 array `dlcam explain` reads in the model's layout without
// N, in ONNX order: a volume h×w×d×c becomes C×D×H×W, a sequence c×t C×T (the file's shape;
// the tensor holds it reversed, as writeNpy's default indexing writes it).
Tensor onnxOrderWithoutBatch(const Tensor& input, LocalisationKind kind) {
  const std::vector<int64_t>& dims = input.shape().dims();
  Array labelled;
  if (kind == LocalisationKind::Blobs) {
    if (input.rank() != 4) fail("writeLocalisationSet: a blobs input must be h×w×d×c, got ", input.shape().str());
    labelled = Array(input.to(DType::Float32).reshaped(Shape{dims[0], dims[1], dims[2], dims[3], 1}), "SSSCB");
  } else {
    if (input.rank() != 2) fail("writeLocalisationSet: a sequences input must be c×t, got ", input.shape().str());
    labelled = Array(input.to(DType::Float32).reshaped(Shape{dims[0], 1, dims[1]}), "CBT");
  }
  const Tensor onnx = onnx::toOnnxOrder(labelled).value();  // dims: the ONNX shape reversed, N last
  std::vector<int64_t> withoutBatch = onnx.shape().dims();
  withoutBatch.pop_back();
  return onnx.reshaped(Shape(withoutBatch));
}

}  // namespace

std::vector<ManifestEntry> readManifest(const std::string& path) {
  requireReadableFile(path, "manifest");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open manifest '", path, "'");
  const fs::path folder = fs::path(path).parent_path();
  std::vector<ManifestEntry> entries;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::vector<std::string> words = fields(line);
    if (words.empty() || words[0].starts_with('#')) continue;
    ManifestEntry e = parseLine(words, detail::cat("manifest '", path, "' line ", number));
    e.path = (folder / e.file).string();
    entries.push_back(std::move(e));
  }
  if (in.bad()) fail("cannot read manifest '", path, "'");
  if (entries.empty()) fail("manifest '", path, "' lists no samples");
  return entries;
}

std::string writeLocalisationSet(const std::string& folder, LocalisationKind kind,
                                 const std::vector<LocalisationSample>& samples) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) fail("writeLocalisationSet: cannot create folder '", folder, "': ", ec.message());
  const std::string name = kindName(kind);
  const fs::path dir(folder);

  // The inputs first and the manifest last, all staged and renamed together, so that a reader
  // who finds the manifest finds every file it lists.
  StagedFiles files;
  std::ostringstream manifest;
  manifest << "# dlcam localisation set (" << name << "): file  class  region\n";
  for (size_t i = 0; i < samples.size(); ++i) {
    const LocalisationSample& s = samples[i];
    std::ostringstream file;
    file << name << '_' << std::setw(4) << std::setfill('0') << i
         << (kind == LocalisationKind::Shapes ? ".png" : ".npy");
    const std::string path = (dir / file.str()).string();
    if (kind == LocalisationKind::Shapes)
      writePng(path, tensorToImage(s.input), files);
    else
      writeNpy(path, onnxOrderWithoutBatch(s.input, kind), {.type = NpyType::Float32}, files);
    manifest << file.str() << ' ' << s.label << ' ' << regionText(kind, s.region) << '\n';
  }
  writeClassNames((dir / "labels.txt").string(), classNames(kind));
  const std::string manifestPath = (dir / "manifest.txt").string();
  files.stage(manifestPath, "writeLocalisationSet", [&](std::ostream& out) { out << manifest.str(); });
  files.commit();
  return manifestPath;
}

}  // namespace dlcam::datasets
