// How `dlcam predict` and `dlcam explain` turn their INPUT, an image file or an .npy array,
// into the network's input (docs/cli.md, "dlcam explain", "The input"):
//
//   image   read as the model's channel count (1 or 3: gray↔RGB conversion; else as stored),
//           values 0…255, resized to the model's H×W (or --resize) with bicubic
//           interpolation and antialiasing (MATLAB imresize's default), rounded to integers
//           in 0…255 (imresize of a uint8 image)
//   .npy    in the model's layout (ONNX order, with or without N) as it is; or with
//           --input-format, its dimensions labelled in MATLAB's order ("SSC" = h×w×c) and
//           permuted to the model's layout
//
// then x = (x·scale − mean) / std per channel. The input is prepared from the ONNX file's
// declared input before the network is imported, so that a model that leaves H and W open
// can be imported for the input's own size; loadModelAndInput does the whole sequence:
//
//   const InputOptions options = parseInputOptions(args);  // with inputOptionSpecs() declared
//   const ModelAndInput m = loadModelAndInput(args.positionals[0], args.positionals[1], args, options);
//   const Array y = m.model.net.predict(m.input.x);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "apps/dlcam/cli.h"
#include "core/array.h"
#include "io/image.h"
#include "layers/network.h"

namespace dlcam::cli {

// The options that say how INPUT is read and prepared, from --input-format, --resize,
// --scale, --mean and --std.
struct InputOptions {
  std::optional<std::string> inputFormat;          // --input-format, validated labels
  std::optional<std::vector<int64_t>> resize;      // --resize HxW: {h, w}
  double scale = 1;                                // --scale
  std::string scaleText = "1";                     // as given ("1/255")
  std::vector<double> mean{0}, std{1};             // one value, or one per channel
};

struct PreparedInput {
  std::string path;
  bool image = false;          // an image file (else an .npy array)
  Image original;              // image: as read, in the model's channels (the overlay's background)
  int64_t fileChannels = 0;    // image: the channels the file holds
  std::vector<int64_t> storedShape;  // image h×w×c as read; .npy: the file's shape
  bool batchAdded = false;     // .npy in the model's layout without its N
  bool resized = false;        // image: resized to x's H×W
  // The network's input in its labelled layout (SSCB, SSSCB, CBT...), before and after the
  // normalisation (display: what pictures of an .npy input show). Undefined when an .npy
  // file's rank fits neither the model's layout nor --input-format (checkFits reports it).
  Array display, x;

  // x's ONNX shape (N, C, spatial...).
  std::vector<int64_t> onnxShape() const;
};

// --input-format, --resize, --scale, --mean and --std, for the commands that take INPUT.
std::vector<OptionSpec> inputOptionSpecs();
// The input options given; throws UsageError for a value they do not take.
InputOptions parseInputOptions(const ParsedArgs& args);

// Throws UsageError for an option that does not apply to INPUT's kind: --resize for an .npy,
// --input-format for an image file.
void checkInputOptions(const std::string& path, const InputOptions& options);

// Reads and prepares INPUT for a model input of ONNX shape `declared` (the file's, −1 where
// it is open; empty when the file does not say). A resized image is rounded and clamped to
// 0…255, as MATLAB's imresize returns a uint8 image. Throws dlcam::Error naming the file when
// it cannot be read or does not fit the model's kind of input; UsageError for options that do
// not fit it (checkInputOptions; --input-format that labels fewer dimensions than the file has
// or does not fit the model's kind of input; --mean/--std with another channel count).
PreparedInput prepareInput(const std::string& path, const std::vector<int64_t>& declared, const InputOptions& options);

// The ONNX input shape to import a model with when its file leaves dimensions other than the
// batch (and a sequence's length) open: the declared dimensions, the open ones taken from
// the prepared input (N as 1). Empty when nothing needs filling or the ranks differ.
std::vector<int64_t> inputShapeFromInput(const std::vector<int64_t>& declared, const PreparedInput& input);

// The ONNX input shape INPUT is prepared for: options.inputShape (--input-shape) when given,
// else the file's declared input (−1 where open). When the file declares no shape, the model
// is imported (into loaded.net) and that network's input shape is used.
std::vector<int64_t> shapeToPrepareFor(LoadedModel& loaded, const onnx::ImportOptions& options);

// Throws dlcam::Error naming the file, how it was read, its shape and the network's input
// shape when the prepared input does not fit the network (suggesting --input-format for an
// .npy read in the model's layout).
void checkFits(const PreparedInput& input, const Network& net, const InputOptions& options);

// A model and its input, prepared for it.
struct ModelAndInput {
  LoadedModel model;
  PreparedInput input;
};
// Reads the model file, prepares INPUT for its declared input (or, when the file declares
// none, for the imported network's), imports the network (with --input-shape from `args`, else
// with the prepared input's size where the file leaves H and W open) and checks that the input
// fits it. Throws as prepareInput and checkFits do, and dlcam::Error when the model cannot be
// read or imported.
ModelAndInput loadModelAndInput(const std::string& modelPath, const std::string& inputPath, const ParsedArgs& args,
                                const InputOptions& options);

// One line each on how the input was read and prepared, for the text output.
std::vector<std::string> describePreparation(const PreparedInput& input, const InputOptions& options);

}  // namespace dlcam::cli
