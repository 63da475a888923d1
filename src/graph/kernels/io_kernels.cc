// Checkpoint I/O kernels and the string ops of TF's Saver graphs:
//   SaveV2 / RestoreV2        write / read a V2 bundle (RestoreV2 falls back to V1 tables);
//   MergeV2Checkpoints        merge per-shard bundles into one (sharded Savers);
//   ShardedFilename/-Filespec "base-00000-of-00002" / "base-?????-of-00002";
//   RestoreSlice / Restore    legacy V1 Saver restore ops (read V1 or V2);
//   Variable                  the pre-VariableV2 op name (same kernel as VariableV2).
// All file access goes through the session's Env (OpKernelContext::env()).
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "ckpt/format/bundle.h"
#include "ckpt/format/tensor_slice.h"
#include "graph/kernel.h"
#include "graph/kernels/io_reader.h"
#include "graph/kernels/kernel_util.h"

namespace ckpt {

namespace {

std::string NodeError(const OpKernelContext* ctx, const std::string& msg) {
  return "node " + ctx->name() + " (" + ctx->info().op() + "): " + msg;
}

Status CheckStringInput(OpKernelContext* ctx, int i, const char* what, int64_t want_elements) {
  const Tensor& t = ctx->input(i);
  if (t.dtype() != DataType::kString) {
    return InvalidArgumentError(NodeError(ctx, std::string(what) + " must be a string tensor"));
  }
  if (want_elements >= 0 && t.num_elements() != want_elements) {
    return InvalidArgumentError(
        NodeError(ctx, std::string(what) + " must have " + std::to_string(want_elements) +
                           " elements, got shape " + t.shape().DebugString()));
  }
  return Status::OK();
}

// Parses TF's "d0 d1 ... slice" into the full shape and slice.
Status ParseShapeAndSliceSpec(std::string_view spec, TensorShape* full, TensorSlice* slice) {
  std::vector<int64_t> dims;
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start < spec.size()) {
    size_t sp = spec.find(' ', start);
    if (sp == std::string_view::npos) sp = spec.size();
    if (sp > start) parts.push_back(spec.substr(start, sp - start));
    start = sp + 1;
  }
  if (parts.empty()) return InvalidArgumentError("empty shape_and_slice");
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    int64_t d = 0;
    for (char c : parts[i]) {
      if (c < '0' || c > '9' || d > (int64_t{1} << 50)) {
        return InvalidArgumentError("malformed shape_and_slice '" + std::string(spec) + "'");
      }
      d = d * 10 + (c - '0');
    }
    dims.push_back(d);
  }
  CKPT_ASSIGN_OR_RETURN(*full, TensorShape::FromDims(dims));
  CKPT_ASSIGN_OR_RETURN(*slice, TensorSlice::Parse(parts.back()));
  if (slice->rank() != full->rank()) {
    return InvalidArgumentError("shape_and_slice '" + std::string(spec) +
                                "': slice rank differs from the shape's");
  }
  return Status::OK();
}

// ---- SaveV2 ---------------------------------------------------------------------------------
Status SaveV2(OpKernelContext* ctx) {
  const int n = ctx->num_inputs() - 3;
  CKPT_RETURN_IF_ERROR(CheckStringInput(ctx, 0, "prefix", 1));
  CKPT_RETURN_IF_ERROR(CheckStringInput(ctx, 1, "tensor_names", n));
  CKPT_RETURN_IF_ERROR(CheckStringInput(ctx, 2, "shape_and_slices", n));
  const std::string prefix = ctx->input(0).strings()[0];
  const std::string* names = ctx->input(1).strings();
  const std::string* slices = ctx->input(2).strings();
  auto writer = BundleWriter::Create(ctx->env(), prefix);
  if (!writer.ok()) return writer.status();
  for (int i = 0; i < n; ++i) {
    const Tensor& t = ctx->input(3 + i);
    if (slices[i].empty()) {
      CKPT_RETURN_IF_ERROR((*writer)->Add(names[i], t));
    } else {
      TensorShape full;
      TensorSlice slice;
      Status s = ParseShapeAndSliceSpec(slices[i], &full, &slice);
      if (!s.ok()) return InvalidArgumentError(NodeError(ctx, std::string(s.message())));
      CKPT_RETURN_IF_ERROR((*writer)->AddSlice(names[i], full, slice, t));
    }
  }
  return (*writer)->Finish();
}

// ---- SaveSlices / Save (V1 Saver graphs) ----------------------------------------------------
// Whole tensors only: a shapes_and_slices entry naming a real slice is Unimplemented.
Status SaveV1(OpKernelContext* ctx, bool has_slices) {
  const int first = has_slices ? 3 : 2;
  const int n = ctx->num_inputs() - first;
  CKPT_RETURN_IF_ERROR(CheckStringInput(ctx, 0, "filename", 1));
  CKPT_RETURN_IF_ERROR(CheckStringInput(ctx, 1, "tensor_names", n));
  if (has_slices) CKPT_RETURN_IF_ERROR(CheckStringInput(ctx, 2, "shapes_and_slices", n));
  std::vector<std::string> names(ctx->input(1).strings(), ctx->input(1).strings() + n);
  std::vector<const Tensor*> tensors;
  for (int i = 0; i < n; ++i) {
    if (has_slices && !ctx->input(2).strings()[i].empty()) {
      TensorShape full;
      TensorSlice slice;
      Status s = ParseShapeAndSliceSpec(ctx->input(2).strings()[i], &full, &slice);
      if (!s.ok()) return InvalidArgumentError(NodeError(ctx, std::string(s.message())));
      if (!slice.IsFull() || !(full == ctx->input(first + i).shape())) {
        return UnimplementedError(NodeError(
            ctx, "saving a slice of " + names[i] + " in a V1 checkpoint is not supported"));
      }
    }
    tensors.push_back(&ctx->input(first + i));
  }
  return WriteV1Checkpoint(ctx->env(), ctx->input(0).strings()[0], names, tensors);
}

// ---- RestoreV2 ------------------------------------------------------------------------------
class RestoreV2Kernel : public OpKernel {
 public:
  explicit RestoreV2Kernel(const OpKernelConstruction& c) {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("dtypes", &dtypes_));
  }

  Status Compute(OpKernelContext* ctx) override {
    const int n = static_cast<int>(dtypes_.size());
    CKPT_RETURN_IF_ERROR(CheckStringInput(ctx, 0, "prefix", 1));
    CKPT_RETURN_IF_ERROR(CheckStringInput(ctx, 1, "tensor_names", n));
    CKPT_RETURN_IF_ERROR(CheckStringInput(ctx, 2, "shape_and_slices", n));
    const std::string prefix = ctx->input(0).strings()[0];
    CKPT_ASSIGN_OR_RETURN(auto source, OpenRestoreSource(ctx->env(), prefix));
    const std::string* names = ctx->input(1).strings();
    const std::string* slices = ctx->input(2).strings();
    for (int i = 0; i < n; ++i) {
      CKPT_ASSIGN_OR_RETURN(Tensor t, source->LookupSlice(names[i], slices[i]));
      if (t.dtype() != dtypes_[i]) {
        return InvalidArgumentError("tensor " + names[i] + " in checkpoint " + prefix +
                                    " has dtype " + std::string(DataTypeName(t.dtype())) +
                                    " but the restore op " + ctx->name() + " expects " +
                                    std::string(DataTypeName(dtypes_[i])));
      }
      ctx->set_output(i, std::move(t));
    }
    return Status::OK();
  }

 private:
  std::vector<DataType> dtypes_;
};

// ---- RestoreSlice / Restore (V1 Saver graphs) ----------------------------------------------
class RestoreSliceKernel : public OpKernel {
 public:
  explicit RestoreSliceKernel(const OpKernelConstruction& c)
      : has_slice_(c.op() == "RestoreSlice") {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("dt", &dt_));
  }
  Status Compute(OpKernelContext* ctx) override {
    CKPT_RETURN_IF_ERROR(CheckStringInput(ctx, 0, "file_pattern", 1));
    CKPT_RETURN_IF_ERROR(CheckStringInput(ctx, 1, "tensor_name", 1));
    if (has_slice_) CKPT_RETURN_IF_ERROR(CheckStringInput(ctx, 2, "shape_and_slice", 1));
    const std::string pattern = ctx->input(0).strings()[0];
    const std::string name = ctx->input(1).strings()[0];
    const std::string spec = has_slice_ ? ctx->input(2).strings()[0] : std::string();
    CKPT_ASSIGN_OR_RETURN(auto source, OpenRestoreSource(ctx->env(), pattern));
    CKPT_ASSIGN_OR_RETURN(Tensor t, source->LookupSlice(name, spec));
    if (t.dtype() != dt_) {
      return InvalidArgumentError("tensor " + name + " in checkpoint " + pattern + " has dtype " +
                                  std::string(DataTypeName(t.dtype())) + " but the restore op " +
                                  ctx->name() + " expects " + std::string(DataTypeName(dt_)));
    }
    ctx->set_output(0, std::move(t));
    return Status::OK();
  }

 private:
  DataType dt_ = DataType::kInvalid;
  bool has_slice_;
};

// ---- MergeV2Checkpoints ---------------------------------------------------------------------
class MergeKernel : public OpKernel {
 public:
  explicit MergeKernel(const OpKernelConstruction& c) {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("delete_old_dirs", &delete_old_dirs_));
    if (c.HasAttr("allow_missing_files")) {
      CKPT_OP_REQUIRES_OK(c, c.GetAttr("allow_missing_files", &allow_missing_));
    }
  }
  Status Compute(OpKernelContext* ctx) override {
    CKPT_RETURN_IF_ERROR(CheckStringInput(ctx, 0, "checkpoint_prefixes", -1));
    CKPT_RETURN_IF_ERROR(CheckStringInput(ctx, 1, "destination_prefix", 1));
    const Tensor& in = ctx->input(0);
    std::vector<std::string> prefixes(in.strings(), in.strings() + in.num_elements());
    const std::string dest = ctx->input(1).strings()[0];
    CKPT_RETURN_IF_ERROR(MergeBundles(ctx->env(), prefixes, dest, allow_missing_));
    if (delete_old_dirs_) {
      const std::string dest_dir = path::Dirname(dest);
      for (const std::string& p : prefixes) {
        const std::string dir = path::Dirname(p);
        // Best effort, as TF: only empty directories other than the destination's go.
        if (!dir.empty() && dir != dest_dir) (void)ctx->env()->DeleteDir(dir);
      }
    }
    return Status::OK();
  }

 private:
  bool delete_old_dirs_ = true;
  bool allow_missing_ = false;
};

std::string Pad5(int64_t v) {
  std::string s = std::to_string(v);
  if (s.size() < 5) s.insert(0, 5 - s.size(), '0');
  return s;
}

Status ScalarInt(OpKernelContext* ctx, int i, const char* what, int64_t* out) {
  const Tensor& t = ctx->input(i);
  if (t.dtype() != DataType::kInt32 || t.num_elements() != 1) {
    return InvalidArgumentError(NodeError(ctx, std::string(what) + " must be an int32 scalar"));
  }
  *out = t.data<int32_t>()[0];
  return Status::OK();
}

Status ShardedFilename(OpKernelContext* ctx) {
  CKPT_RETURN_IF_ERROR(CheckStringInput(ctx, 0, "basename", 1));
  int64_t shard = 0, num = 0;
  CKPT_RETURN_IF_ERROR(ScalarInt(ctx, 1, "shard", &shard));
  CKPT_RETURN_IF_ERROR(ScalarInt(ctx, 2, "num_shards", &num));
  ctx->set_output(
      0, Tensor::StringScalar(ctx->input(0).strings()[0] + "-" + Pad5(shard) + "-of-" + Pad5(num)));
  return Status::OK();
}

Status ShardedFilespec(OpKernelContext* ctx) {
  CKPT_RETURN_IF_ERROR(CheckStringInput(ctx, 0, "basename", 1));
  int64_t num = 0;
  CKPT_RETURN_IF_ERROR(ScalarInt(ctx, 1, "num_shards", &num));
  ctx->set_output(0, Tensor::StringScalar(ctx->input(0).strings()[0] + "-?????-of-" + Pad5(num)));
  return Status::OK();
}

// ---- ReadFile / WriteFile -------------------------------------------------------------------
// Whole files through the session's Env, so the session's file-access policy applies.

Status ReadFile(OpKernelContext* ctx) {
  CKPT_RETURN_IF_ERROR(CheckStringInput(ctx, 0, "filename", 1));
  const std::string& name = ctx->input(0).strings()[0];
  CKPT_ASSIGN_OR_RETURN(std::string contents, ReadFileWithinLimits(ctx, name));
  ctx->set_output(0, Tensor::StringScalar(std::move(contents)));
  return Status::OK();
}

Status WriteFile(OpKernelContext* ctx) {
  CKPT_RETURN_IF_ERROR(CheckStringInput(ctx, 0, "filename", 1));
  CKPT_RETURN_IF_ERROR(CheckStringInput(ctx, 1, "contents", 1));
  const std::string& name = ctx->input(0).strings()[0];
  const std::string dir = path::Dirname(name);
  if (!dir.empty() && !ctx->env()->FileExists(dir)) {
    CKPT_RETURN_IF_ERROR(ctx->env()->RecursivelyCreateDir(dir));
  }
  CKPT_ASSIGN_OR_RETURN(auto file, ctx->env()->NewWritableFile(name));
  CKPT_RETURN_IF_ERROR(file->Append(ctx->input(1).strings()[0]));
  return file->Close();
}

}  // namespace

// parse_example_kernel.cc
void RegisterParseExampleKernel(KernelRegistry* r);

namespace {

// ---- DynamicStitch (gradients of reductions in TF1 training graphs) ------------------------
// merged[indices[m][i], ...] = data[m][i, ...]; later inputs win for repeated indices.
Status DynamicStitch(OpKernelContext* ctx) {
  const int n = ctx->num_inputs() / 2;
  int64_t max_index = -1;
  for (int m = 0; m < n; ++m) {
    const Tensor& idx = ctx->input(m);
    if (idx.dtype() != DataType::kInt32) {
      return InvalidArgumentError(NodeError(ctx, "indices must be int32"));
    }
    for (int32_t v : idx.flat<int32_t>()) {
      if (v < 0) return InvalidArgumentError(NodeError(ctx, "negative index " + std::to_string(v)));
      max_index = std::max<int64_t>(max_index, v);
    }
  }
  const Tensor& data0 = ctx->input(n);
  const TensorShape& idx0 = ctx->input(0).shape();
  if (data0.shape().rank() < idx0.rank()) {
    return InvalidArgumentError(NodeError(ctx, "data[0] has lower rank than indices[0]"));
  }
  TensorShape out_shape({max_index + 1});
  for (int d = idx0.rank(); d < data0.shape().rank(); ++d) out_shape.AddDim(data0.shape().dim(d));
  int64_t slice = 1;
  for (int d = 1; d < out_shape.rank(); ++d) slice *= out_shape.dim(d);
  const size_t elem = DataTypeSize(data0.dtype());
  if (elem == 0 || !DataTypeIsPod(data0.dtype())) {
    return UnimplementedError(
        NodeError(ctx, "unsupported dtype " + std::string(DataTypeName(data0.dtype()))));
  }
  CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output(0, data0.dtype(), out_shape));
  std::memset(out->raw_data(), 0, out->TotalBytes());
  for (int m = 0; m < n; ++m) {
    const Tensor& idx = ctx->input(m);
    const Tensor& data = ctx->input(n + m);
    if (data.dtype() != data0.dtype() || data.num_elements() != idx.num_elements() * slice) {
      return InvalidArgumentError(
          NodeError(ctx, "data[" + std::to_string(m) + "] shape " + data.shape().DebugString() +
                             " does not match indices[" + std::to_string(m) + "] shape " +
                             idx.shape().DebugString() + " plus the slice shape"));
    }
    const auto* src = static_cast<const char*>(data.raw_data());
    auto* dst = static_cast<char*>(out->raw_data());
    auto flat = idx.flat<int32_t>();
    for (size_t i = 0; i < flat.size(); ++i) {
      std::memcpy(dst + flat[i] * slice * elem, src + i * slice * elem, slice * elem);
    }
  }
  return Status::OK();
}

}  // namespace

void RegisterIoKernels(KernelRegistry* r) {
  RegisterParseExampleKernel(r);
  r->RegisterFn("DynamicStitch", DynamicStitch);
  r->RegisterFn("SaveV2", SaveV2);
  r->RegisterFn("SaveSlices", [](OpKernelContext* ctx) { return SaveV1(ctx, true); });
  r->RegisterFn("Save", [](OpKernelContext* ctx) { return SaveV1(ctx, false); });
  r->Register("RestoreV2", MakeKernel<RestoreV2Kernel>());
  r->Register("RestoreSlice", MakeKernel<RestoreSliceKernel>());
  r->Register("Restore", MakeKernel<RestoreSliceKernel>());
  r->Register("MergeV2Checkpoints", MakeKernel<MergeKernel>());
  r->RegisterFn("ShardedFilename", ShardedFilename);
  r->RegisterFn("ShardedFilespec", ShardedFilespec);
  r->RegisterFn("ReadFile", ReadFile);
  r->RegisterFn("WriteFile", WriteFile);
  // The legacy "Variable" op is VariableV2 under its old name.
  if (const KernelFactory* v2 = r->Find("VariableV2")) {
    KernelFactory copy = *v2;
    r->Register("Variable", std::move(copy));
  }
}

}  // namespace ckpt
