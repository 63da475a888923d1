// safetensors reading and writing (format: include/ckpt/format/tensor_files.h).
#include <algorithm>
#include <nlohmann/json.hpp>

#include "ckpt/format/tensor_files.h"
#include "format/bool_bytes.h"
#include "format/convert/tensor_files_internal.h"

namespace ckpt {
namespace {

using nlohmann::json;

struct DtypeName {
  DataType dtype;
  std::string_view name;
};
constexpr DtypeName kSafetensorsDtypes[] = {
    {DataType::kBool, "BOOL"},
    {DataType::kUInt8, "U8"},
    {DataType::kInt8, "I8"},
    {DataType::kUInt16, "U16"},
    {DataType::kInt16, "I16"},
    {DataType::kHalf, "F16"},
    {DataType::kBFloat16, "BF16"},
    {DataType::kUInt32, "U32"},
    {DataType::kInt32, "I32"},
    {DataType::kFloat, "F32"},
    {DataType::kUInt64, "U64"},
    {DataType::kInt64, "I64"},
    {DataType::kDouble, "F64"},
    {DataType::kComplex64, "C64"},
    {DataType::kFloat8E5M2, "F8_E5M2"},
    {DataType::kFloat8E4M3FN, "F8_E4M3"},
};

// The safetensors library refuses headers over 100 MB; so do we (before allocating).
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

struct StEntry {
  CheckpointTensorInfo info;
  uint64_t begin = 0, end = 0;  // relative to the data section
};

class SafetensorsReaderImpl final : public internal::EntryTableReader<SafetensorsReader, StEntry> {
 public:
  StatusOr<Tensor> Lookup(std::string_view name) const override {
    const StEntry* e = Find(name);
    if (e == nullptr) return NotFoundError("tensor " + std::string(name) + " not in " + path_);
    CKPT_ASSIGN_OR_RETURN(Tensor t, Tensor::AllocateUninitialized(e->info.dtype, e->info.shape));
    CKPT_RETURN_IF_ERROR(internal::ReadExact(*file_, data_start_ + e->begin, e->end - e->begin,
                                             static_cast<char*>(t.raw_data()),
                                             "tensor " + e->info.name));
    if (t.dtype() == DataType::kBool) {
      const std::string bad = internal::InvalidBoolByte(t.raw_data(), t.TotalBytes());
      if (!bad.empty()) return DataLossError(path_ + ": bool tensor " + e->info.name + ": " + bad);
    }
    return t;
  }
  std::string_view format() const override { return "safetensors"; }
  // Open already checked that the offsets tile the data section exactly (the only invariant
  // the format has: it carries no checksums).
  Status VerifyAll() const override { return Status(); }
  const std::map<std::string, std::string>& metadata() const override { return metadata_; }

  Status Init(Env* env, const std::string& path) {
    path_ = path;
    CKPT_ASSIGN_OR_RETURN(file_, env->NewRandomAccessFile(path, {.use_mmap = true}));
    const uint64_t size = file_->Size();
    char len_buf[8];
    if (size < 8)
      return DataLossError(path + ": not a safetensors file (" + std::to_string(size) + " bytes)");
    CKPT_RETURN_IF_ERROR(internal::ReadExact(*file_, 0, 8, len_buf, "header length"));
    const uint64_t n = internal::LoadLE64(len_buf);
    if (n > kMaxHeaderBytes || n > size - 8) {
      return DataLossError(path + ": safetensors header length " + std::to_string(n) +
                           " exceeds the file (" + std::to_string(size) + " bytes) or 100 MB");
    }
    std::string header(n, '\0');
    CKPT_RETURN_IF_ERROR(internal::ReadExact(*file_, 8, n, header.data(), "header"));
    data_start_ = 8 + n;
    const uint64_t data_size = size - data_start_;
    json j = json::parse(header, nullptr, /*allow_exceptions=*/false);
    std::vector<StEntry> entries;
    if (j.is_discarded() || !j.is_object()) {
      return DataLossError(path + ": safetensors header is not a JSON object");
    }
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& key = it.key();
      const json& v = it.value();
      if (key == "__metadata__") {
        if (!v.is_object()) return DataLossError(path + ": __metadata__ is not an object");
        for (auto m = v.begin(); m != v.end(); ++m) {
          if (!m.value().is_string()) {
            return DataLossError(path + ": __metadata__ value of " + m.key() + " is not a string");
          }
          metadata_[m.key()] = m.value().get<std::string>();
        }
        continue;
      }
      auto bad = [&](std::string_view what) {
        return DataLossError(path + ": tensor " + key + ": " + std::string(what));
      };
      if (!v.is_object()) return bad("entry is not an object");
      auto dt = v.find("dtype");
      auto shp = v.find("shape");
      auto off = v.find("data_offsets");
      if (dt == v.end() || !dt->is_string()) return bad("missing string \"dtype\"");
      if (shp == v.end() || !shp->is_array()) return bad("missing array \"shape\"");
      if (off == v.end() || !off->is_array() || off->size() != 2 ||
          !(*off)[0].is_number_unsigned() || !(*off)[1].is_number_unsigned()) {
        return bad("\"data_offsets\" must be two non-negative integers");
      }
      StEntry e;
      e.info.name = key;
      const std::string dname = dt->get<std::string>();
      for (const auto& d : kSafetensorsDtypes) {
        if (d.name == dname) e.info.dtype = d.dtype;
      }
      if (e.info.dtype == DataType::kInvalid) return bad("unsupported dtype \"" + dname + "\"");
      std::vector<int64_t> dims;
      for (const json& d : *shp) {
        if (!d.is_number_unsigned()) return bad("shape holds a non-integer or negative value");
        dims.push_back(static_cast<int64_t>(std::min<uint64_t>(d.get<uint64_t>(), INT64_MAX)));
      }
      auto shape = TensorShape::FromDims(dims);
      if (!shape.ok()) return bad(shape.status().message());
      e.info.shape = *shape;
      e.begin = (*off)[0].get<uint64_t>();
      e.end = (*off)[1].get<uint64_t>();
      const uint64_t bytes =
          static_cast<uint64_t>(shape->num_elements()) * DataTypeSize(e.info.dtype);
      if (e.end < e.begin || e.end - e.begin != bytes || e.end > data_size) {
        return bad("data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                   ") do not match its " + std::to_string(bytes) + " bytes within the " +
                   std::to_string(data_size) + "-byte data section");
      }
      e.info.bytes = static_cast<int64_t>(bytes);
      entries.push_back(std::move(e));
    }
    // As the safetensors library: the tensors tile the data section with no gap or overlap.
    std::vector<const StEntry*> by_offset;
    for (const auto& e : entries) by_offset.push_back(&e);
    std::sort(by_offset.begin(), by_offset.end(), [](const StEntry* a, const StEntry* b) {
      return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    uint64_t expect = 0;
    for (const StEntry* e : by_offset) {
      if (e->begin != expect) {
        return DataLossError(path + ": tensor " + e->info.name + " starts at data offset " +
                             std::to_string(e->begin) + ", expected " + std::to_string(expect) +
                             " (tensors must tile the data section)");
      }
      expect = e->end;
    }
    if (expect != data_size) {
      return DataLossError(path + ": tensors cover " + std::to_string(expect) + " of the " +
                           std::to_string(data_size) + " data bytes");
    }
    return SetEntries(std::move(entries), path);
  }

 private:
  std::string path_;
  std::unique_ptr<RandomAccessFile> file_;
  uint64_t data_start_ = 0;
  std::map<std::string, std::string> metadata_;
};

class SafetensorsWriter final : public internal::StreamingFileWriter {
 public:
  using StreamingFileWriter::StreamingFileWriter;

  Status Start(const std::map<std::string, std::string>& metadata) {
    json header = json::object();
    uint64_t offset = 0;
    for (const auto& e : entries()) {
      uint64_t bytes = static_cast<uint64_t>(e.shape.num_elements()) * DataTypeSize(e.dtype);
      header[e.name] = {{"dtype", std::string(SafetensorsDtypeName(e.dtype))},
                        {"shape", e.shape.dims()},
                        {"data_offsets", {offset, offset + bytes}}};
      offset += bytes;
    }
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::string text = header.dump(-1, ' ', false, json::error_handler_t::strict);
    // Pad with spaces so the data starts 8-byte aligned (as the safetensors library writes).
    text.append((8 - text.size() % 8) % 8, ' ');
    char len[8];
    internal::StoreLE64(len, text.size());
    CKPT_RETURN_IF_ERROR(Append(std::string_view(len, 8)));
    return Append(text);
  }

  Status WriteTensor(const TensorFileEntry& e, const Tensor& t) override {
    return Append(std::string_view(static_cast<const char*>(t.raw_data()), t.TotalBytes()));
  }
};

}  // namespace

std::string_view SafetensorsDtypeName(DataType dtype) {
  for (const auto& d : kSafetensorsDtypes) {
    if (d.dtype == dtype) return d.name;
  }
  return {};
}

StatusOr<std::unique_ptr<SafetensorsReader>> SafetensorsReader::Open(Env* env,
                                                                     const std::string& path) {
  auto r = std::make_unique<SafetensorsReaderImpl>();
  CKPT_RETURN_IF_ERROR(r->Init(env, path));
  return std::unique_ptr<SafetensorsReader>(std::move(r));
}

namespace internal {
StatusOr<std::unique_ptr<TensorFileWriter>> CreateSafetensorsWriter(
    Env* env, const std::string& path, std::vector<TensorFileEntry> entries,
    const std::map<std::string, std::string>& metadata) {
  for (const auto& e : entries) {
    if (SafetensorsDtypeName(e.dtype).empty()) {
      return InvalidArgumentError("tensor " + e.name + ": safetensors cannot hold dtype " +
                                  std::string(DataTypeName(e.dtype)) + " (writing " + path + ")");
    }
  }
  auto w = std::make_unique<SafetensorsWriter>(env, path, std::move(entries));
  CKPT_RETURN_IF_ERROR(w->Open());
  CKPT_RETURN_IF_ERROR(w->Start(metadata));
  return std::unique_ptr<TensorFileWriter>(std::move(w));
}
}  // namespace internal

}  // namespace ckpt
