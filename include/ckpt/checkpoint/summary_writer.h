// SummaryWriter: TensorBoard event files of scalars (tf.summary.scalar), readable by
// `tensorboard --logdir` and TensorBoard's EventAccumulator.
//
// A writer creates `LOGDIR/events.out.tfevents.<seconds>.<host>.<pid>.<n>` (as TensorFlow
// names them), whose first event holds file_version "brain.Event:2". Each record is TFRecord
// framing: uint64 length (little-endian), masked CRC32C of those 8 bytes, the serialized
// `tensorflow.Event`, masked CRC32C of it. Scalars are `Summary.Value.simple_value` (float32,
// as TF's v1 scalar summaries).
//
// Crash safety: each Add* call appends whole records and flushes them to the OS, so a killed
// process loses nothing already returned; a torn last record (power loss without `sync`) is
// skipped by TensorBoard's reader. With `sync`, every Flush is also an fsync.
//
// Thread safety: all methods are safe to call concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "ckpt/core/env.h"
#include "ckpt/core/status.h"

namespace ckpt {

struct SummaryWriterOptions {
  // fsync the file on every flush. Default: false (flushed to the OS only).
  bool sync = false;
  // Appended to the file name (TF's filename_suffix). Default: "".
  std::string filename_suffix;
};

class SummaryWriter {
 public:
  // Creates `logdir` (and parents) and a new event file in it, and writes the file_version
  // event. Env errors name the file. `env` must outlive the writer.
  static StatusOr<std::unique_ptr<SummaryWriter>> Create(Env* env, const std::string& logdir,
                                                         const SummaryWriterOptions& options = {});
  // Closes the file (errors are dropped; call Close() to see them).
  ~SummaryWriter();
  SummaryWriter(const SummaryWriter&) = delete;
  SummaryWriter& operator=(const SummaryWriter&) = delete;

  // One event at `step` holding the scalar `tag` = `value` (stored as float32), stamped with
  // the Env's clock (or `wall_time` seconds when >= 0). InvalidArgument for an empty tag;
  // FailedPrecondition after Close.
  Status AddScalar(std::string_view tag, double value, int64_t step, double wall_time = -1);
  // One event at `step` holding every scalar of `values` (one plot per tag).
  Status AddScalars(const std::map<std::string, double>& values, int64_t step,
                    double wall_time = -1);
  Status Flush();
  Status Close();
  // The event file's path.
  const std::string& path() const { return path_; }

 private:
  SummaryWriter(Env* env, std::string path, SummaryWriterOptions options)
      : env_(env), path_(std::move(path)), options_(std::move(options)) {}
  Status WriteRecordLocked(std::string_view data);
  Status FlushLocked();

  Env* env_;
  std::string path_;
  SummaryWriterOptions options_;
  std::mutex mu_;
  std::unique_ptr<WritableFile> file_;  // null after Close
};

// Appends one TFRecord (length, masked CRC32C of the length, data, masked CRC32C of the data)
// to `out`.
void AppendTfRecord(std::string_view data, std::string* out);

}  // namespace ckpt
