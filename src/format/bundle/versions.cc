#include "format/bundle/versions.h"

#include <cstdio>

namespace ckpt::bundle {

Status CheckVersions(const tensorflow::VersionDef& versions, int consumer, int min_producer,
                     std::string_view what) {
  if (versions.producer() < min_producer) {
    return InvalidArgumentError(
        std::string(what) + " has producer version " + std::to_string(versions.producer()) +
        ", older than the minimum supported " + std::to_string(min_producer));
  }
  if (versions.min_consumer() > consumer) {
    return InvalidArgumentError(std::string(what) + " requires consumer version >= " +
                                std::to_string(versions.min_consumer()) + ", this reader is " +
                                std::to_string(consumer) +
                                " (written by a newer version with format changes)");
  }
  for (int bad : versions.bad_consumers()) {
    if (bad == consumer) {
      return InvalidArgumentError(std::string(what) + " disallows consumer version " +
                                  std::to_string(consumer));
    }
  }
  return Status();
}

std::string PrintableKey(std::string_view key) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : key) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace ckpt::bundle
