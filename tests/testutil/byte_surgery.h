// Byte-surgery helpers for format tests: read, modify and write back files through an Env.
#pragma once

#include <string>

#include "ckpt/core/env.h"

namespace ckpt::testutil {

inline std::string ReadAll(Env* env, const std::string& path) {
  auto s = env->ReadFileToString(path);
  return s.ok() ? *s : std::string();
}
inline void WriteAll(Env* env, const std::string& path, const std::string& data) {
  env->WriteStringToFile(path, data).IgnoreError();
}
// XORs byte `offset` of `path` with `mask`.
inline void FlipByte(Env* env, const std::string& path, size_t offset, unsigned char mask = 0xff) {
  std::string d = ReadAll(env, path);
  if (offset < d.size()) d[offset] = static_cast<char>(d[offset] ^ mask);
  WriteAll(env, path, d);
}
inline void Truncate(Env* env, const std::string& path, size_t size) {
  std::string d = ReadAll(env, path);
  if (size < d.size()) d.resize(size);
  WriteAll(env, path, d);
}

}  // namespace ckpt::testutil
