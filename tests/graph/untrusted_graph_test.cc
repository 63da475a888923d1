// Running graphs that are not trusted: RunOptions (deadline, cancellation, memory limit) and
// SessionOptions::file_access, against hostile graphs: a While that never ends, huge shapes
// from feeds, reads of files outside the allowed directories (RestoreV2, ReadFile, "..",
// symbolic links) and writes anywhere (SaveV2, WriteFile).
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "ckpt/core/file_access.h"
#include "ckpt/graph/session.h"
#include "graph/test_util.h"
#include "testutil/hostile_graph.h"
#include "testutil/temp_dir.h"

namespace ckpt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testutil::Values;

Graph HostileGraph() {
  auto g = Graph::FromGraphDef(testutil::HostileGraphDef().SerializeAsString());
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  return std::move(g).value();
}

Tensor Str(const std::string& s) { return Tensor::StringScalar(s); }
Tensor Dims(std::vector<int32_t> d) {
  return Tensor::FromVector<int32_t>(d, TensorShape{static_cast<int64_t>(d.size())});
}

TEST(RunLimits, DeadlineStopsAWhileThatNeverEnds) {
  Graph g = HostileGraph();
  auto s = Session::Create(&g);
  ASSERT_TRUE(s.ok());
  RunOptions ro;
  ro.timeout_ms = 200;
  const auto start = std::chrono::steady_clock::now();
  auto r = (*s)->Run({{"i:0", Tensor::Scalar<int32_t>(0)}}, {"spin:0"}, {}, ro);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("node spin (StatelessWhile)"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("deadline of 200 ms"));
  EXPECT_GE(secs, 0.2);
  EXPECT_LT(secs, 5.0);
  // The session stays usable.
  auto ok = (*s)->Run({{"dims:0", Dims({2})}}, {"fill:0"}, {}, ro);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_THAT(Values<float>((*ok)[0]), ElementsAre(0, 0));
}

TEST(RunLimits, CancelFlagStopsTheRunFromAnotherThread) {
  Graph g = HostileGraph();
  auto s = Session::Create(&g);
  ASSERT_TRUE(s.ok());
  std::atomic<bool> cancel{false};
  RunOptions ro;
  ro.cancel = &cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cancel = true;
  });
  auto r = (*s)->Run({{"i:0", Tensor::Scalar<int32_t>(0)}}, {"spin:0"}, {}, ro);
  canceller.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled) << r.status().ToString();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("spin"));
  // Already cancelled: the next run stops before its first op.
  r = (*s)->Run({{"dims:0", Dims({2})}}, {"fill:0"}, {}, ro);
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
}

TEST(RunLimits, MemoryLimitRefusesHugeShapesFromFeedsBeforeAllocating) {
  Graph g = HostileGraph();
  auto s = Session::Create(&g);
  ASSERT_TRUE(s.ok());
  RunOptions ro;
  ro.memory_limit_bytes = 64 << 20;
  // 2^20 x 2^14 floats: 64 GiB, more than this machine has.
  auto r = (*s)->Run({{"dims:0", Dims({1 << 20, 1 << 14})}}, {"fill:0"}, {}, ro);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status().ToString();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("node fill (Fill)"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("memory limit of 67108864 bytes"));
  // Just over the limit fails too; under it runs, and again (recycled buffers are not charged
  // twice).
  r = (*s)->Run({{"dims:0", Dims({(16 << 20) + 1})}}, {"fill:0"}, {}, ro);
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status().ToString();
  for (int i = 0; i < 3; ++i) {
    r = (*s)->Run({{"dims:0", Dims({1 << 20})}}, {"fill:0"}, {}, ro);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)[0].shape(), TensorShape({1 << 20}));
  }
  ro.memory_limit_bytes = -1;
  EXPECT_EQ((*s)->Run({}, {"zero:0"}, {}, ro).status().code(), StatusCode::kInvalidArgument);
}

class FileAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(model_.path().empty());
    ASSERT_FALSE(outside_.path().empty());
    std::ofstream(model_.path() + "/vocab.txt") << "inside";
    std::ofstream(outside_.path() + "/secret.txt") << "secret";
  }
  std::unique_ptr<Session> Confined(const FileAccessPolicy& policy) {
    SessionOptions so;
    so.file_access = policy;
    auto s = Session::Create(&graph_, so);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return std::move(s).value();
  }
  static void ExpectDenied(const StatusOr<std::vector<Tensor>>& r, const std::string& node,
                           const std::string& path) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(node));
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("'" + path));
  }

  Graph graph_ = HostileGraph();
  testutil::TempDir model_{"untrusted_model"}, outside_{"untrusted_outside"};
};

TEST_F(FileAccessTest, ReadsOnlyInsideTheAllowedDirectory) {
  auto s = Confined(FileAccessPolicy::ReadOnly({model_.path()}));
  auto in = s->Run({{"file:0", Str(model_.path() + "/vocab.txt")}}, {"read:0"});
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ((*in)[0].strings()[0], "inside");

  ExpectDenied(s->Run({{"file:0", Str("/etc/passwd")}}, {"read:0"}), "node read (ReadFile)",
               "/etc/passwd");
  ExpectDenied(s->Run({{"file:0", Str("/etc/passwd")}}, {"restore:0"}), "node restore (RestoreV2)",
               "/etc/passwd");
  const std::string dotdot = model_.path() + "/../" +
                             std::filesystem::path(outside_.path()).filename().string() +
                             "/secret.txt";
  ExpectDenied(s->Run({{"file:0", Str(dotdot)}}, {"read:0"}), "ReadFile", dotdot);
  // A link inside the model's directory that points outside it.
  std::filesystem::create_symlink(outside_.path() + "/secret.txt", model_.path() + "/link.txt");
  ExpectDenied(s->Run({{"file:0", Str(model_.path() + "/link.txt")}}, {"read:0"}), "ReadFile",
               model_.path() + "/link.txt");
}

TEST_F(FileAccessTest, WritesNowhereUnlessAllowed) {
  auto s = Confined(FileAccessPolicy::ReadOnly({model_.path()}));
  const std::string target = outside_.path() + "/written.txt";
  ExpectDenied(s->Run({{"file:0", Str(target)}, {"text:0", Str("x")}}, {}, {"write"}),
               "node write (WriteFile)", target);
  // SaveV2 is refused at its first step, making the prefix's directory.
  ExpectDenied(s->Run({{"file:0", Str(model_.path() + "/ckpt")}}, {}, {"save"}),
               "node save (SaveV2)", model_.path());
  EXPECT_FALSE(std::filesystem::exists(target));
  EXPECT_FALSE(std::filesystem::exists(model_.path() + "/ckpt.index"));

  // With the directory allowed for writing, both ops work, and what SaveV2 wrote restores.
  FileAccessPolicy p = FileAccessPolicy::ReadOnly({model_.path()});
  p.write_dirs = {outside_.path()};
  s = Confined(p);
  auto w = s->Run({{"file:0", Str(target)}, {"text:0", Str("hello")}}, {}, {"write"});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  auto back = s->Run({{"file:0", Str(target)}}, {"read:0"});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ((*back)[0].strings()[0], "hello");
  const std::string prefix = outside_.path() + "/ckpt";
  ASSERT_TRUE(s->Run({{"file:0", Str(prefix)}}, {}, {"save"}).ok());
  auto restored = s->Run({{"file:0", Str(prefix)}}, {"restore:0"});
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_THAT(Values<float>((*restored)[0]), ElementsAre(1));
  // The model's directory is still read-only.
  ExpectDenied(s->Run({{"file:0", Str(model_.path() + "/w")}, {"text:0", Str("x")}}, {}, {"write"}),
               "WriteFile", model_.path() + "/w");
}

TEST_F(FileAccessTest, DefaultSessionIsUnrestricted) {
  auto s = Session::Create(&graph_);
  ASSERT_TRUE(s.ok());
  auto r = (*s)->Run({{"file:0", Str(outside_.path() + "/secret.txt")}}, {"read:0"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].strings()[0], "secret");
  EXPECT_EQ(FileAccessPolicy().DebugString(), "unrestricted");
  EXPECT_EQ(FileAccessPolicy::ReadOnly({"/m"}).DebugString(), "reads only under '/m', no writes");
}

}  // namespace
}  // namespace ckpt
