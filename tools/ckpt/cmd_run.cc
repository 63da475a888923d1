// `ckpt run PATH --feed NAME=JSON|@FILE.npy ... --fetch NAME ... [--json] [--output-dir DIR]`:
// runs a TensorFlow model (meta graph + checkpoint, or SavedModel) in C++.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <memory>

#include "ckpt/format/tensor_files.h"
#include "ckpt/metagraph/saved_model.h"
#include "commands.h"

namespace ckpt::cli {

namespace {

// Half the machine's physical memory: the default budget of one run of an untrusted model.
int64_t DefaultMemoryLimit() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return 0;
  return static_cast<int64_t>(pages) * page / 2;
}

// A feed's value: "@FILE.npy" read as NumPy's .npy, else JSON shaped for tensor `name`.
StatusOr<Tensor> FeedValue(Env* env, const LoadedModel& model, const std::string& name,
                           const std::string& value) {
  if (value.empty() || value[0] != '@') return model.ParseFeed(name, value);
  const std::string file = value.substr(1);
  auto t = ReadNpy(env, file);
  if (!t.ok()) return t.status().WithContext("feed " + name);
  CKPT_ASSIGN_OR_RETURN(Output out, model.graph->GetTensorByName(name));
  const DataType want = model.graph->OutputType(out);
  if (t->dtype() != want) {
    return InvalidArgumentError("feed " + name + ": " + file + " holds " +
                                std::string(DataTypeName(t->dtype())) + ", the tensor is " +
                                std::string(DataTypeName(want)));
  }
  return t;
}

// KEY.npy's name for output `label`: characters other than [A-Za-z0-9._-] become '_'.
std::string OutputFileName(const std::string& label) {
  std::string name = label;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  }
  if (name.empty() || name == "." || name == "..") name = "_" + name;
  return name + ".npy";
}

// One output of a run: how it is printed, the tensor (invalid for a target op), and the
// name its .npy file takes.
struct RunResult {
  std::string label;
  Tensor tensor;
  std::string file_key;
};

double MillisSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Status RunRun(Env* env, const RunOptions& options, std::ostream& out) {
  const auto start = std::chrono::steady_clock::now();
  LoadOptions lo;
  if (!options.tags.empty()) lo.tags = options.tags;
  lo.file_access.unrestricted = options.allow_all_io;
  lo.file_access.write_dirs = options.allow_io;
  lo.session.fuse_elementwise = !options.no_fusion;
  ::ckpt::RunOptions limits;
  limits.timeout_ms = options.timeout_ms;
  limits.memory_limit_bytes =
      options.memory_limit_bytes < 0 ? DefaultMemoryLimit() : options.memory_limit_bytes;
  CKPT_ASSIGN_OR_RETURN(auto model, LoadModel(env, options.path, lo));
  const double load_ms = MillisSince(start);

  // What one run does, resolved once (feeds parsed, names looked up) and called again for
  // --benchmark.
  std::function<StatusOr<std::vector<RunResult>>()> run_once;
  if (!options.signature.empty()) {
    auto sig_it = model->signatures.find(options.signature);
    if (sig_it == model->signatures.end()) {
      std::string known;
      for (const auto& [k, v] : model->signatures) known += (known.empty() ? "" : ", ") + k;
      return NotFoundError("no signature '" + options.signature + "' in " + options.path +
                           " (signatures: " + known + ")");
    }
    std::map<std::string, Tensor> inputs;
    for (const auto& feed : options.feeds) {
      const size_t eq = feed.find('=');
      if (eq == std::string::npos) {
        return InvalidArgumentError("--feed '" + feed + "' is not KEY=JSON or KEY=@FILE.npy");
      }
      const std::string key = feed.substr(0, eq);
      auto in = sig_it->second.inputs.find(key);
      if (in == sig_it->second.inputs.end()) {
        return NotFoundError("signature '" + options.signature + "' has no input '" + key + "'");
      }
      CKPT_ASSIGN_OR_RETURN(inputs[key],
                            FeedValue(env, *model, in->second.name, feed.substr(eq + 1)));
    }
    run_once = [&, inputs]() -> StatusOr<std::vector<RunResult>> {
      CKPT_ASSIGN_OR_RETURN(auto outputs, model->RunSignature(options.signature, inputs, limits));
      std::vector<RunResult> got;
      for (auto& [key, t] : outputs) {
        if (!options.fetches.empty() && std::find(options.fetches.begin(), options.fetches.end(),
                                                  key) == options.fetches.end()) {
          continue;
        }
        got.push_back({key, std::move(t), key});
      }
      return got;
    };
  } else {
    Session::FeedList feeds;
    for (const auto& feed : options.feeds) {
      const size_t eq = feed.find('=');
      if (eq == std::string::npos) {
        return InvalidArgumentError("--feed '" + feed + "' is not NAME=JSON or NAME=@FILE.npy");
      }
      CKPT_ASSIGN_OR_RETURN(std::string name, model->ResolveTensorName(feed.substr(0, eq)));
      CKPT_ASSIGN_OR_RETURN(Tensor t, FeedValue(env, *model, name, feed.substr(eq + 1)));
      feeds.emplace_back(name, std::move(t));
    }
    std::vector<std::string> fetches, targets, labels, fetch_names;
    for (const auto& f : options.fetches) {
      CKPT_ASSIGN_OR_RETURN(std::string name, model->ResolveTensorName(f));
      if (name.find(':') == std::string::npos) {
        targets.push_back(name);  // an op without outputs (train_op): run it
      } else {
        fetches.push_back(name);
        fetch_names.push_back(f);
        labels.push_back(f == name ? f : f + " (" + name + ")");
      }
    }
    if (fetches.empty() && targets.empty()) {
      return InvalidArgumentError("nothing to run: give --fetch NAME or --signature KEY");
    }
    run_once = [&, feeds, fetches, targets, labels,
                fetch_names]() -> StatusOr<std::vector<RunResult>> {
      CKPT_ASSIGN_OR_RETURN(auto values, model->session->Run(feeds, fetches, targets, limits));
      std::vector<RunResult> got;
      for (size_t i = 0; i < values.size(); ++i) {
        got.push_back({labels[i], std::move(values[i]), fetch_names[i]});
      }
      for (const auto& t : targets) got.push_back({t, Tensor(), ""});
      return got;
    };
  }
  CKPT_ASSIGN_OR_RETURN(std::vector<RunResult> got, run_once());
  const double first_ms = MillisSince(start);

  // --benchmark N: warm-up runs, then N timed ones.
  nlohmann::json bench;
  std::vector<double> us;
  if (options.benchmark > 0) {
    const int warmup = std::clamp(options.benchmark / 10, 1, 100);
    for (int i = 0; i < warmup; ++i) CKPT_RETURN_IF_ERROR(run_once().status());
    us.reserve(options.benchmark);
    for (int i = 0; i < options.benchmark; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      CKPT_RETURN_IF_ERROR(run_once().status());
      us.push_back(MillisSince(t0) * 1000);
    }
    std::sort(us.begin(), us.end());
    auto pct = [&](double q) {
      return us[std::min(us.size() - 1, static_cast<size_t>(q * (us.size() - 1) + 0.5))];
    };
    bench = {{"load_ms", load_ms},    {"first_result_ms", first_ms}, {"runs", us.size()},
             {"warmup_runs", warmup}, {"min_us", us.front()},        {"median_us", pct(0.5)},
             {"p99_us", pct(0.99)},   {"max_us", us.back()}};
  }

  std::vector<std::pair<std::string, nlohmann::json>> results;  // (label, value)
  for (const RunResult& r : got) {
    results.emplace_back(r.label, r.tensor.valid() ? JsonTensor(r.tensor) : nlohmann::json());
  }
  if (!options.output_dir.empty()) {
    CKPT_RETURN_IF_ERROR(env->RecursivelyCreateDir(options.output_dir));
    for (const RunResult& r : got) {
      if (!r.tensor.valid()) continue;
      const std::string file = options.output_dir + "/" + OutputFileName(r.file_key);
      CKPT_RETURN_IF_ERROR(WriteNpy(env, file, r.tensor).WithContext("output " + r.label));
    }
  }
  if (options.json) {
    nlohmann::json outputs = nlohmann::json::object();
    for (auto& [label, value] : results) outputs[label] = std::move(value);
    nlohmann::json j = {{"model", model->kind},
                        {"checkpoint", model->checkpoint_prefix},
                        {"outputs", std::move(outputs)}};
    if (!bench.is_null()) j["benchmark"] = bench;
    PrintJson(out, j);
  } else {
    // JsonTensor's strings are UTF-8 (other bytes are base64), so dump() cannot fail.
    for (const auto& [label, value] : results) out << label << " = " << value.dump() << "\n";
    if (!bench.is_null()) {
      out << fmt::format(
          "benchmark: loaded in {:.1f} ms, first result {:.1f} ms after start; {} runs after {} "
          "warm-up: min {:.1f} us, median {:.1f} us, p99 {:.1f} us\n",
          load_ms, first_ms, us.size(), bench["warmup_runs"].get<int>(), us.front(),
          bench["median_us"].get<double>(), bench["p99_us"].get<double>());
    }
  }
  return Status::OK();
}

void AddRunCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "run",
      "Run a TensorFlow model: a .meta, a checkpoint prefix or directory (+ .meta), or a "
      "SavedModel directory");
  auto options = std::make_shared<RunOptions>();
  cmd->add_option("PATH", options->path,
                  "Checkpoint prefix (with PREFIX.meta), .meta file, checkpoint directory "
                  "(latest) or SavedModel directory")
      ->required();
  cmd->add_option("--feed", options->feeds,
                  "NAME=JSON or NAME=@FILE.npy: a tensor ('input:0'), op or signature input "
                  "key, and a value (number or nested list shaped as the placeholder wants, or "
                  "a NumPy .npy file of any dtype; strings as '<U' or '|S')");
  cmd->add_option("--fetch", options->fetches,
                  "Tensor ('Round:0'), op (run as a target when it has no outputs) or "
                  "collection ('predict_op'); with --signature, output keys");
  cmd->add_option("--tag", options->tags, "SavedModel tag (repeatable). Default: serve");
  cmd->add_option("--signature", options->signature,
                  "SavedModel signature key: --feed/--fetch then name its input/output keys");
  cmd->add_flag("--json", options->json, "Print JSON");
  cmd->add_option("--benchmark", options->benchmark,
                  "After the first result, N timed runs (after N/10 warm-up runs, 1 to 100): "
                  "prints load time, time to first result, and min/median/p99 latency")
      ->check(CLI::Range(0, 10'000'000));
  cmd->add_flag("--no-fusion", options->no_fusion,
                "Run every op as its own step instead of fusing chains of element-wise ops "
                "(same results, bit for bit; for comparison)");
  cmd->add_option("--output-dir", options->output_dir,
                  "Also write each output as DIR/KEY.npy (KEY: the signature output key or "
                  "the fetch name with characters other than [A-Za-z0-9._-] as '_'; strings "
                  "as '|S' bytes)");
  cmd->add_option("--allow-io", options->allow_io,
                  "DIR the graph's file ops may also read and write (repeatable). By default a "
                  "graph reads only inside the model's own directory and writes nowhere");
  cmd->add_flag("--allow-all-io", options->allow_all_io,
                "Trust the model: its file ops may read and write anywhere");
  cmd->add_option("--timeout", options->timeout_ms,
                  "Stop the run after MS milliseconds (DeadlineExceeded). Default: none")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--memory-limit", options->memory_limit_bytes,
                  "Most bytes of tensors the run may hold at once (ResourceExhausted naming the "
                  "op). 0: none. Default: half the machine's memory")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([=]() { *exit_code = ReportStatus(RunRun(Env::Default(), *options, std::cout)); });
}

}  // namespace ckpt::cli
