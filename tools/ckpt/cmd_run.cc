// `ckpt run PATH --feed NAME=JSON ... --fetch NAME ... [--json]`: runs a TensorFlow model
// (meta graph + checkpoint, or SavedModel) in C++.
#include <CLI/CLI.hpp>

#include <iostream>
#include <map>
#include <memory>

#include "ckpt/metagraph/saved_model.h"
#include "commands.h"

namespace ckpt::cli {

Status RunRun(Env* env, const RunOptions& options, std::ostream& out) {
  LoadOptions lo;
  if (!options.tags.empty()) lo.tags = options.tags;
  CKPT_ASSIGN_OR_RETURN(auto model, LoadModel(env, options.path, lo));

  std::vector<std::pair<std::string, nlohmann::json>> results;  // (label, value)
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
        return InvalidArgumentError("--feed '" + feed + "' is not KEY=JSON");
      }
      const std::string key = feed.substr(0, eq);
      auto in = sig_it->second.inputs.find(key);
      if (in == sig_it->second.inputs.end()) {
        return NotFoundError("signature '" + options.signature + "' has no input '" + key + "'");
      }
      CKPT_ASSIGN_OR_RETURN(inputs[key], model->ParseFeed(in->second.name, feed.substr(eq + 1)));
    }
    CKPT_ASSIGN_OR_RETURN(auto outputs, model->RunSignature(options.signature, inputs));
    for (const auto& [key, t] : outputs) {
      if (!options.fetches.empty() &&
          std::find(options.fetches.begin(), options.fetches.end(), key) == options.fetches.end()) {
        continue;
      }
      results.emplace_back(key, JsonTensor(t));
    }
  } else {
    Session::FeedList feeds;
    for (const auto& feed : options.feeds) {
      const size_t eq = feed.find('=');
      if (eq == std::string::npos) {
        return InvalidArgumentError("--feed '" + feed + "' is not NAME=JSON");
      }
      CKPT_ASSIGN_OR_RETURN(std::string name, model->ResolveTensorName(feed.substr(0, eq)));
      CKPT_ASSIGN_OR_RETURN(Tensor t, model->ParseFeed(name, feed.substr(eq + 1)));
      feeds.emplace_back(name, std::move(t));
    }
    std::vector<std::string> fetches, targets, labels;
    for (const auto& f : options.fetches) {
      CKPT_ASSIGN_OR_RETURN(std::string name, model->ResolveTensorName(f));
      if (name.find(':') == std::string::npos) {
        targets.push_back(name);  // an op without outputs (train_op): run it
      } else {
        fetches.push_back(name);
        labels.push_back(f == name ? f : f + " (" + name + ")");
      }
    }
    if (fetches.empty() && targets.empty()) {
      return InvalidArgumentError("nothing to run: give --fetch NAME or --signature KEY");
    }
    CKPT_ASSIGN_OR_RETURN(auto got, model->session->Run(feeds, fetches, targets));
    for (size_t i = 0; i < got.size(); ++i) results.emplace_back(labels[i], JsonTensor(got[i]));
    for (const auto& t : targets) results.emplace_back(t, nullptr);
  }
  if (options.json) {
    nlohmann::json outputs = nlohmann::json::object();
    for (auto& [label, value] : results) outputs[label] = std::move(value);
    PrintJson(out, {{"model", model->kind},
                    {"checkpoint", model->checkpoint_prefix},
                    {"outputs", std::move(outputs)}});
  } else {
    // JsonTensor's strings are UTF-8 (other bytes are base64), so dump() cannot fail.
    for (const auto& [label, value] : results) out << label << " = " << value.dump() << "\n";
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
                  "NAME=JSON: a tensor ('input:0'), op or signature input key, and a value "
                  "(number or nested list shaped as the placeholder wants)");
  cmd->add_option("--fetch", options->fetches,
                  "Tensor ('Round:0'), op (run as a target when it has no outputs) or "
                  "collection ('predict_op'); with --signature, output keys");
  cmd->add_option("--tag", options->tags, "SavedModel tag (repeatable). Default: serve");
  cmd->add_option("--signature", options->signature,
                  "SavedModel signature key: --feed/--fetch then name its input/output keys");
  cmd->add_flag("--json", options->json, "Print JSON");
  cmd->callback([=]() { *exit_code = ReportStatus(RunRun(Env::Default(), *options, std::cout)); });
}

}  // namespace ckpt::cli
