// `ckpt verify PATH`: every checksum and size; non-zero exit on any problem.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "ckpt/format/checkpoint_reader.h"
#include "commands.h"
#if CKPT_CLI_HAVE_CHECKPOINT_STATE
#include "ckpt/checkpoint/checkpoint_dir.h"
#endif

namespace ckpt::cli {

Status RunVerify(Env* env, std::string_view path, std::ostream& out) {
#if CKPT_CLI_HAVE_CHECKPOINT_STATE
  if (IsCheckpointDirectory(env, path)) {
    Status s = VerifyCheckpointDir(env, std::string(path), out);
    out << (s.ok() ? "OK: every checkpoint in " : "FAILED: ")
        << (s.ok() ? std::string(path) : s.ToString()) << "\n";
    return s;
  }
#endif
  auto prefix = ResolveCheckpointPath(env, path);
  if (!prefix.ok()) {
    out << "FAILED: " << prefix.status().ToString() << "\n";
    return prefix.status();
  }
  auto reader = OpenCheckpoint(env, *prefix);
  if (!reader.ok()) {
    out << "FAILED: " << *prefix << ": " << reader.status().ToString() << "\n";
    return reader.status();
  }
  Status s = (*reader)->VerifyAll();
  if (!s.ok()) {
    out << "FAILED: " << *prefix << ": " << s.ToString() << "\n";
    return s;
  }
  int64_t total = 0;
  for (const auto& v : (*reader)->variables()) total += v.bytes;
  out << fmt::format("OK: {} tensors, {} bytes verified ({} checkpoint {})\n",
                     (*reader)->variables().size(), total, (*reader)->format(), *prefix);
  return Status();
}

void AddVerifyCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "verify", "Check every checksum and size of a checkpoint; exits non-zero on any problem");
  auto path = std::make_shared<std::string>();
  cmd->add_option("PATH", *path, "Checkpoint prefix, SavedModel directory or checkpoint directory")
      ->required();
  cmd->callback([=]() {
    Status s = RunVerify(Env::Default(), *path, std::cout);
    *exit_code = s.ok() ? 0 : 1;
  });
}

}  // namespace ckpt::cli
