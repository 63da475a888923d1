// Helpers shared by the dist layer's sources (private).
#pragma once

#include <mpi.h>

#include "ckpt/core/status.h"

namespace ckpt::dist_internal {

// OK for MPI_SUCCESS, else Internal "`what` failed: <MPI's error string>".
Status MpiStatus(int code, const char* what);

}  // namespace ckpt::dist_internal
