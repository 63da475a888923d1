// SummaryWriter's event files, read back record by record (framing, CRCs, Event protos), and
// CheckpointManagerOptions::summary_dir. TensorBoard's own reader:
// tests/python/test_tensorboard.py.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ckpt/checkpoint/checkpoint_manager.h"
#include "ckpt/checkpoint/summary_writer.h"
#include "ckpt/core/crc32c.h"
#include "tensorflow/core/util/event.pb.h"

namespace ckpt {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

uint64_t LE(const std::string& s, size_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
  return v;
}

// Parses every record of an event file, checking both CRCs of each.
std::vector<tensorflow::Event> ReadEvents(Env* env, const std::string& path) {
  auto data = env->ReadFileToString(path);
  EXPECT_TRUE(data.ok());
  std::vector<tensorflow::Event> events;
  size_t pos = 0;
  while (data.ok() && pos < data->size()) {
    EXPECT_LE(pos + 12, data->size());
    uint64_t len = LE(*data, pos, 8);
    EXPECT_EQ(crc32c::Unmask(static_cast<uint32_t>(LE(*data, pos + 8, 4))),
              crc32c::Value(data->data() + pos, 8));
    std::string payload = data->substr(pos + 12, len);
    EXPECT_EQ(crc32c::Unmask(static_cast<uint32_t>(LE(*data, pos + 12 + len, 4))),
              crc32c::Value(payload));
    tensorflow::Event e;
    EXPECT_TRUE(e.ParseFromString(payload));
    events.push_back(e);
    pos += 16 + len;
  }
  return events;
}

std::vector<std::string> EventFiles(Env* env, const std::string& dir) {
  std::vector<std::string> files;
  auto c = env->GetChildren(dir);
  if (c.ok()) {
    for (const auto& f : *c) {
      if (f.starts_with("events.out.tfevents.")) files.push_back(path::Join(dir, f));
    }
  }
  return files;
}

TEST(SummaryWriterTest, WritesFileVersionThenScalars) {
  auto env = NewMemEnv();
  auto w = SummaryWriter::Create(env.get(), "/logs/train");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_THAT(path::Basename((*w)->path()), StartsWith("events.out.tfevents."));
  ASSERT_TRUE((*w)->AddScalar("loss", 0.5, 10, /*wall_time=*/123.25).ok());
  ASSERT_TRUE((*w)->AddScalars({{"acc", 0.75}, {"loss", 0.25}}, 20).ok());
  EXPECT_TRUE(IsInvalidArgument((*w)->AddScalar("", 1, 1)));
  const std::string path = (*w)->path();
  // Flushed already: readable before Close.
  auto events = ReadEvents(env.get(), path);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].file_version(), "brain.Event:2");
  EXPECT_EQ(events[1].step(), 10);
  EXPECT_EQ(events[1].wall_time(), 123.25);
  ASSERT_EQ(events[1].summary().value_size(), 1);
  EXPECT_EQ(events[1].summary().value(0).tag(), "loss");
  EXPECT_EQ(events[1].summary().value(0).simple_value(), 0.5f);
  EXPECT_EQ(events[2].step(), 20);
  ASSERT_EQ(events[2].summary().value_size(), 2);
  EXPECT_EQ(events[2].summary().value(0).tag(), "acc");
  EXPECT_EQ(events[2].summary().value(1).simple_value(), 0.25f);
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_EQ((*w)->AddScalar("x", 1, 1).code(), StatusCode::kFailedPrecondition);
}

// Event is proto3: a tag that is not UTF-8 would make the event unparsable, so it is refused
// and nothing is written.
TEST(SummaryWriterTest, NonUtf8TagIsRefused) {
  auto env = NewMemEnv();
  auto w = SummaryWriter::Create(env.get(), "/logs");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  Status s = (*w)->AddScalars({{"lo\xf3s", 1.0}, {"ok", 2.0}}, 1);
  EXPECT_TRUE(IsInvalidArgument(s)) << s.ToString();
  EXPECT_THAT(std::string(s.message()), HasSubstr("not valid UTF-8"));
  ASSERT_TRUE((*w)->AddScalar("caf\xc3\xa9", 1.0, 2).ok());
  auto events = ReadEvents(env.get(), (*w)->path());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].summary().value(0).tag(), "caf\xc3\xa9");
}

TEST(SummaryWriterTest, TwoWritersGetTwoFiles) {
  auto env = NewMemEnv();
  auto a = SummaryWriter::Create(env.get(), "/l");
  auto b = SummaryWriter::Create(env.get(), "/l");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->path(), (*b)->path());
  EXPECT_EQ(EventFiles(env.get(), "/l").size(), 2u);
}

TEST(SummaryWriterTest, ManagerRecordsEachSavesMetrics) {
  auto env = NewMemEnv();
  CheckpointManagerOptions o;
  o.summary_dir = "/run/train";
  o.writer_options.sync = false;
  {
    auto m = CheckpointManager::Open(env.get(), "/run", o);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    Tensor w = Tensor::FromVector<float>({1, 2}, {2});
    ASSERT_TRUE((*m)->Save(1, {{"w", w}}, {.metrics = {{"loss", 2.0}}}).ok());
    ASSERT_TRUE((*m)->Save(2, {{"w", w}}).ok());  // no metrics: no event
    ASSERT_TRUE((*m)->SaveAsync(3, {{"w", w}}, {.metrics = {{"loss", 1.0}, {"acc", 0.5}}}).ok());
    ASSERT_TRUE((*m)->Wait().ok());
  }
  auto files = EventFiles(env.get(), "/run/train");
  ASSERT_EQ(files.size(), 1u);
  auto events = ReadEvents(env.get(), files[0]);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].step(), 1);
  EXPECT_EQ(events[1].summary().value(0).simple_value(), 2.0f);
  EXPECT_EQ(events[2].step(), 3);
  EXPECT_EQ(events[2].summary().value_size(), 2);
}

}  // namespace
}  // namespace ckpt
