#include "ckpt/checkpoint/summary_writer.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "checkpoint/checkpoint_files.h"
#include "ckpt/core/crc32c.h"
#include "tensorflow/core/util/event.pb.h"

namespace ckpt {
namespace {

void PutFixed(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

}  // namespace

void AppendTfRecord(std::string_view data, std::string* out) {
  const size_t start = out->size();
  PutFixed(out, data.size(), 8);
  PutFixed(out, crc32c::Mask(crc32c::Value(out->data() + start, 8)), 4);
  out->append(data);
  PutFixed(out, crc32c::Mask(crc32c::Value(data)), 4);
}

StatusOr<std::unique_ptr<SummaryWriter>> SummaryWriter::Create(
    Env* env, const std::string& logdir, const SummaryWriterOptions& options) {
  CKPT_RETURN_IF_ERROR(env->RecursivelyCreateDir(logdir));
  // TF: events.out.tfevents.<time>.<host>.<pid>.<counter><suffix>; the counter keeps two
  // writers of one process apart.
  static std::atomic<int> counter{0};
  const uint64_t now = env->NowMicros();
  char name[512];
  std::snprintf(name, sizeof name, "events.out.tfevents.%010llu.%s.%d.%d%s",
                static_cast<unsigned long long>(now / 1000000), HostName().c_str(),
                static_cast<int>(getpid()), counter.fetch_add(1), options.filename_suffix.c_str());
  std::unique_ptr<SummaryWriter> w(new SummaryWriter(env, path::Join(logdir, name), options));
  CKPT_ASSIGN_OR_RETURN(w->file_, env->NewWritableFile(w->path_));
  tensorflow::Event first;
  first.set_wall_time(now / 1e6);
  first.set_file_version("brain.Event:2");
  std::lock_guard<std::mutex> l(w->mu_);
  CKPT_RETURN_IF_ERROR(w->WriteRecordLocked(first.SerializeAsString()));
  CKPT_RETURN_IF_ERROR(w->FlushLocked());
  return w;
}

SummaryWriter::~SummaryWriter() { Close().IgnoreError(); }

Status SummaryWriter::AddScalar(std::string_view tag, double value, int64_t step,
                                double wall_time) {
  return AddScalars({{std::string(tag), value}}, step, wall_time);
}

Status SummaryWriter::AddScalars(const std::map<std::string, double>& values, int64_t step,
                                 double wall_time) {
  tensorflow::Event e;
  e.set_wall_time(wall_time >= 0 ? wall_time : env_->NowMicros() / 1e6);
  e.set_step(step);
  for (const auto& [tag, value] : values) {
    if (tag.empty()) return InvalidArgumentError("empty summary tag (writing " + path_ + ")");
    // Event is a proto3 message: a tag that is not UTF-8 would make the event unreadable.
    if (!internal::IsValidUtf8(tag)) {
      return InvalidArgumentError("summary tag '" + tag + "' is not valid UTF-8 (writing " + path_ +
                                  ")");
    }
    auto* v = e.mutable_summary()->add_value();
    v->set_tag(tag);
    v->set_simple_value(static_cast<float>(value));
  }
  std::lock_guard<std::mutex> l(mu_);
  CKPT_RETURN_IF_ERROR(WriteRecordLocked(e.SerializeAsString()));
  return FlushLocked();
}

Status SummaryWriter::Flush() {
  std::lock_guard<std::mutex> l(mu_);
  return FlushLocked();
}

Status SummaryWriter::Close() {
  std::lock_guard<std::mutex> l(mu_);
  if (file_ == nullptr) return Status();
  Status s = options_.sync ? file_->Sync() : Status();
  s.Update(file_->Close());
  file_.reset();
  return s.ok() ? s : s.WithContext("closing " + path_);
}

Status SummaryWriter::WriteRecordLocked(std::string_view data) {
  if (file_ == nullptr) return FailedPreconditionError("summary writer of " + path_ + " is closed");
  std::string record;
  AppendTfRecord(data, &record);
  Status s = file_->Append(record);
  return s.ok() ? s : s.WithContext("writing " + path_);
}

Status SummaryWriter::FlushLocked() {
  if (file_ == nullptr) return FailedPreconditionError("summary writer of " + path_ + " is closed");
  Status s = options_.sync ? file_->Sync() : file_->Flush();
  return s.ok() ? s : s.WithContext("flushing " + path_);
}

}  // namespace ckpt
