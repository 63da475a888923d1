// The `ckpt` command-line tool as a library: each subcommand is a function writing to a
// std::ostream (so tests and other front ends can call it), plus a function that adds the
// subcommand to a CLI11 app. main() only parses arguments.
//
// Adding a subcommand: write tools/ckpt/NAME.cc with RunNAME(...) and AddNAMECommand(...),
// declare them here, and list AddNAMECommand in AllCommands() (commands.cc). Path resolution
// lives in paths.cc, value formatting in format_value.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/core/env.h"
#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"
#include "ckpt/format/tensor_files.h"

namespace CLI {
class App;
}

namespace ckpt::cli {

// Turns what the user typed into a checkpoint prefix: a prefix is returned as is (a trailing
// ".index" is dropped); a SavedModel directory gives DIR/variables/variables; another
// directory gives its latest checkpoint (from its `checkpoint` state file). NotFound when a
// directory holds no checkpoint.
StatusOr<std::string> ResolveCheckpointPath(Env* env, std::string_view path);

// True when `path` is a directory of checkpoints (not a SavedModel directory) and this build
// has the checkpoint layer: `ls` and `verify` then cover every checkpoint in it.
bool IsCheckpointDirectory(Env* env, std::string_view path);

struct LsOptions {
  // Print JSON instead of aligned columns. Default: false.
  bool json = false;
  // List the object tree of a TF2 object-based checkpoint instead (object path -> key, dtype,
  // shape). Default: false.
  bool objects = false;
};
// Lists every tensor: name, dtype (TF's Python name), shape and bytes on disk. For a
// checkpoint directory, first lists its checkpoints (step, time, size, metrics, latest/best),
// then the tensors of the latest; with `json`, one object {"checkpoints": [...], "latest":
// {...}}.
Status RunLs(Env* env, std::string_view path, const LsOptions& options, std::ostream& out);

struct DumpOptions {
  // Only this tensor (NotFound if absent). Default: all.
  std::string name;
  // Print JSON. Default: false.
  bool json = false;
  // Print at most this many values per tensor; negative means all. Default: -1.
  int64_t max_values = -1;
};
// Prints tensor values.
Status RunDump(Env* env, std::string_view path, const DumpOptions& options, std::ostream& out);

// Checks every checksum and size of the checkpoint (of every checkpoint, for a checkpoint
// directory); prints a summary. Returns the first problem found (the summary then says
// FAILED).
Status RunVerify(Env* env, std::string_view path, std::ostream& out);

// `ckpt convert` (convert.cc): TF checkpoint / safetensors / npz conversion.
struct ConvertCommandOptions {
  std::string input, output;
  // "REGEX=REPL" rules, applied in order. Default: none.
  std::vector<std::string> renames;
  // Only tensors whose name matches (search). Default: all.
  std::string only;
  // Formats: "tf", "safetensors", "npz"; empty = from the path.
  std::string from, to;
  // No progress bar, no summary line. Default: false (the bar shows on a terminal only).
  bool quiet = false;
};
Status RunConvert(Env* env, const ConvertCommandOptions& options, std::ostream& out);
// The path ConvertTensorFile reads for `path`: a TF-checkpoint input (by `format`, or by its
// extension when kAuto) resolved as PATH above (directory, SavedModel -> prefix); other
// formats as given.
StatusOr<std::string> ResolveConvertInput(Env* env, const std::string& path,
                                          TensorFileFormat format);
void AddConvertCommand(CLI::App& app, int* exit_code);

// `ckpt diff` (diff.cc): keys only in A or B, dtype/shape changes, value differences.
struct DiffOptions {
  std::string a, b;
  // Elements differ when |a - b| > atol + rtol * |b|. Defaults: 0 (exact; NaN equals NaN).
  double atol = 0, rtol = 0;
  bool json = false;
};
// True when the two differ (keys, dtypes, shapes, or values beyond the tolerances).
StatusOr<bool> RunDiff(Env* env, const DiffOptions& options, std::ostream& out);
void AddDiffCommand(CLI::App& app, int* exit_code);

#ifdef CKPT_CLI_HAVE_METAGRAPH
// `ckpt run` (cmd_run.cc): loads a model (LoadModel) and runs fetches or a signature.
struct RunOptions {
  std::string path;
  // "NAME=JSON" or "NAME=@FILE.npy" (tensor, op or collection name; signature input key with
  // `signature`).
  std::vector<std::string> feeds;
  // Tensor, op or collection names (signature output keys with `signature`; empty = all).
  std::vector<std::string> fetches;
  // SavedModel tags. Default: empty = {"serve"}.
  std::vector<std::string> tags;
  // SavedModel signature key to run. Default: none.
  std::string signature;
  // Print JSON. Default: false.
  bool json = false;
  // Directories the graph's file ops may also read and write (beyond reading the model's own
  // directory). Default: none.
  std::vector<std::string> allow_io;
  // Trust the model: no file-access policy. Default: false.
  bool allow_all_io = false;
  // Limits of the run (0: none). Default: no deadline; memory: half the machine's RAM.
  int64_t timeout_ms = 0;
  int64_t memory_limit_bytes = -1;  // -1: the default
  // Also write each output as OUTPUT_DIR/KEY.npy (KEY: the signature output key or the fetch
  // name, characters other than [A-Za-z0-9._-] as '_'). Default: none.
  std::string output_dir;
  // Time N runs after the first (and N/10 warm-up runs, 1 to 100) and print load time, time
  // to first result and min/median/p99 latency. Default: 0 (no benchmark).
  int benchmark = 0;
  // Run every op as its own step (SessionOptions::fuse_elementwise = false), to compare.
  // Default: false.
  bool no_fusion = false;
};
Status RunRun(Env* env, const RunOptions& options, std::ostream& out);
// `ckpt graph` (cmd_graph.cc): ops, collections, saver, signatures, unsupported ops.
Status RunGraph(Env* env, std::string_view path, bool json, std::ostream& out);
void AddRunCommand(CLI::App& app, int* exit_code);
void AddGraphCommand(CLI::App& app, int* exit_code);
#endif

// Value formatting shared by the subcommands (format_value.cc).
// Text of element `i`: shortest round-trip digits, nan/inf/-inf, true/false, (re+imj), and
// strings as JsonBytes' JSON text.
std::string FormatValue(const Tensor& t, int64_t i);
std::string FormatShape(const TensorShape& shape);

// JSON, written only through nlohmann-json and printed only through PrintJson.
// Lossless JSON of a byte string: valid UTF-8 stays a JSON string; any other bytes (serialized
// protos, raw data) become {"base64": RFC 4648 base64 with padding}.
nlohmann::json JsonBytes(std::string_view s);
// JSON of element `i`: a number (FormatValue's digits; "nan"/"inf"/"-inf" as strings), a
// bool, [re, im] for complex, JsonBytes for strings.
nlohmann::json JsonValue(const Tensor& t, int64_t i);
// JSON of a whole tensor: nested lists following its shape (a scalar is a bare value); a
// resource or variant tensor is the string "<dtype shape>".
nlohmann::json JsonTensor(const Tensor& t);
// Writes `j` indented by 2, then a newline. Bytes of plain strings (names, paths) that are not
// UTF-8 become U+FFFD; values that must survive go through JsonBytes.
void PrintJson(std::ostream& out, const nlohmann::json& j);

// CLI11 wiring: each adds one subcommand to `app`; running it stores the process exit code
// in `*exit_code` (0 on success) and prints errors to stderr.
using AddCommandFn = void (*)(CLI::App& app, int* exit_code);
void AddLsCommand(CLI::App& app, int* exit_code);
void AddDumpCommand(CLI::App& app, int* exit_code);
void AddVerifyCommand(CLI::App& app, int* exit_code);
const std::vector<AddCommandFn>& AllCommands();

// Prints "error: <status>" to stderr and returns the exit code for `status` (0 if OK).
int ReportStatus(const Status& status);

}  // namespace ckpt::cli
