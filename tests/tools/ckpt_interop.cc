// ckpt_interop: a small driver around the bundle reader/writer for the Python interop tests
// (tests/python/test_tf_interop.py), which compare its results with real TensorFlow.
//
//   ckpt_interop write SPEC.json PREFIX [--alignment N]
//       Writes one single-shard bundle at PREFIX from a JSON spec:
//         {"entries": [ENTRY, ...]}  (added in this order)
//       ENTRY for a whole tensor:
//         {"name": "a/b" | "name_hex": "612f62", "dtype": "float32", "shape": [2, 3],
//          "data_hex": "..." | "data_b64": "..."}          (POD: raw little-endian bytes)
//         {"name": ..., "dtype": "string", "shape": [2], "strings_hex": ["00ff", ""]}
//       ENTRY for a partitioned tensor (each slice goes through BundleWriter::AddSlice):
//         {"name": ..., "dtype": ..., "full_shape": [10, 4],
//          "slices": [{"spec": "0,5:-", "data_hex": ... | "strings_hex": [...]}, ...]}
//   ckpt_interop read PREFIX
//       Prints JSON {"format", "num_shards", "variables": [{"name", "name_hex", "dtype",
//       "shape", "data_hex" | "strings_hex", "slices"}]} for every variable, read through
//       OpenCheckpoint (CheckpointReader: V2 bundles and V1 files; partitioned tensors
//       assembled). For V2, BundleReader must agree (keys, dtypes, shapes, Lookup bytes) and
//       gives "num_shards" and the stored "slices" of partitioned tensors. Every checksum is
//       verified first (VerifyAll).
//   ckpt_interop merge OUT_PREFIX IN_PREFIX...
//       MergeBundles(IN..., OUT).
//
// Exit status 0 on success; 1 with "error: ..." on stderr otherwise; 2 for usage errors.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ckpt/core/dtype.h"
#include "ckpt/core/env.h"
#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"
#include "ckpt/core/tensor_shape.h"
#include "ckpt/format/bundle.h"
#include "ckpt/format/checkpoint_reader.h"
#include "ckpt/format/tensor_slice.h"

namespace {

using nlohmann::json;

using ckpt::DataType;
using ckpt::Status;
using ckpt::StatusOr;
using ckpt::Tensor;
using ckpt::TensorShape;

// ---- byte encodings ------------------------------------------------------------------------

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.resize(bytes.size() * 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 15];
  }
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

StatusOr<std::string> HexDecode(std::string_view hex, std::string_view what) {
  if (hex.size() % 2 != 0) {
    return ckpt::InvalidArgumentError(std::string(what) + ": odd number of hex digits");
  }
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = HexDigit(hex[2 * i]);
    const int lo = HexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return ckpt::InvalidArgumentError(std::string(what) + ": bad hex digit");
    }
    out[i] = static_cast<char>(hi * 16 + lo);
  }
  return out;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

StatusOr<std::string> Base64Decode(std::string_view in, std::string_view what) {
  std::string out;
  out.reserve(in.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=' || c == '\n' || c == '\r') continue;
    const int v = Base64Value(c);
    if (v < 0) return ckpt::InvalidArgumentError(std::string(what) + ": bad base64 character");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

// ---- spec parsing --------------------------------------------------------------------------

StatusOr<std::string> GetName(const json& entry) {
  if (entry.contains("name_hex") && entry["name_hex"].is_string()) {
    return HexDecode(entry["name_hex"].get<std::string>(), "name_hex");
  }
  if (entry.contains("name") && entry["name"].is_string()) return entry["name"].get<std::string>();
  return ckpt::InvalidArgumentError("spec entry without a string \"name\" or \"name_hex\"");
}

StatusOr<TensorShape> GetShape(const json& entry, const char* field, const std::string& name) {
  if (!entry.contains(field) || !entry[field].is_array()) {
    return ckpt::InvalidArgumentError("entry " + name + ": missing array \"" + field + "\"");
  }
  std::vector<int64_t> dims;
  for (const json& d : entry[field]) {
    if (!d.is_number_integer()) {
      return ckpt::InvalidArgumentError("entry " + name + ": non-integer dimension");
    }
    dims.push_back(d.get<int64_t>());
  }
  return TensorShape::FromDims(dims);
}

// Builds the tensor of `dtype`/`shape` from the value fields of `obj` (an entry or a slice).
StatusOr<Tensor> MakeTensor(const json& obj, DataType dtype, const TensorShape& shape,
                            const std::string& name) {
  if (dtype == DataType::kString) {
    if (!obj.contains("strings_hex") || !obj["strings_hex"].is_array()) {
      return ckpt::InvalidArgumentError("entry " + name + ": string tensor needs \"strings_hex\"");
    }
    const json& list = obj["strings_hex"];
    if (static_cast<int64_t>(list.size()) != shape.num_elements()) {
      return ckpt::InvalidArgumentError("entry " + name + ": " + std::to_string(list.size()) +
                                        " strings for shape " + shape.DebugString());
    }
    std::vector<std::string> values;
    values.reserve(list.size());
    for (const json& s : list) {
      if (!s.is_string()) return ckpt::InvalidArgumentError("entry " + name + ": non-string item");
      CKPT_ASSIGN_OR_RETURN(std::string v, HexDecode(s.get<std::string>(), name));
      values.push_back(std::move(v));
    }
    return Tensor::FromStrings(values, shape);
  }
  if (!ckpt::DataTypeIsPod(dtype)) {
    return ckpt::InvalidArgumentError("entry " + name + ": unsupported dtype " +
                                      std::string(ckpt::DataTypeName(dtype)));
  }
  std::string bytes;
  if (obj.contains("data_hex") && obj["data_hex"].is_string()) {
    CKPT_ASSIGN_OR_RETURN(bytes, HexDecode(obj["data_hex"].get<std::string>(), name));
  } else if (obj.contains("data_b64") && obj["data_b64"].is_string()) {
    CKPT_ASSIGN_OR_RETURN(bytes, Base64Decode(obj["data_b64"].get<std::string>(), name));
  } else {
    return ckpt::InvalidArgumentError("entry " + name + ": needs \"data_hex\" or \"data_b64\"");
  }
  CKPT_ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(dtype, shape));
  if (bytes.size() != t.TotalBytes()) {
    return ckpt::InvalidArgumentError("entry " + name + ": " + std::to_string(bytes.size()) +
                                      " bytes of data, expected " + std::to_string(t.TotalBytes()));
  }
  if (!bytes.empty()) std::memcpy(t.raw_data(), bytes.data(), bytes.size());
  return t;
}

Status AddEntry(ckpt::BundleWriter* writer, const json& entry) {
  if (!entry.is_object()) return ckpt::InvalidArgumentError("spec entry is not an object");
  CKPT_ASSIGN_OR_RETURN(std::string name, GetName(entry));
  if (!entry.contains("dtype") || !entry["dtype"].is_string()) {
    return ckpt::InvalidArgumentError("entry " + name + ": missing \"dtype\"");
  }
  const std::string dtype_name = entry["dtype"].get<std::string>();
  const std::optional<DataType> dtype = ckpt::DataTypeFromName(dtype_name);
  if (!dtype) return ckpt::InvalidArgumentError("entry " + name + ": unknown dtype " + dtype_name);

  if (!entry.contains("slices")) {
    CKPT_ASSIGN_OR_RETURN(TensorShape shape, GetShape(entry, "shape", name));
    CKPT_ASSIGN_OR_RETURN(Tensor t, MakeTensor(entry, *dtype, shape, name));
    return writer->Add(name, t);
  }
  CKPT_ASSIGN_OR_RETURN(TensorShape full_shape, GetShape(entry, "full_shape", name));
  if (!entry["slices"].is_array()) {
    return ckpt::InvalidArgumentError("entry " + name + ": \"slices\" is not an array");
  }
  for (const json& s : entry["slices"]) {
    if (!s.is_object() || !s.contains("spec") || !s["spec"].is_string()) {
      return ckpt::InvalidArgumentError("entry " + name + ": slice without a string \"spec\"");
    }
    CKPT_ASSIGN_OR_RETURN(ckpt::TensorSlice slice,
                          ckpt::TensorSlice::Parse(s["spec"].get<std::string>()));
    CKPT_ASSIGN_OR_RETURN(TensorShape slice_shape, slice.SliceShape(full_shape));
    CKPT_ASSIGN_OR_RETURN(Tensor t, MakeTensor(s, *dtype, slice_shape, name));
    CKPT_RETURN_IF_ERROR(writer->AddSlice(name, full_shape, slice, t));
  }
  return Status::OK();
}

Status Write(const std::string& spec_path, const std::string& prefix, int alignment) {
  ckpt::Env* env = ckpt::Env::Default();
  CKPT_ASSIGN_OR_RETURN(std::string text, env->ReadFileToString(spec_path));
  const json spec = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (spec.is_discarded() || !spec.is_object() || !spec.contains("entries") ||
      !spec["entries"].is_array()) {
    return ckpt::InvalidArgumentError(spec_path + ": not a JSON object with an \"entries\" array");
  }
  ckpt::BundleWriterOptions options;
  options.data_alignment = alignment;
  CKPT_ASSIGN_OR_RETURN(std::unique_ptr<ckpt::BundleWriter> writer,
                        ckpt::BundleWriter::Create(env, prefix, options));
  for (const json& entry : spec["entries"]) {
    CKPT_RETURN_IF_ERROR(AddEntry(writer.get(), entry));
  }
  return writer->Finish();
}

// ---- read ----------------------------------------------------------------------------------

json ShapeJson(const TensorShape& shape) {
  json dims = json::array();
  for (int64_t d : shape.dims()) dims.push_back(d);
  return dims;
}

void AddValue(const Tensor& t, json* v) {
  if (t.dtype() == DataType::kString) {
    json strings = json::array();
    for (int64_t i = 0; i < t.num_elements(); ++i) strings.push_back(HexEncode(t.strings()[i]));
    (*v)["strings_hex"] = std::move(strings);
  } else {
    (*v)["data_hex"] =
        HexEncode(std::string_view(static_cast<const char*>(t.raw_data()), t.TotalBytes()));
  }
}

Status Read(const std::string& prefix) {
  ckpt::Env* env = ckpt::Env::Default();
  CKPT_ASSIGN_OR_RETURN(std::unique_ptr<ckpt::CheckpointReader> reader,
                        ckpt::OpenCheckpoint(env, prefix));
  CKPT_RETURN_IF_ERROR(reader->VerifyAll());
  json out = json::object();
  out["format"] = std::string(reader->format());
  std::unique_ptr<ckpt::BundleReader> bundle;
  if (reader->format() == "V2") {
    CKPT_ASSIGN_OR_RETURN(bundle, ckpt::BundleReader::Open(env, prefix));
    CKPT_RETURN_IF_ERROR(bundle->VerifyAll());
    out["num_shards"] = bundle->num_shards();
    std::vector<std::string> names;
    for (const ckpt::CheckpointTensorInfo& info : reader->variables()) names.push_back(info.name);
    if (names != bundle->keys()) {
      return ckpt::InternalError("CheckpointReader and BundleReader list different keys");
    }
  }
  json vars = json::array();
  for (const ckpt::CheckpointTensorInfo& info : reader->variables()) {
    CKPT_ASSIGN_OR_RETURN(Tensor t, reader->Lookup(info.name));
    if (t.dtype() != info.dtype || !(t.shape() == info.shape)) {
      return ckpt::InternalError("variable " + info.name + ": lookup gave " + t.DebugString(0) +
                                 ", listing says " + std::string(ckpt::DataTypeName(info.dtype)) +
                                 info.shape.DebugString());
    }
    json v = json::object();
    v["name"] = info.name;
    v["name_hex"] = HexEncode(info.name);
    v["dtype"] = std::string(ckpt::DataTypeName(info.dtype));
    v["shape"] = ShapeJson(info.shape);
    AddValue(t, &v);
    json slices = json::array();
    if (bundle) {
      CKPT_ASSIGN_OR_RETURN(ckpt::BundleEntryInfo entry, bundle->GetEntry(info.name));
      if (entry.dtype != info.dtype || !(entry.shape == info.shape)) {
        return ckpt::InternalError("variable " + info.name +
                                   ": BundleReader and CheckpointReader disagree");
      }
      // The bundle's own Lookup must give the same bytes as CheckpointReader's.
      CKPT_ASSIGN_OR_RETURN(Tensor direct, bundle->Lookup(info.name));
      if (!direct.Equals(t)) {
        return ckpt::InternalError("variable " + info.name +
                                   ": BundleReader::Lookup differs from CheckpointReader::Lookup");
      }
      for (const ckpt::TensorSlice& s : entry.slices) slices.push_back(s.ToString());
    }
    v["slices"] = std::move(slices);
    vars.push_back(std::move(v));
  }
  out["variables"] = std::move(vars);
  const std::string text =
      out.dump(-1, ' ', /*ensure_ascii=*/false, json::error_handler_t::replace);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  return Status::OK();
}

// ---- main ----------------------------------------------------------------------------------

int Usage() {
  std::fprintf(stderr,
               "usage: ckpt_interop write SPEC.json PREFIX [--alignment N]\n"
               "       ckpt_interop read PREFIX\n"
               "       ckpt_interop merge OUT_PREFIX IN_PREFIX...\n");
  return 2;
}

int Report(const Status& s) {
  if (s.ok()) return 0;
  std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string_view cmd = argv[1];
  if (cmd == "write") {
    if (argc != 4 && argc != 6) return Usage();
    int alignment = 1;
    if (argc == 6) {
      if (std::string_view(argv[4]) != "--alignment") return Usage();
      alignment = std::atoi(argv[5]);
      if (alignment < 1) return Usage();
    }
    return Report(Write(argv[2], argv[3], alignment));
  }
  if (cmd == "read") {
    if (argc != 3) return Usage();
    return Report(Read(argv[2]));
  }
  if (cmd == "merge") {
    if (argc < 4) return Usage();
    std::vector<std::string> inputs(argv + 3, argv + argc);
    return Report(ckpt::MergeBundles(ckpt::Env::Default(), inputs, argv[2]));
  }
  return Usage();
}
