// Format detection, the TF-checkpoint writer adapter and the temporary-file writer shared by
// the safetensors and npz codecs.
#include "ckpt/format/tensor_files.h"

#include <set>

#include "ckpt/format/bundle.h"
#include "format/convert/tensor_files_internal.h"

namespace ckpt {
namespace internal {

Status ReadExact(const RandomAccessFile& file, uint64_t offset, uint64_t n, char* dst,
                 const std::string& what) {
  uint64_t done = 0;
  while (done < n) {
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(n - done, uint64_t{1} << 30));
    std::string_view got;
    CKPT_RETURN_IF_ERROR(file.Read(offset + done, chunk, &got, dst + done));
    if (got.size() != chunk) {
      return DataLossError(file.path() + ": truncated reading " + what + " (" + std::to_string(n) +
                           " bytes at offset " + std::to_string(offset) + ", file has " +
                           std::to_string(file.Size()) + ")");
    }
    if (got.data() != dst + done) std::memcpy(dst + done, got.data(), chunk);
    done += chunk;
  }
  return Status();
}

StreamingFileWriter::~StreamingFileWriter() {
  if (!finished_ && !tmp_.empty()) {
    if (file_ != nullptr) file_->Close().IgnoreError();
    env_->DeleteFile(tmp_).IgnoreError();
  }
}

Status StreamingFileWriter::Open() {
  std::set<std::string_view> names;
  for (const auto& e : entries_) {
    if (e.name.empty()) return InvalidArgumentError("empty tensor name (writing " + path_ + ")");
    if (!names.insert(e.name).second) {
      return InvalidArgumentError("duplicate tensor name " + e.name + " (writing " + path_ + ")");
    }
  }
  std::string dir = path::Dirname(path_);
  if (!dir.empty()) CKPT_RETURN_IF_ERROR(env_->RecursivelyCreateDir(dir));
  tmp_ = path_ + ".tmp" + std::to_string(TempNameRandom());
  CKPT_ASSIGN_OR_RETURN(file_, env_->NewWritableFile(tmp_));
  return Status();
}

Status StreamingFileWriter::Append(std::string_view data) {
  written_ += data.size();
  return file_->Append(data);
}

Status StreamingFileWriter::Add(const Tensor& tensor) {
  if (finished_ || file_ == nullptr)
    return FailedPreconditionError("writer of " + path_ + " is closed");
  if (next_ >= entries_.size()) {
    return InvalidArgumentError("more tensors than announced (writing " + path_ + ")");
  }
  const TensorFileEntry& e = entries_[next_];
  if (tensor.dtype() != e.dtype || tensor.shape() != e.shape) {
    return InvalidArgumentError("tensor " + e.name + ": got " +
                                std::string(DataTypeName(tensor.dtype())) +
                                tensor.shape().DebugString() + ", announced " +
                                std::string(DataTypeName(e.dtype)) + e.shape.DebugString());
  }
  ++next_;
  return WriteTensor(e, tensor);
}

Status StreamingFileWriter::Finish() {
  if (finished_ || file_ == nullptr)
    return FailedPreconditionError("writer of " + path_ + " is closed");
  if (next_ != entries_.size()) {
    return FailedPreconditionError("only " + std::to_string(next_) + " of " +
                                   std::to_string(entries_.size()) + " tensors added to " + path_);
  }
  CKPT_RETURN_IF_ERROR(WriteTrailer());
  CKPT_RETURN_IF_ERROR(file_->Sync());
  CKPT_RETURN_IF_ERROR(file_->Close());
  CKPT_RETURN_IF_ERROR(env_->RenameFile(tmp_, path_));
  finished_ = true;
  return Status();
}

}  // namespace internal

namespace {

// TensorFileWriter over a BundleWriter (which has its own temporary files and renames).
class BundleFileWriter final : public TensorFileWriter {
 public:
  BundleFileWriter(std::unique_ptr<BundleWriter> w, std::vector<TensorFileEntry> entries)
      : writer_(std::move(w)), entries_(std::move(entries)) {}
  Status Add(const Tensor& tensor) override {
    if (next_ >= entries_.size()) return InvalidArgumentError("more tensors than announced");
    return writer_->Add(entries_[next_++].name, tensor);
  }
  Status Finish() override { return writer_->Finish(); }

 private:
  std::unique_ptr<BundleWriter> writer_;
  std::vector<TensorFileEntry> entries_;
  size_t next_ = 0;
};

}  // namespace

TensorFileFormat TensorFileFormatFromPath(std::string_view path) {
  if (path.ends_with(".safetensors")) return TensorFileFormat::kSafetensors;
  if (path.ends_with(".npz")) return TensorFileFormat::kNpz;
  return TensorFileFormat::kTensorFlow;
}

std::string_view TensorFileFormatName(TensorFileFormat format) {
  switch (format) {
    case TensorFileFormat::kAuto: return "auto";
    case TensorFileFormat::kTensorFlow: return "tf";
    case TensorFileFormat::kSafetensors: return "safetensors";
    case TensorFileFormat::kNpz: return "npz";
  }
  return "?";
}

StatusOr<TensorFileFormat> TensorFileFormatFromName(std::string_view name) {
  if (name.empty()) return TensorFileFormat::kAuto;
  for (TensorFileFormat f : {TensorFileFormat::kAuto, TensorFileFormat::kTensorFlow,
                             TensorFileFormat::kSafetensors, TensorFileFormat::kNpz}) {
    if (name == TensorFileFormatName(f)) return f;
  }
  return InvalidArgumentError("unknown format '" + std::string(name) + "' (tf, safetensors, npz)");
}

StatusOr<std::unique_ptr<CheckpointReader>> OpenTensorFile(Env* env, const std::string& path,
                                                           TensorFileFormat format) {
  if (format == TensorFileFormat::kAuto) format = TensorFileFormatFromPath(path);
  switch (format) {
    case TensorFileFormat::kSafetensors: {
      CKPT_ASSIGN_OR_RETURN(auto r, SafetensorsReader::Open(env, path));
      return std::unique_ptr<CheckpointReader>(std::move(r));
    }
    case TensorFileFormat::kNpz: return OpenNpz(env, path);
    default: return OpenCheckpoint(env, path);
  }
}

StatusOr<std::unique_ptr<TensorFileWriter>> TensorFileWriter::Create(
    Env* env, const std::string& path, TensorFileFormat format,
    std::vector<TensorFileEntry> entries, std::map<std::string, std::string> metadata) {
  if (format == TensorFileFormat::kAuto) format = TensorFileFormatFromPath(path);
  switch (format) {
    case TensorFileFormat::kSafetensors:
      return internal::CreateSafetensorsWriter(env, path, std::move(entries), metadata);
    case TensorFileFormat::kNpz: return internal::CreateNpzWriter(env, path, std::move(entries));
    default: {
      std::set<std::string_view> names;
      for (const auto& e : entries) {
        if (!names.insert(e.name).second) {
          return InvalidArgumentError("duplicate tensor name " + e.name + " (writing " + path +
                                      ")");
        }
        if (!DataTypeIsPod(e.dtype) && e.dtype != DataType::kString) {
          return InvalidArgumentError("tensor " + e.name + ": a TF checkpoint cannot hold dtype " +
                                      std::string(DataTypeName(e.dtype)));
        }
      }
      CKPT_ASSIGN_OR_RETURN(auto w, BundleWriter::Create(env, path));
      return std::unique_ptr<TensorFileWriter>(
          new BundleFileWriter(std::move(w), std::move(entries)));
    }
  }
}

}  // namespace ckpt
