// Test helpers for the checkpoint layer: tensor builders; the fault-injecting Env and the
// temporary directory of every layer (testutil/fault_env.h, testutil/temp_dir.h).
#pragma once

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ckpt/core/env.h"
#include "ckpt/core/tensor.h"
#include "testutil/fault_env.h"
#include "testutil/temp_dir.h"

namespace ckpt::testutil {

inline Tensor FloatTensor(int n, float base) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) v[i] = base + 0.5f * i;
  return Tensor::FromVector(v, TensorShape{n});
}

}  // namespace ckpt::testutil
