#include "commands.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <iostream>

#include "ckpt/format/bundle.h"

#if CKPT_CLI_HAVE_CHECKPOINT_STATE
#include "ckpt/checkpoint/checkpoint_state.h"
#endif

namespace ckpt::cli {

const std::vector<AddCommandFn>& AllCommands() {
  static const std::vector<AddCommandFn> kCommands = {AddLsCommand, AddDumpCommand,
                                                      AddVerifyCommand, AddConvertCommand,
                                                      AddDiffCommand
#ifdef CKPT_CLI_HAVE_METAGRAPH
                                                      , AddRunCommand, AddGraphCommand
#endif
  };
  return kCommands;
}

int ReportStatus(const Status& status) {
  if (status.ok()) return 0;
  std::cerr << "error: " << status.ToString() << "\n";
  return 1;
}

StatusOr<std::string> ResolveCheckpointPath(Env* env, std::string_view path_in) {
  std::string p(path_in);
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p.empty()) return InvalidArgumentError("empty checkpoint path");
  constexpr std::string_view kIndex = ".index";
  if (p.size() > kIndex.size() && p.ends_with(kIndex) && env->FileExists(p) &&
      !env->IsDirectory(p)) {
    return p.substr(0, p.size() - kIndex.size());
  }
  if (!env->IsDirectory(p)) return p;
  if (env->FileExists(path::Join(p, "saved_model.pb")) ||
      env->FileExists(path::Join(p, "saved_model.pbtxt")) ||
      env->FileExists(BundleIndexFilename(path::Join(p, "variables/variables")))) {
    return path::Join(p, "variables/variables");
  }
#if CKPT_CLI_HAVE_CHECKPOINT_STATE
  auto latest = LatestCheckpoint(env, p);
  if (!latest.ok()) {
    return Status(latest.status().code(),
                  "no checkpoint found in directory " + p + ": " +
                      std::string(latest.status().message()));
  }
  return *latest;
#else
  return UnimplementedError("directory " + p +
                            " is not a SavedModel; finding the latest checkpoint of a "
                            "directory needs the checkpoint layer, which this build lacks");
#endif
}

bool IsCheckpointDirectory(Env* env, std::string_view path_in) {
#if CKPT_CLI_HAVE_CHECKPOINT_STATE
  std::string p(path_in);
  if (!env->IsDirectory(p)) return false;
  auto resolved = ResolveCheckpointPath(env, p);
  return !resolved.ok() || !resolved->ends_with("/variables/variables");
#else
  return false;
#endif
}

std::string FormatShape(const TensorShape& shape) { return shape.DebugString(); }

namespace {

float HalfToFloat(uint16_t h) {
  uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v;
  if (exp == 0) {
    v = std::ldexp(static_cast<float>(mant), -24);
  } else if (exp == 31) {
    v = mant ? NAN : INFINITY;
  } else {
    v = std::ldexp(static_cast<float>(mant | 0x400), static_cast<int>(exp) - 25);
  }
  return sign ? -v : v;
}

float BFloat16ToFloat(uint16_t b) {
  uint32_t bits = uint32_t{b} << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

std::string FloatString(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}
std::string FloatString(float v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}

std::string EscapeBytes(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out + "\"";
}

}  // namespace

std::string FormatValue(const Tensor& t, int64_t i) {
  const void* p = t.raw_data();
  switch (t.dtype()) {
    case DataType::kFloat: return FloatString(static_cast<const float*>(p)[i]);
    case DataType::kDouble: return FloatString(static_cast<const double*>(p)[i]);
    case DataType::kHalf: return FloatString(HalfToFloat(static_cast<const uint16_t*>(p)[i]));
    case DataType::kBFloat16:
      return FloatString(BFloat16ToFloat(static_cast<const uint16_t*>(p)[i]));
    case DataType::kInt8:
    case DataType::kQInt8:
    case DataType::kInt4:
    case DataType::kInt2:
      return fmt::format("{}", static_cast<const int8_t*>(p)[i]);
    case DataType::kInt16:
    case DataType::kQInt16:
      return fmt::format("{}", static_cast<const int16_t*>(p)[i]);
    case DataType::kInt32:
    case DataType::kQInt32:
      return fmt::format("{}", static_cast<const int32_t*>(p)[i]);
    case DataType::kInt64: return fmt::format("{}", static_cast<const int64_t*>(p)[i]);
    case DataType::kUInt16:
    case DataType::kQUInt16:
      return fmt::format("{}", static_cast<const uint16_t*>(p)[i]);
    case DataType::kUInt32: return fmt::format("{}", static_cast<const uint32_t*>(p)[i]);
    case DataType::kUInt64: return fmt::format("{}", static_cast<const uint64_t*>(p)[i]);
    case DataType::kBool: return static_cast<const uint8_t*>(p)[i] ? "true" : "false";
    case DataType::kComplex64: {
      const float* c = static_cast<const float*>(p) + 2 * i;
      return "(" + FloatString(c[0]) + (c[1] < 0 ? "" : "+") + FloatString(c[1]) + "j)";
    }
    case DataType::kComplex128: {
      const double* c = static_cast<const double*>(p) + 2 * i;
      return "(" + FloatString(c[0]) + (c[1] < 0 ? "" : "+") + FloatString(c[1]) + "j)";
    }
    case DataType::kString: return EscapeBytes(t.strings()[i]);
    default:
      // uint8, quint8, float8 and 4-bit types: the raw byte.
      if (DataTypeSize(t.dtype()) == 1) {
        return fmt::format("{}", static_cast<const uint8_t*>(p)[i]);
      }
      return "?";
  }
}

}  // namespace ckpt::cli
