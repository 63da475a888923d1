// `ckpt diff A B [--atol X] [--rtol Y] [--json]`: keys only in A (missing from B) or only in B
// (extra), dtype and shape changes, and per common tensor the largest absolute and relative
// difference. Exit status 1 when anything differs beyond the tolerances.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstring>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "ckpt/format/tensor_files.h"
#include "commands.h"

namespace ckpt::cli {
namespace {

// A TF checkpoint (prefix, directory, SavedModel), FILE.safetensors or FILE.npz.
StatusOr<std::unique_ptr<CheckpointReader>> OpenAny(Env* env, const std::string& path) {
  CKPT_ASSIGN_OR_RETURN(std::string resolved, ResolveCheckpointPath(env, path));
  return OpenTensorFile(env, resolved);
}

// False for dtypes compared bytewise only (float8, 4-bit, quantized).
bool Numeric(DataType d) {
  switch (d) {
    case DataType::kFloat:
    case DataType::kDouble:
    case DataType::kHalf:
    case DataType::kBFloat16:
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32:
    case DataType::kInt64:
    case DataType::kUInt8:
    case DataType::kUInt16:
    case DataType::kUInt32:
    case DataType::kUInt64:
    case DataType::kBool:
    case DataType::kComplex64:
    case DataType::kComplex128: return true;
    default: return false;
  }
}

// Element i as a double (complex tensors: component i of the interleaved real/imaginary
// array). REQUIRES: Numeric(t.dtype()).
double At(const Tensor& t, int64_t i) {
  const void* p = t.raw_data();
  switch (t.dtype()) {
    case DataType::kFloat:
    case DataType::kComplex64: return static_cast<const float*>(p)[i];
    case DataType::kDouble:
    case DataType::kComplex128: return static_cast<const double*>(p)[i];
    // FormatValue's shortest round-trip text is exact for these 16-bit floats.
    case DataType::kHalf:
    case DataType::kBFloat16: return std::strtod(FormatValue(t, i).c_str(), nullptr);
    case DataType::kInt8: return static_cast<const int8_t*>(p)[i];
    case DataType::kInt16: return static_cast<const int16_t*>(p)[i];
    case DataType::kInt32: return static_cast<const int32_t*>(p)[i];
    case DataType::kInt64: return static_cast<double>(static_cast<const int64_t*>(p)[i]);
    case DataType::kUInt8:
    case DataType::kBool: return static_cast<const uint8_t*>(p)[i];
    case DataType::kUInt16: return static_cast<const uint16_t*>(p)[i];
    case DataType::kUInt32: return static_cast<const uint32_t*>(p)[i];
    case DataType::kUInt64: return static_cast<double>(static_cast<const uint64_t*>(p)[i]);
    default: return 0;
  }
}

struct TensorDiff {
  std::string name;
  std::string change;  // "dtype", "shape" or "values"
  std::string a, b;    // dtype/shape renderings for dtype and shape changes
  double max_abs = 0, max_rel = 0;
  int64_t mismatched = 0;  // elements beyond the tolerance
  int64_t elements = 0;
};

// Compares values of two tensors of one dtype and shape. NaN equals NaN; infinities equal
// themselves. An element differs when |a - b| > atol + rtol * |b| (numpy.isclose).
TensorDiff CompareValues(const std::string& name, const Tensor& a, const Tensor& b, double atol,
                         double rtol) {
  TensorDiff d;
  d.name = name;
  d.change = "values";
  const bool complex = a.dtype() == DataType::kComplex64 || a.dtype() == DataType::kComplex128;
  const int64_t n = a.num_elements() * (complex ? 2 : 1);
  d.elements = a.num_elements();
  if (a.dtype() == DataType::kString) {
    for (int64_t i = 0; i < n; ++i) d.mismatched += a.strings()[i] != b.strings()[i];
    d.max_abs = d.max_rel = d.mismatched ? INFINITY : 0;
    return d;
  }
  if (!Numeric(a.dtype())) {
    size_t width = DataTypeSize(a.dtype());
    auto* pa = static_cast<const unsigned char*>(a.raw_data());
    auto* pb = static_cast<const unsigned char*>(b.raw_data());
    for (int64_t i = 0; i < a.num_elements(); ++i)
      d.mismatched += std::memcmp(pa + i * width, pb + i * width, width) != 0;
    d.max_abs = d.max_rel = d.mismatched ? INFINITY : 0;
    return d;
  }
  for (int64_t i = 0; i < n; ++i) {
    const double x = At(a, i), y = At(b, i);
    if (std::isnan(x) && std::isnan(y)) continue;
    if (x == y) continue;                 // includes equal infinities
    const double abs = std::fabs(x - y);  // inf or nan when one side is non-finite
    const double rel = y != 0 ? abs / std::fabs(y) : INFINITY;
    if (!(abs <= d.max_abs)) d.max_abs = std::isnan(abs) ? INFINITY : abs;
    if (!(rel <= d.max_rel)) d.max_rel = std::isnan(rel) ? INFINITY : rel;
    if (!(abs <= atol + rtol * std::fabs(y))) ++d.mismatched;
  }
  return d;
}

nlohmann::json Num(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

}  // namespace

StatusOr<bool> RunDiff(Env* env, const DiffOptions& options, std::ostream& out) {
  CKPT_ASSIGN_OR_RETURN(auto ra, OpenAny(env, options.a));
  CKPT_ASSIGN_OR_RETURN(auto rb, OpenAny(env, options.b));
  std::map<std::string, const CheckpointTensorInfo*> in_b;
  for (const auto& v : rb->variables()) in_b[v.name] = &v;
  std::vector<std::string> missing, extra;
  std::vector<TensorDiff> diffs;
  int64_t compared = 0;
  for (const auto& va : ra->variables()) {
    auto it = in_b.find(va.name);
    if (it == in_b.end()) {
      missing.push_back(va.name);
      continue;
    }
    const CheckpointTensorInfo& vb = *it->second;
    in_b.erase(it);
    ++compared;
    if (va.dtype != vb.dtype) {
      diffs.push_back({va.name, "dtype", std::string(DataTypeName(va.dtype)),
                       std::string(DataTypeName(vb.dtype))});
      continue;
    }
    if (va.shape != vb.shape) {
      diffs.push_back({va.name, "shape", FormatShape(va.shape), FormatShape(vb.shape)});
      continue;
    }
    CKPT_ASSIGN_OR_RETURN(Tensor ta, ra->Lookup(va.name));
    CKPT_ASSIGN_OR_RETURN(Tensor tb, rb->Lookup(va.name));
    TensorDiff d = CompareValues(va.name, ta, tb, options.atol, options.rtol);
    if (d.max_abs > 0 || d.max_rel > 0 || d.mismatched > 0) diffs.push_back(std::move(d));
  }
  for (const auto& [name, v] : in_b) extra.push_back(name);
  bool differ = !missing.empty() || !extra.empty();
  for (const auto& d : diffs) differ |= d.change != "values" || d.mismatched > 0;

  if (options.json) {
    nlohmann::json j = {{"a", options.a},       {"b", options.b},       {"missing", missing},
                        {"extra", extra},       {"compared", compared}, {"differ", differ},
                        {"atol", options.atol}, {"rtol", options.rtol}};
    j["changed"] = nlohmann::json::array();
    for (const auto& d : diffs) {
      nlohmann::json e = {{"name", d.name}, {"change", d.change}};
      if (d.change == "values") {
        e["max_abs_diff"] = Num(d.max_abs);
        e["max_rel_diff"] = Num(d.max_rel);
        e["mismatched"] = d.mismatched;
        e["elements"] = d.elements;
      } else {
        e["a"] = d.a;
        e["b"] = d.b;
      }
      j["changed"].push_back(std::move(e));
    }
    PrintJson(out, j);
    return differ;
  }
  for (const auto& n : missing) out << "- " << n << " (only in A)\n";
  for (const auto& n : extra) out << "+ " << n << " (only in B)\n";
  for (const auto& d : diffs) {
    if (d.change != "values") {
      out << fmt::format("~ {} {}: {} -> {}\n", d.name, d.change, d.a, d.b);
    } else {
      out << fmt::format(
          "{} {} max abs diff {}, max rel diff {}, {} of {} elements beyond "
          "tolerance\n",
          d.mismatched ? "~" : "=", d.name, d.max_abs, d.max_rel, d.mismatched, d.elements);
    }
  }
  out << fmt::format("# {} tensors compared, {} only in A, {} only in B, {} changed: {}\n",
                     compared, missing.size(), extra.size(), diffs.size(),
                     differ ? "DIFFERENT" : "same within tolerance");
  return differ;
}

void AddDiffCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "diff", "Compare two checkpoints (or safetensors/npz files): keys, dtypes, shapes, values");
  auto o = std::make_shared<DiffOptions>();
  cmd->add_option("A", o->a, "Checkpoint prefix or directory, FILE.safetensors or FILE.npz")
      ->required();
  cmd->add_option("B", o->b, "Same for the other side")->required();
  cmd->add_option("--atol", o->atol, "Absolute tolerance (default 0: exact)");
  cmd->add_option("--rtol", o->rtol, "Relative tolerance, times |B| (default 0)");
  cmd->add_flag("--json", o->json, "Print JSON");
  cmd->callback([=]() {
    // As diff(1): 0 same, 1 different, 2 trouble.
    auto r = RunDiff(Env::Default(), *o, std::cout);
    if (!r.ok()) {
      ReportStatus(r.status());
      *exit_code = 2;
    } else {
      *exit_code = *r ? 1 : 0;
    }
  });
}

}  // namespace ckpt::cli
