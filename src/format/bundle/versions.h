// Version checks of the files a reader opens (VersionDef), and key rendering for messages.
#pragma once

#include <string>
#include <string_view>

#include "ckpt/core/status.h"
#include "tensorflow/core/framework/versions.pb.h"

namespace ckpt::bundle {

// Checks a VersionDef the way TF's CheckVersions does for `consumer` (our version) and
// `min_producer`. InvalidArgument naming `what` (e.g. "checkpoint /x/model").
Status CheckVersions(const tensorflow::VersionDef& versions, int consumer, int min_producer,
                     std::string_view what);

// Renders a key for messages (non-printable bytes escaped).
std::string PrintableKey(std::string_view key);

}  // namespace ckpt::bundle
