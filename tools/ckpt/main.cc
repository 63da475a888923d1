// ckpt: inspect TensorFlow checkpoints. Only argument parsing lives here; every subcommand is
// a library function (commands.h).
#include <CLI/CLI.hpp>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"ckpt: inspect TensorFlow checkpoints (V1, V2 bundles and SavedModel variables)"};
  app.require_subcommand(1);
  int exit_code = 0;
  for (auto add : ckpt::cli::AllCommands()) add(app, &exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
