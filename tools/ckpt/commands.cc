#include "commands.h"

#include <iostream>

namespace ckpt::cli {

const std::vector<AddCommandFn>& AllCommands() {
  static const std::vector<AddCommandFn> kCommands = {AddLsCommand,
                                                      AddDumpCommand,
                                                      AddVerifyCommand,
                                                      AddConvertCommand,
                                                      AddDiffCommand
#ifdef CKPT_CLI_HAVE_METAGRAPH
                                                      ,
                                                      AddRunCommand,
                                                      AddGraphCommand
#endif
  };
  return kCommands;
}

int ReportStatus(const Status& status) {
  if (status.ok()) return 0;
  std::cerr << "error: " << status.ToString() << "\n";
  return 1;
}

}  // namespace ckpt::cli
