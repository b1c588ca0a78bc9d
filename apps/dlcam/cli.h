// The `dlcam` command line: argument parsing, the subcommand table and the helpers the
// subcommands share (parsing option values, loading a model). How INPUT becomes the network's
// input is model_input.h.
//
//   int code = dlcam::runDlcam({"predict", "net.onnx", "x.npy", "--top", "3"}, std::cout, std::cerr);
//
// Each subcommand lives in its own cmd_<name>.cpp and is one entry of commands(): a Command
// that declares its positional arguments and options, and a run function. Adding a
// subcommand means adding a file, declaring its `Command <name>Command()` at the end of this
// header, and adding one line to the table in commands() (cli.cpp).
//
// Streams: data (tables, scores) goes to `out`; errors, usage and, with --verbose, timings go
// to `err`. Exit codes: 0 success, 1 error (dlcam::Error: a missing file, a wrong input shape...),
// 2 usage error (unknown command or option, a bad option value, missing arguments).
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/array.h"
#include "core/device.h"
#include "core/error.h"
#include "io/onnx/importer.h"
#include "io/onnx/proto.h"
#include "layers/network.h"

namespace dlcam {

// Runs `dlcam` with the arguments that follow the program name. Never throws: every failure
// becomes a message on `err` and a nonzero exit code (1 error, 2 usage error).
int runDlcam(std::vector<std::string> args, std::ostream& out, std::ostream& err);

namespace cli {

// A mistake in the command line itself: reported with the command's usage, exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::string name;            // long name without dashes: "top" for --top
  char shortName = 0;          // 'v' for -v; 0 for none
  std::string valueName;       // "K" for --top K; empty for a flag
  std::string help;
};

struct PositionalSpec {
  std::string name;  // "MODEL"
  std::string help;
};

// The parsed command line of one subcommand. Options may come in any order, before, between
// or after the positional arguments; "--" ends the options. A repeated option keeps its last
// value in `values`; `given` keeps every value, for options that may be repeated
// (--class 3 --class 5).
struct ParsedArgs {
  std::vector<std::string> positionals;
  std::map<std::string, std::string> values;  // options with a value, by long name: the last one
  std::vector<std::pair<std::string, std::string>> given;  // every (option, value), in order
  std::vector<std::string> flags;             // flags given, by long name

  bool has(const std::string& option) const;  // a flag or an option with a value
  std::optional<std::string> value(const std::string& option) const;
  // Every value given to any of `options`, as (option, item) in command-line order, each value
  // split at commas: --class 3 --label cat --class 5,7 → (class, 3), (label, cat), (class, 5),
  // (class, 7). Empty when none of them is given.
  std::vector<std::pair<std::string, std::string>> all(const std::vector<std::string>& options) const;
};

struct Command {
  std::string name;
  std::string summary;      // one line for `dlcam --help`
  std::string description;  // paragraphs for `dlcam help NAME`
  std::vector<PositionalSpec> positionals;  // all required
  std::vector<OptionSpec> options;          // --help and --verbose are added to every command
  std::function<int(const ParsedArgs& args, std::ostream& out, std::ostream& err)> run;
};

// The subcommands, in the order `dlcam --help` lists them.
const std::vector<Command>& commands();
// The command called `name`, or null.
const Command* findCommand(const std::string& name);

// The options every command takes, followed by the command's own.
std::vector<OptionSpec> allOptions(const Command& command);
// "usage: dlcam predict MODEL INPUT [options]"
std::string usageLine(const Command& command);
// The full help text of a command: usage, description, arguments and options.
std::string commandHelp(const Command& command);
// The help text of `dlcam --help`: usage and the command list.
std::string mainHelp();
std::string versionText();

// Splits args (the words after the subcommand name) by the command's specs. Throws UsageError
// for an unknown option, a missing or empty option value, a value given to a flag, or a wrong
// number of positional arguments (unless --help is given, which needs none).
ParsedArgs parseArgs(const Command& command, std::span<const std::string> args);
// "3,5,7" → {"3", "5", "7"}; "" → {""}.
std::vector<std::string> splitCommas(const std::string& text);
// An option's value as a positive integer; throws UsageError naming the option and the text.
int64_t positiveInt(const std::string& option, const std::string& text);
// An option's value as a finite number; throws UsageError naming the option and the text.
double numberOption(const std::string& option, const std::string& text);
// parse(text), with a dlcam::Error (a value it does not know) turned into a UsageError naming
// the option and the values it takes (`accepted`).
template <typename Parse>
auto parseValue(const std::string& option, const std::string& accepted, const std::string& text, Parse parse) {
  try {
    return parse(text);
  } catch (const Error&) {
    throw UsageError("--" + option + " expects " + accepted + ", got '" + text + "'");
  }
}
// " (did you mean 'x'?)" when one candidate is close to `given` (a few edits away), else "".
std::string didYouMean(const std::string& given, const std::vector<std::string>& candidates,
                       const std::string& prefix = "");

// --input-shape N,C,H,W: the model input's ONNX shape, for models whose file leaves spatial
// dimensions symbolic (the importer refuses those without it). The commands that load a
// model list it among their options.
OptionSpec inputShapeOption();
// The import options the command line gives: ImportOptions::inputShape from --input-shape
// ("1,3,224,224" → {1, 3, 224, 224}; empty without the option). Throws UsageError for a
// value that is not a comma-separated list of positive integers.
onnx::ImportOptions importOptions(const ParsedArgs& args);

// --device auto|cpu|gpu: where predict and explain run (MATLAB's ExecutionEnvironment).
OptionSpec deviceOption();
// The --device option (auto without it), resolved for this network, which is moved there once
// (so that no call copies its learnables). Returns the device; with verbose, says which on err.
// Throws dlcam::Error for 'gpu' without a usable GPU, with the reason.
Device placeNetwork(Network& net, const ParsedArgs& args, std::ostream& err, bool verbose);

// Milliseconds since construction (for --verbose timings).
class Stopwatch {
 public:
  Stopwatch();
  double ms() const;

 private:
  int64_t startNs_;
};

// "12.3 ms"
std::string millisText(double ms);

// A file a command reads or writes, and what named it ("--save-map 'map.npy'").
struct NamedFile {
  std::string path, what;
};
// Throws UsageError when two outputs are one file (however their paths are spelled: resolved
// with canonicalPath) or an output is one of the files the command reads: no command may
// overwrite its model, its input or its labels.
void checkOutputs(const std::vector<NamedFile>& outputs, const std::vector<NamedFile>& inputs);

// A model file, loaded and imported.
struct LoadedModel {
  std::string path;
  onnx::Model model;
  Network net;
  double loadMs = 0;  // reading, parsing and importing
};
// Throws dlcam::Error naming the path when the file is missing or not an importable model.
LoadedModel loadModel(const std::string& path, const onnx::ImportOptions& options = {});
// The two steps of loadModel, for a command that looks at the file's input before it chooses
// the import options: readModel reads and parses the file (net stays empty), importModel
// builds the network.
LoadedModel readModel(const std::string& path);
void importModel(LoadedModel& loaded, const onnx::ImportOptions& options);
// The model's input as the file declares it: the first graph input that is not an
// initializer. Throws dlcam::Error naming the path when there is none.
const onnx::ValueInfo& declaredInput(const LoadedModel& loaded);

// The ONNX shape the network's input layer takes, with -1 for the dimensions that may vary
// (the batch, and a sequence's length when the model leaves it open).
std::vector<int64_t> expectedInputShape(const Network& net);
// "N×C×H×W": the ONNX names of the dimensions of a rank-2…5 value ("" for other ranks).
std::string onnxDimNames(size_t rank);
// "2×4×33×29"; -1 prints as "any".
std::string shapeText(const std::vector<int64_t>& shape);
// "2×4×33×29 (N×C×H×W)": shapeText with the ONNX names of the dimensions.
std::string describeShape(const std::vector<int64_t>& shape);

// A classification output: a C dimension and, besides B, only singleton dimensions.
bool isClassification(const Array& y);
// The scores of a classification output: one vector of C scores per observation.
std::vector<std::vector<double>> classScores(const Array& y);
// Class indices by descending score (NaN last, ties by index).
std::vector<size_t> rankClasses(const std::vector<double>& scores);
// A score or statistic for a table: 6 significant digits ("0.260174").
std::string scoreText(double v);

// The subcommands, one per cmd_<name>.cpp; commands() lists them.
Command infoCommand();
Command predictCommand();
Command explainCommand();
Command evaluateCommand();

}  // namespace cli
}  // namespace dlcam
