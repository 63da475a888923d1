#include "ckpt/core/file_pattern.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ckpt {
namespace {

using ::testing::ElementsAre;

TEST(FilePattern, WhatIsAPattern) {
  EXPECT_TRUE(IsFilePattern("model-?????-of-00002"));
  EXPECT_TRUE(IsFilePattern("export*"));
  // The case the V1 reader, the checkpoint directory code and the Saver disagreed on.
  EXPECT_TRUE(IsFilePattern("ckpt-[0-9]"));
  EXPECT_FALSE(IsFilePattern("dir/ckpt-12"));
  EXPECT_FALSE(IsFilePattern(""));
}

TEST(FilePattern, MatchesLikeFnmatch) {
  EXPECT_TRUE(FilePatternMatch("ckpt-[0-9]", "ckpt-7"));
  EXPECT_FALSE(FilePatternMatch("ckpt-[0-9]", "ckpt-x"));
  EXPECT_FALSE(FilePatternMatch("ckpt-[0-9]", "ckpt-[0-9]"));
  EXPECT_TRUE(FilePatternMatch("ckpt-[!0-9]", "ckpt-x"));
  EXPECT_TRUE(FilePatternMatch("?????-of-?????", "00000-of-00002"));
  EXPECT_FALSE(FilePatternMatch("?????-of-?????", "00000-of-00002.tempstate1"));
  EXPECT_TRUE(FilePatternMatch("a*b", "ab"));
  EXPECT_TRUE(FilePatternMatch("a*b", "axyzb"));
  EXPECT_FALSE(FilePatternMatch("a*", "a/b"));  // no wildcard crosses '/'
  EXPECT_TRUE(FilePatternMatch("plain", "plain"));
  EXPECT_FALSE(FilePatternMatch("plain", "plainer"));
}

TEST(FilePattern, MatchingFilesListsSortedMatches) {
  auto env = NewMemEnv();
  ASSERT_TRUE(env->RecursivelyCreateDir("/d/sub").ok());
  for (const char* f : {"/d/ckpt-3", "/d/ckpt-1", "/d/ckpt-10", "/d/other"}) {
    ASSERT_TRUE(env->WriteStringToFile(f, "x").ok());
  }
  auto m = MatchingFiles(env.get(), "/d/ckpt-[0-9]");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_THAT(*m, ElementsAre("/d/ckpt-1", "/d/ckpt-3"));
  m = MatchingFiles(env.get(), "/d/ckpt-*");
  ASSERT_TRUE(m.ok());
  EXPECT_THAT(*m, ElementsAre("/d/ckpt-1", "/d/ckpt-10", "/d/ckpt-3"));
  // A plain path: itself when it is a file, nothing for a directory or a missing file.
  m = MatchingFiles(env.get(), "/d/other");
  ASSERT_TRUE(m.ok());
  EXPECT_THAT(*m, ElementsAre("/d/other"));
  EXPECT_TRUE(MatchingFiles(env.get(), "/d/sub")->empty());
  EXPECT_TRUE(MatchingFiles(env.get(), "/d/missing")->empty());
  EXPECT_TRUE(MatchingFiles(env.get(), "/nowhere/ckpt-*")->empty());
  // Only the file name may be a pattern.
  EXPECT_EQ(MatchingFiles(env.get(), "/d/s*/ckpt-1").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ckpt
