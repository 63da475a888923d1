// ParallelFor (ckpt/core/parallel.h) and crc32c::Combine: the pieces concurrent checkpoint
// reads are built from.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif

#include "ckpt/core/crc32c.h"
#include "ckpt/core/parallel.h"

namespace ckpt {
namespace {

TEST(ParallelFor, RunsEveryItemAndReportsTheLowestFailure) {
  for (int threads : {1, 2, 8}) {
    std::vector<std::atomic<int>> hits(100);
    ASSERT_TRUE(ParallelFor(100, threads, [&](int64_t i) {
                  hits[i]++;
                  return Status();
                }).ok());
    for (auto& h : hits) EXPECT_EQ(h.load(), 1);
    // Items 30 and 60 fail: 30's error wins whichever thread saw which first.
    Status s = ParallelFor(100, threads, [&](int64_t i) -> Status {
      if (i == 30 || i == 60) return InternalError("item " + std::to_string(i));
      return Status();
    });
    EXPECT_EQ(s.message(), "item 30") << threads;
  }
  EXPECT_TRUE(ParallelFor(0, 4, [](int64_t) { return InternalError("never"); }).ok());
  EXPECT_GE(HardwareConcurrency(), 1);
}

#if defined(__linux__)
// A process confined to one CPU (taskset, a container's cpuset) counts one, however many the
// machine has. The check runs in a fresh copy of this binary (threadsafe death-test style),
// whose count is not yet cached, confined before its first call.
TEST(HardwareConcurrency, CountsOnlyTheCpusTheProcessMayUse) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(0, &set);
        if (sched_setaffinity(0, sizeof(set), &set) != 0) std::_Exit(2);
        std::_Exit(HardwareConcurrency() == 1 ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}
#endif

TEST(Crc32cCombine, JoinsPiecesAtEverySplit) {
  std::string data(70000, '\0');
  uint32_t x = 12345;
  for (char& ch : data) ch = static_cast<char>((x = x * 1103515245 + 12345) >> 16);
  const uint32_t whole = crc32c::Value(data);
  for (size_t split : {size_t{0}, size_t{1}, size_t{7}, size_t{4096}, size_t{65536},
                       data.size() - 1, data.size()}) {
    uint32_t a = crc32c::Value(data.data(), split);
    uint32_t b = crc32c::Value(data.data() + split, data.size() - split);
    EXPECT_EQ(crc32c::Combine(a, b, data.size() - split), whole) << split;
  }
  // Three pieces joined left to right.
  uint32_t c = crc32c::Combine(crc32c::Value(data.data(), 100),
                               crc32c::Value(data.data() + 100, 30000), 30000);
  c = crc32c::Combine(c, crc32c::Value(data.data() + 30100, data.size() - 30100),
                      data.size() - 30100);
  EXPECT_EQ(c, whole);
  // A zero-length second piece leaves the first unchanged; an empty first piece gives the second.
  EXPECT_EQ(crc32c::Combine(whole, 0, 0), whole);
  EXPECT_EQ(crc32c::Combine(0, whole, data.size()), whole);
}

}  // namespace
}  // namespace ckpt
