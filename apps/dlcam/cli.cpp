#include "apps/dlcam/cli.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <limits>
#include <new>
#include <numeric>
#include <ostream>
#include <sstream>

#include "core/error.h"
#include "io/file_check.h"
#include "io/onnx/importer.h"
#include "io/onnx/layout.h"
#include "layers/input_layers.h"

#ifndef DLCAM_VERSION
#define DLCAM_VERSION "unknown"
#endif

namespace dlcam {
namespace cli {

namespace {

const std::vector<OptionSpec>& commonOptions() {
  static const std::vector<OptionSpec> options = {
      {"verbose", 'v', "", "Print load and run times (ms) on stderr"},
      {"help", 'h', "", "Show this help"},
  };
  return options;
}

// Levenshtein distance, for "did you mean" hints.
size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string optionLabel(const OptionSpec& o) {
  std::string label = o.shortName ? std::string("-") + o.shortName + ", " : "    ";
  label += "--" + o.name;
  if (!o.valueName.empty()) label += " " + o.valueName;
  return label;
}

// Two-column list: "  left   help".
void writeColumns(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& rows) {
  size_t width = 0;
  for (const auto& [left, help] : rows) width = std::max(width, left.size());
  for (const auto& [left, help] : rows)
    out << "  " << left << std::string(width - left.size() + 3, ' ') << help << "\n";
}

}  // namespace

bool ParsedArgs::has(const std::string& option) const {
  return values.count(option) || std::find(flags.begin(), flags.end(), option) != flags.end();
}

std::optional<std::string> ParsedArgs::value(const std::string& option) const {
  auto it = values.find(option);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<std::string, std::string>> ParsedArgs::all(const std::vector<std::string>& options) const {
  std::vector<std::pair<std::string, std::string>> items;
  for (const auto& [name, text] : given) {
    if (std::find(options.begin(), options.end(), name) == options.end()) continue;
    for (const std::string& item : splitCommas(text)) items.emplace_back(name, item);
  }
  return items;
}

std::vector<std::string> splitCommas(const std::string& text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    items.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) return items;
    start = comma + 1;
  }
}

std::string didYouMean(const std::string& given, const std::vector<std::string>& candidates,
                       const std::string& prefix) {
  std::string best;
  size_t bestDistance = 3;
  for (const std::string& c : candidates) {
    const size_t d = editDistance(given, c);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best.empty() ? "" : " (did you mean '" + prefix + best + "'?)";
}

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {infoCommand(), predictCommand(), explainCommand(), evaluateCommand()};
  return table;
}

const Command* findCommand(const std::string& name) {
  for (const Command& c : commands())
    if (c.name == name) return &c;
  return nullptr;
}

std::vector<OptionSpec> allOptions(const Command& command) {
  std::vector<OptionSpec> options = command.options;
  options.insert(options.end(), commonOptions().begin(), commonOptions().end());
  return options;
}

std::string usageLine(const Command& command) {
  std::string line = "usage: dlcam " + command.name;
  for (const PositionalSpec& p : command.positionals) line += " " + p.name;
  return line + " [options]\n";
}

std::string commandHelp(const Command& command) {
  std::ostringstream out;
  out << usageLine(command) << "\n" << command.description << "\n";
  if (!command.positionals.empty()) {
    out << "\nArguments:\n";
    std::vector<std::pair<std::string, std::string>> rows;
    for (const PositionalSpec& p : command.positionals) rows.emplace_back(p.name, p.help);
    writeColumns(out, rows);
  }
  out << "\nOptions:\n";
  std::vector<std::pair<std::string, std::string>> rows;
  for (const OptionSpec& o : allOptions(command)) rows.emplace_back(optionLabel(o), o.help);
  writeColumns(out, rows);
  return out.str();
}

std::string mainHelp() {
  std::ostringstream out;
  out << "usage: dlcam COMMAND [arguments] [options]\n\n"
         "Inspect, run and explain ONNX networks with dlcam.\n\nCommands:\n";
  std::vector<std::pair<std::string, std::string>> rows;
  for (const Command& c : commands()) rows.emplace_back(c.name, c.summary);
  rows.emplace_back("help", "Show the help of a command: dlcam help COMMAND");
  writeColumns(out, rows);
  out << "\nOptions:\n";
  writeColumns(out, {{"-h, --help", "Show this help"}, {"-V, --version", "Show the version"}});
  out << "\nRun 'dlcam help COMMAND' for a command's arguments and options.\n";
  return out.str();
}

std::string versionText() { return std::string("dlcam ") + DLCAM_VERSION + "\n"; }

ParsedArgs parseArgs(const Command& command, std::span<const std::string> args) {
  const std::vector<OptionSpec> specs = allOptions(command);
  ParsedArgs parsed;
  auto set = [&](const OptionSpec& spec, const std::string& given, std::optional<std::string> value, size_t& i) {
    if (spec.valueName.empty()) {
      if (value) throw UsageError("option " + given + " takes no value");
      if (!parsed.has(spec.name)) parsed.flags.push_back(spec.name);
      return;
    }
    if (!value) {
      if (i + 1 >= args.size()) throw UsageError("option " + given + " needs a value (" + spec.valueName + ")");
      value = args[++i];
    }
    if (value->empty()) throw UsageError("option " + given + " needs a value (" + spec.valueName + "), got ''");
    parsed.values[spec.name] = *value;
    parsed.given.emplace_back(spec.name, *value);
  };

  bool optionsEnded = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (optionsEnded || a.size() < 2 || a[0] != '-') {
      parsed.positionals.push_back(a);
    } else if (a == "--") {
      optionsEnded = true;
    } else if (a.starts_with("--")) {
      const size_t eq = a.find('=');
      const std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      std::optional<std::string> value;
      if (eq != std::string::npos) value = a.substr(eq + 1);
      auto spec = std::find_if(specs.begin(), specs.end(), [&](const OptionSpec& o) { return o.name == name; });
      if (spec == specs.end()) {
        std::vector<std::string> names;
        for (const OptionSpec& o : specs) names.push_back(o.name);
        throw UsageError("unknown option '--" + name + "' for '" + command.name + "'" + didYouMean(name, names, "--"));
      }
      set(*spec, "--" + name, value, i);
    } else {
      // Short options: "-v", or flags bundled as "-vh"; a short option with a value ends the
      // bundle and takes the next word.
      for (size_t k = 1; k < a.size(); ++k) {
        auto spec = std::find_if(specs.begin(), specs.end(), [&](const OptionSpec& o) { return o.shortName == a[k]; });
        if (spec == specs.end())
          throw UsageError(std::string("unknown option '-") + a[k] + "' for '" + command.name + "'");
        if (!spec->valueName.empty() && k + 1 < a.size())
          throw UsageError(std::string("option -") + a[k] + " takes a value: write -" + a[k] + " " + spec->valueName);
        set(*spec, std::string("-") + a[k], std::nullopt, i);
      }
    }
  }

  if (parsed.has("help")) return parsed;
  const auto& wanted = command.positionals;
  if (parsed.positionals.size() < wanted.size()) {
    std::string missing;
    for (size_t k = parsed.positionals.size(); k < wanted.size(); ++k)
      missing += (missing.empty() ? "" : " and ") + wanted[k].name;
    throw UsageError("'" + command.name + "' needs " + missing);
  }
  if (parsed.positionals.size() > wanted.size())
    throw UsageError("unexpected argument '" + parsed.positionals[wanted.size()] + "' for '" + command.name + "'");
  return parsed;
}

int64_t positiveInt(const std::string& option, const std::string& text) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || v < 1 || text.empty())
    throw UsageError("--" + option + " expects a positive integer, got '" + text + "'");
  return v;
}

double numberOption(const std::string& option, const std::string& text) {
  double v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(v))
    throw UsageError("--" + option + " expects a number, got '" + text + "'");
  return v;
}

OptionSpec deviceOption() {
  return {"device", 0, "DEVICE", "auto (default: the GPU when one is usable), cpu, or gpu"};
}

Device placeNetwork(Network& net, const ParsedArgs& args, std::ostream& err, bool verbose) {
  ExecutionEnvironment e = ExecutionEnvironment::Auto;
  if (auto v = args.value("device")) e = parseValue("device", "auto, cpu or gpu", *v, parseExecutionEnvironment);
  if (e == ExecutionEnvironment::Gpu) requireGpu("--device gpu");
  const Device device = resolveEnvironment(e, Device::CPU, net.device(), "--device " + environmentName(e));
  net.to(device);
  if (verbose)
    err << "dlcam: running on the " << deviceName(device)
        << (device == Device::GPU ? " (" + gpuDescription() + ")" : std::string()) << "\n";
  return device;
}

OptionSpec inputShapeOption() {
  return {"input-shape", 0, "N,C,H,W", "The input's ONNX shape, for a model with symbolic H, W (or D)"};
}

onnx::ImportOptions importOptions(const ParsedArgs& args) {
  onnx::ImportOptions options;
  const std::optional<std::string> text = args.value("input-shape");
  if (!text) return options;
  const auto bad = [&] {
    return UsageError("--input-shape expects the input's ONNX shape as comma-separated positive integers "
                      "(N,C,H,W: 1,3,224,224), got '" + *text + "'");
  };
  size_t start = 0;
  while (true) {
    const size_t comma = text->find(',', start);
    const std::string item = text->substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    int64_t v = 0;
    const char* end = item.data() + item.size();
    auto [ptr, ec] = std::from_chars(item.data(), end, v);
    if (item.empty() || ec != std::errc() || ptr != end || v < 1) throw bad();
    options.inputShape.push_back(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return options;
}

Stopwatch::Stopwatch()
    : startNs_(std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
                   .count()) {}

double Stopwatch::ms() const {
  const int64_t now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  return static_cast<double>(now - startNs_) / 1e6;
}

void checkOutputs(const std::vector<NamedFile>& outputs, const std::vector<NamedFile>& inputs) {
  std::vector<std::string> canonical;
  for (const NamedFile& f : outputs) canonical.push_back(canonicalPath(f.path));
  for (size_t i = 0; i < outputs.size(); ++i) {
    for (size_t j = 0; j < i; ++j)
      if (canonical[i] == canonical[j])
        throw UsageError(outputs[j].what + " and " + outputs[i].what + " are the same file");
    for (const NamedFile& in : inputs)
      if (canonical[i] == canonicalPath(in.path)) throw UsageError(outputs[i].what + " would overwrite " + in.what);
  }
}

std::string millisText(double ms) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << ms << " ms";
  return s.str();
}

LoadedModel readModel(const std::string& path) {
  Stopwatch clock;
  requireReadableFile(path, "ONNX model");
  LoadedModel loaded;
  loaded.path = path;
  loaded.model = onnx::loadModel(path);
  loaded.loadMs = clock.ms();
  return loaded;
}

void importModel(LoadedModel& loaded, const onnx::ImportOptions& options) {
  Stopwatch clock;
  try {
    loaded.net = onnx::importNetwork(loaded.model, options);
  } catch (const Error& e) {
    fail("cannot import ONNX model '", loaded.path, "': ", e.what());
  }
  loaded.loadMs += clock.ms();
}

LoadedModel loadModel(const std::string& path, const onnx::ImportOptions& options) {
  LoadedModel loaded = readModel(path);
  importModel(loaded, options);
  return loaded;
}

const onnx::ValueInfo& declaredInput(const LoadedModel& loaded) {
  const onnx::Graph& g = loaded.model.graph;
  for (const onnx::ValueInfo& v : g.inputs) {
    const bool initializer = std::any_of(g.initializers.begin(), g.initializers.end(),
                                         [&](const onnx::TensorProto& t) { return t.name == v.name; });
    if (!initializer) return v;
  }
  fail("ONNX model '", loaded.path, "' declares no input");
}

std::vector<int64_t> expectedInputShape(const Network& net) {
  const InputLayer& input = net.inputLayer();
  const ActivationInfo info = input.inputInfo();
  std::vector<int64_t> shape = onnx::onnxShape(info.size, info.format);
  if (!shape.empty()) shape[0] = -1;
  auto* sequence = dynamic_cast<const SequenceInputLayer*>(&input);
  if (sequence && sequence->length() < 0 && shape.size() == 3) shape[2] = -1;
  return shape;
}

std::string onnxDimNames(size_t rank) {
  switch (rank) {
    case 2: return "N×C";
    case 3: return "N×C×L";
    case 4: return "N×C×H×W";
    case 5: return "N×C×D×H×W";
    default: return "";
  }
}

std::string shapeText(const std::vector<int64_t>& shape) {
  if (shape.empty()) return "scalar";
  std::string text;
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? "×" : "") + (shape[i] < 0 ? std::string("any") : std::to_string(shape[i]));
  return text;
}

std::string describeShape(const std::vector<int64_t>& shape) {
  const std::string names = onnxDimNames(shape.size());
  return shapeText(shape) + (names.empty() ? "" : " (" + names + ")");
}

bool isClassification(const Array& y) {
  const DimFormat& f = y.format();
  if (f.find('C') < 0) return false;
  for (int d = 0; d < y.rank(); ++d)
    if (f[d] != 'C' && f[d] != 'B' && y.size(d) != 1) return false;
  return true;
}

std::vector<std::vector<double>> classScores(const Array& y) {
  const int c = y.format().find('C'), b = y.format().find('B');
  const int64_t classes = y.size(c), observations = b >= 0 ? y.size(b) : 1;
  const int64_t classStride = y.shape().stride(c), observationStride = b >= 0 ? y.shape().stride(b) : 0;
  const Tensor v = y.value().to(DType::Float64);
  const double* data = v.data<double>();
  std::vector<std::vector<double>> scores(static_cast<size_t>(observations));
  for (int64_t n = 0; n < observations; ++n)
    for (int64_t k = 0; k < classes; ++k)
      scores[static_cast<size_t>(n)].push_back(data[k * classStride + n * observationStride]);
  return scores;
}

std::vector<size_t> rankClasses(const std::vector<double>& scores) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  auto key = [&](size_t i) { return std::isnan(scores[i]) ? -std::numeric_limits<double>::infinity() : scores[i]; };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key(a) > key(b); });
  return order;
}

std::string scoreText(double v) {
  std::ostringstream s;
  s << std::setprecision(6) << v;
  return s.str();
}

}  // namespace cli

namespace {

// An error message as one line of stderr: line breaks (a file name or a quoted value may hold
// one) become spaces.
std::string oneLine(std::string text) {
  std::replace_if(text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return text;
}

}  // namespace

int runDlcam(std::vector<std::string> args, std::ostream& out, std::ostream& err) {
  using namespace cli;
  const Command* command = nullptr;
  try {
    if (args.empty()) {
      err << mainHelp();
      return 2;
    }
    const std::string& first = args[0];
    if (first == "-h" || first == "--help") {
      out << mainHelp();
      return 0;
    }
    if (first == "-V" || first == "--version") {
      out << versionText();
      return 0;
    }
    std::vector<std::string> names;
    for (const Command& c : commands()) names.push_back(c.name);
    if (first == "help") {
      if (args.size() == 1 || args[1] == "help") {
        out << mainHelp();
        return 0;
      }
      if (args.size() > 2) throw UsageError("'help' takes one command name");
      const Command* c = findCommand(args[1]);
      if (!c) throw UsageError("unknown command '" + args[1] + "'" + didYouMean(args[1], names));
      out << commandHelp(*c);
      return 0;
    }
    if (first.starts_with("-")) throw UsageError("unknown option '" + first + "' (options follow the command)");
    command = findCommand(first);
    if (!command) throw UsageError("unknown command '" + first + "'" + didYouMean(first, names));
    const ParsedArgs parsed = parseArgs(*command, std::span<const std::string>(args).subspan(1));
    if (parsed.has("help")) {
      out << commandHelp(*command);
      return 0;
    }
    return command->run(parsed, out, err);
  } catch (const UsageError& e) {
    // One line, as for every error: the message, then where the usage is.
    std::string usage = command ? usageLine(*command) : "usage: dlcam COMMAND [arguments] [options]\n";
    usage.pop_back();
    err << "dlcam: error: " << oneLine(e.what()) << " (" << usage << "; see 'dlcam "
        << (command ? "help " + command->name : std::string("--help")) << "')\n";
    return 2;
  } catch (const Error& e) {
    err << "dlcam: error: " << oneLine(e.what()) << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    err << "dlcam: error: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    err << "dlcam: internal error: " << oneLine(e.what()) << " (a bug in dlcam; please report it)\n";
    return 1;
  } catch (...) {
    err << "dlcam: internal error: unknown exception (a bug in dlcam; please report it)\n";
    return 1;
  }
}

}  // namespace dlcam
