// `ckpt convert IN OUT [--rename 'REGEX=REPL']... [--only REGEX] [--quiet]`: TF checkpoints,
// safetensors and .npz into one another (ConvertTensorFile, ckpt/format/convert.h).
#include <fmt/format.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <iostream>

#include "ckpt/format/convert.h"
#include "commands.h"

namespace ckpt::cli {
namespace {

// Inputs above this size get a progress bar on a terminal.
constexpr uint64_t kProgressMinBytes = 100u << 20;

}  // namespace

StatusOr<std::string> ResolveConvertInput(Env* env, const std::string& path,
                                          TensorFileFormat format) {
  if (format == TensorFileFormat::kAuto) format = TensorFileFormatFromPath(path);
  if (format != TensorFileFormat::kTensorFlow) return path;
  return ResolveCheckpointPath(env, path);
}

Status RunConvert(Env* env, const ConvertCommandOptions& options, std::ostream& out) {
  ConvertOptions o;
  CKPT_ASSIGN_OR_RETURN(o.input_format, TensorFileFormatFromName(options.from));
  CKPT_ASSIGN_OR_RETURN(o.output_format, TensorFileFormatFromName(options.to));
  o.only = options.only;
  for (const std::string& rule : options.renames) {
    CKPT_ASSIGN_OR_RETURN(auto r, ParseRenameRule(rule));
    o.renames.push_back(std::move(r));
  }
  CKPT_ASSIGN_OR_RETURN(std::string input, ResolveConvertInput(env, options.input, o.input_format));
  const bool bar = !options.quiet && isatty(STDERR_FILENO);
  const auto start = std::chrono::steady_clock::now();
  int last_percent = -1;
  if (bar) {
    o.progress = [&](uint64_t done, uint64_t total) {
      if (total < kProgressMinBytes) return;
      int percent = static_cast<int>(done * 100 / total);
      if (percent == last_percent) return;
      last_percent = percent;
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::string fill(percent * 30 / 100, '#');
      std::cerr << fmt::format("\r[{:<30}] {:3}% {:.0f}/{:.0f} MB {:.0f} MB/s", fill, percent,
                               done / 1e6, total / 1e6, secs > 0 ? done / 1e6 / secs : 0.0)
                << (done == total ? "\n" : "") << std::flush;
    };
  }
  CKPT_ASSIGN_OR_RETURN(ConvertResult r, ConvertTensorFile(env, input, options.output, o));
  if (!options.quiet) {
    out << fmt::format("converted {} tensors, {} bytes: {} -> {}\n", r.tensors, r.bytes, input,
                       options.output);
  }
  return Status();
}

void AddConvertCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "convert", "Convert between TF checkpoints, safetensors (.safetensors) and NumPy (.npz)");
  auto o = std::make_shared<ConvertCommandOptions>();
  cmd->add_option("IN", o->input,
                  "Input: checkpoint prefix or directory, FILE.safetensors or FILE.npz")
      ->required();
  cmd->add_option("OUT", o->output, "Output: checkpoint prefix, FILE.safetensors or FILE.npz")
      ->required();
  cmd->add_option("--rename", o->renames,
                  "REGEX=REPL: replace every match in each name ($1.. for groups); repeatable, "
                  "applied in order");
  cmd->add_option("--only", o->only, "Only tensors whose name contains a match of REGEX");
  cmd->add_option("--from", o->from, "Input format: tf, safetensors, npz (default: from IN)");
  cmd->add_option("--to", o->to, "Output format: tf, safetensors, npz (default: from OUT)");
  cmd->add_flag("--quiet,-q", o->quiet, "No progress bar and no summary line");
  cmd->callback([=]() { *exit_code = ReportStatus(RunConvert(Env::Default(), *o, std::cout)); });
}

}  // namespace ckpt::cli
