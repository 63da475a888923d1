// NewRestrictedEnv (ckpt/core/file_access.h): which calls a policy lets through to the Env
// below and how a refusal reads.
#include "ckpt/core/file_access.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "testutil/temp_dir.h"

namespace ckpt {
namespace {

using ::testing::HasSubstr;

TEST(RestrictedEnv, AllowsReadsAndWritesOnlyWhereThePolicySays) {
  testutil::TempDir ro("fa_ro"), rw("fa_rw"), other("fa_other");
  std::ofstream(ro.path() + "/a") << "a";
  std::ofstream(other.path() + "/b") << "b";
  FileAccessPolicy p = FileAccessPolicy::ReadOnly({ro.path()});
  p.write_dirs = {rw.path()};
  auto env = NewRestrictedEnv(Env::Default(), p);

  EXPECT_TRUE(env->FileExists(ro.path() + "/a"));
  EXPECT_TRUE(env->NewRandomAccessFile(ro.path() + "/a").ok());
  EXPECT_TRUE(env->GetChildren(ro.path()).ok());
  // Outside the policy every path "exists", so that opening it reports the refusal.
  EXPECT_TRUE(env->FileExists(other.path() + "/b"));
  EXPECT_TRUE(env->FileExists(other.path() + "/no-such-file"));
  EXPECT_FALSE(env->IsDirectory(other.path()));
  auto denied = env->NewRandomAccessFile(other.path() + "/b");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(denied.status().message()),
              HasSubstr("reading '" + other.path() + "/b' is not allowed: reads only under '" +
                        ro.path() + "'; reads and writes under '" + rw.path() + "'"));
  // A prefix of an allowed directory's name is not inside it.
  EXPECT_EQ(env->GetFileSize(ro.path() + "x/a").status().code(), StatusCode::kPermissionDenied);

  EXPECT_EQ(env->NewWritableFile(ro.path() + "/new").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(env->DeleteFile(ro.path() + "/a").code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(std::filesystem::exists(ro.path() + "/a"));
  auto w = env->NewWritableFile(rw.path() + "/new");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE((*w)->Append("x").ok());
  ASSERT_TRUE((*w)->Close().ok());
  // Renaming out of the writable directory, or onto a file outside it, is refused.
  EXPECT_EQ(env->RenameFile(rw.path() + "/new", other.path() + "/new").code(),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(env->RenameFile(rw.path() + "/new", rw.path() + "/renamed").ok());
  EXPECT_TRUE(env->RecursivelyCreateDir(rw.path() + "/x/y").ok());
  EXPECT_EQ(env->RecursivelyCreateDir(other.path() + "/x").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(env->LockFile(other.path() + "/lock").status().code(), StatusCode::kPermissionDenied);
}

TEST(RestrictedEnv, RelativePathsDotDotAndLinksAreResolvedFirst) {
  testutil::TempDir ro("fa_ro"), other("fa_other");
  std::ofstream(other.path() + "/secret") << "s";
  auto env = NewRestrictedEnv(Env::Default(), FileAccessPolicy::ReadOnly({ro.path() + "/./"}));
  const std::string up =
      ro.path() + "/../" + std::filesystem::path(other.path()).filename().string() + "/secret";
  EXPECT_EQ(env->NewRandomAccessFile(up).status().code(), StatusCode::kPermissionDenied);
  std::filesystem::create_directory_symlink(other.path(), ro.path() + "/sub");
  EXPECT_EQ(env->NewRandomAccessFile(ro.path() + "/sub/secret").status().code(),
            StatusCode::kPermissionDenied);
  // A link that stays inside is fine.
  std::ofstream(ro.path() + "/real") << "r";
  std::filesystem::create_symlink(ro.path() + "/real", ro.path() + "/alias");
  EXPECT_TRUE(env->NewRandomAccessFile(ro.path() + "/alias").ok());
  // A relative allowed directory is taken against the working directory.
  auto cwd = NewRestrictedEnv(Env::Default(), FileAccessPolicy::ReadOnly({"."}));
  EXPECT_TRUE(cwd->IsDirectory(std::filesystem::current_path().string()));
  EXPECT_EQ(cwd->GetFileSize(other.path() + "/secret").status().code(),
            StatusCode::kPermissionDenied);
}

TEST(RestrictedEnv, UnrestrictedPolicyForwardsEverything) {
  testutil::TempDir d("fa_all");
  auto env = NewRestrictedEnv(Env::Default(), FileAccessPolicy{});
  EXPECT_TRUE(env->NewWritableFile(d.path() + "/x").ok());
  EXPECT_TRUE(env->FileExists(d.path() + "/x"));
}

}  // namespace
}  // namespace ckpt
