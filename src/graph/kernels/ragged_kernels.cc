// Ragged kernels:
//   RaggedTensorToTensor   a ragged tensor (flat values + one row partition per ragged
//                          dimension) written into a dense tensor, padded with default_value
//                          and truncated to the requested shape.
// Row partitions are TF's: ROW_SPLITS (row r holds items [splits[r], splits[r+1])),
// VALUE_ROWIDS (the row of each item, sorted) after FIRST_DIM_SIZE (the number of rows).
// Every partition is checked before it is used as an index: splits start at 0 and never
// decrease, row ids are sorted and within the rows, and no partition addresses more items than
// the level below it (values) holds. As in TF, items the partitions do not reach are ignored.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "graph/kernel.h"
#include "graph/kernels/kernel_util.h"

namespace ckpt {

namespace {

enum class Partition { kRowSplits, kValueRowIds, kFirstDimSize };

std::string ShapeString(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) s += ',';
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

class RaggedTensorToTensorKernel : public OpKernel {
 public:
  explicit RaggedTensorToTensorKernel(const OpKernelConstruction& c) {
    std::vector<std::string> types;
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("row_partition_types", &types));
    for (size_t i = 0; i < types.size(); ++i) {
      const std::string& t = types[i];
      if (t == "ROW_SPLITS") {
        types_.push_back(Partition::kRowSplits);
      } else if (t == "VALUE_ROWIDS" && i > 0) {
        types_.push_back(Partition::kValueRowIds);
      } else if (t == "FIRST_DIM_SIZE" && i == 0) {
        types_.push_back(Partition::kFirstDimSize);
      } else {
        c.CtxFailure(InvalidArgumentError(
            "unsupported row_partition_types[" + std::to_string(i) + "] '" + t +
            "': expected ROW_SPLITS, or FIRST_DIM_SIZE first followed by VALUE_ROWIDS or "
            "ROW_SPLITS"));
        return;
      }
    }
    const bool first_dim = !types_.empty() && types_[0] == Partition::kFirstDimSize;
    ragged_rank_ = static_cast<int>(types_.size()) - (first_dim ? 1 : 0);
    if (ragged_rank_ < 1) {
      c.CtxFailure(
          InvalidArgumentError("row_partition_types must describe at least one "
                               "ragged dimension"));
      return;
    }
    if (c.num_inputs() != 3 + static_cast<int>(types_.size())) {
      c.CtxFailure(InvalidArgumentError(std::to_string(types_.size()) +
                                        " row_partition_types but " +
                                        std::to_string(c.num_inputs() - 3) + " partitions"));
    }
  }

  Status Compute(OpKernelContext* ctx) override {
    const Tensor& shape_t = ctx->input(0);
    const Tensor& values = ctx->input(1);
    const Tensor& dflt = ctx->input(2);
    if (values.shape().rank() < 1) return InvalidArgumentError("values must be at least a vector");
    if (dflt.dtype() != values.dtype()) {
      return InvalidArgumentError("default_value must have the values' dtype");
    }
    const bool pod = DataTypeIsPod(values.dtype());
    if (!pod && values.dtype() != DataType::kString) {
      return UnimplementedError(DtypeError(ctx, values.dtype()));
    }
    const int values_rank = values.shape().rank();
    const int out_rank = ragged_rank_ + values_rank;

    // The requested shape: a scalar -1 (unknown rank) or one dim per output dim (-1: unknown).
    std::vector<int64_t> want(out_rank, -1);
    if (shape_t.shape().rank() > 1) {
      return InvalidArgumentError("shape must be a scalar or a vector, got shape " +
                                  shape_t.shape().DebugString());
    }
    CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> shape_v, ReadIndexVector(shape_t, "shape"));
    if (shape_t.shape().rank() == 0) {
      if (shape_v[0] != -1) {
        return InvalidArgumentError("a scalar shape must be -1 (unknown rank), got " +
                                    std::to_string(shape_v[0]));
      }
    } else {
      if (static_cast<int>(shape_v.size()) != out_rank) {
        return InvalidArgumentError(
            "rt_input.shape and shape=" + ShapeString(shape_v) +
            " are incompatible: rt_input.rank = " + std::to_string(out_rank) +
            " but shape.rank = " + std::to_string(shape_v.size()));
      }
      for (int d = 0; d < out_rank; ++d) {
        if (shape_v[d] < -1) {
          return InvalidArgumentError("shape=" + ShapeString(shape_v) +
                                      " has a dimension below -1");
        }
        want[d] = shape_v[d];
      }
    }
    for (int d = 1; d < values_rank; ++d) {
      const int64_t w = want[ragged_rank_ + d];
      if (w != -1 && w != values.shape().dim(d)) {
        return InvalidArgumentError("rt_input.shape and shape=" + ShapeString(shape_v) +
                                    " are incompatible: rt_input.shape[" +
                                    std::to_string(ragged_rank_ + d) +
                                    "] = " + std::to_string(values.shape().dim(d)) + " but shape[" +
                                    std::to_string(ragged_rank_ + d) + "] = " + std::to_string(w));
      }
    }

    // The row partitions (one per ragged dim) and the number of rows of the first level.
    const int first_partition = types_[0] == Partition::kFirstDimSize ? 4 : 3;
    std::vector<std::vector<int64_t>> parts(ragged_rank_);
    for (int k = 0; k < ragged_rank_; ++k) {
      const Tensor& part = ctx->input(first_partition + k);
      if (part.shape().rank() != 1) {
        return InvalidArgumentError(std::string(PartitionName(k)) +
                                    " must be a vector, got shape " + part.shape().DebugString());
      }
      CKPT_ASSIGN_OR_RETURN(parts[k], ReadIndexVector(part, PartitionName(k)));
    }
    int64_t rows = 0;  // items of the current level
    if (types_[0] == Partition::kFirstDimSize) {
      const Tensor& n = ctx->input(3);
      if (n.shape().rank() != 0) {
        return InvalidArgumentError("the FIRST_DIM_SIZE partition must be a scalar, got shape " +
                                    n.shape().DebugString());
      }
      CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> nv, ReadIndexVector(n, "FIRST_DIM_SIZE"));
      if (nv[0] < 0) {
        return InvalidArgumentError("FIRST_DIM_SIZE must be non-negative, got " +
                                    std::to_string(nv[0]));
      }
      rows = nv[0];
    } else {
      if (parts[0].empty()) return InvalidArgumentError("row_splits must not be empty");
      rows = static_cast<int64_t>(parts[0].size()) - 1;
    }
    // Pass 1: check every partition against its level and size the output; each ragged
    // dim is the requested one or the widest row.
    std::vector<int64_t> dims(out_rank);
    dims[0] = want[0] >= 0 ? want[0] : rows;
    for (int k = 0; k < ragged_rank_; ++k) {
      const std::vector<int64_t>& p = parts[k];
      const std::string part_str = ctx->input(first_partition + k).DebugString();
      int64_t items = 0, widest = 0;
      if (Type(k) == Partition::kRowSplits) {
        if (p.empty() || p[0] != 0) {
          return InvalidArgumentError("row_splits must start with 0, got " + part_str);
        }
        if (static_cast<int64_t>(p.size()) - 1 > rows) {
          return InvalidArgumentError("row_splits has " + std::to_string(p.size() - 1) +
                                      " rows but its level has " + std::to_string(rows));
        }
        for (size_t r = 1; r < p.size(); ++r) {
          if (p[r] < p[r - 1]) {
            return InvalidArgumentError("row_splits must be non-decreasing, got " + part_str);
          }
          widest = std::max(widest, p[r] - p[r - 1]);
        }
        items = p.back();
      } else {
        int64_t run = 0;
        for (size_t i = 0; i < p.size(); ++i) {
          if (p[i] < 0 || p[i] >= rows) {
            return InvalidArgumentError("value_rowids[" + std::to_string(i) +
                                        "] = " + std::to_string(p[i]) + " is not in [0, " +
                                        std::to_string(rows) + ")");
          }
          if (i > 0 && p[i] < p[i - 1]) {
            return InvalidArgumentError("value_rowids must be sorted, got " + part_str);
          }
          run = (i > 0 && p[i] == p[i - 1]) ? run + 1 : 0;
          widest = std::max(widest, run + 1);
        }
        items = static_cast<int64_t>(p.size());
      }
      dims[k + 1] = want[k + 1] >= 0 ? want[k + 1] : widest;
      rows = items;
    }
    if (rows > values.shape().dim(0)) {
      return InvalidArgumentError(std::string(PartitionName(ragged_rank_ - 1)) + " address " +
                                  std::to_string(rows) + " values but there are " +
                                  std::to_string(values.shape().dim(0)));
    }
    for (int d = 1; d < values_rank; ++d) dims[ragged_rank_ + d] = values.shape().dim(d);

    CKPT_ASSIGN_OR_RETURN(TensorShape out_shape, TensorShape::FromDims(dims));
    TensorShape elem_shape;
    for (int d = 1; d < values_rank; ++d) elem_shape.AddDim(values.shape().dim(d));
    auto bcast = BroadcastShapes(dflt.shape(), elem_shape);
    if (dflt.shape().rank() > elem_shape.rank() || !bcast.ok() || !(*bcast == elem_shape)) {
      return InvalidArgumentError(
          "default_value.shape=" + dflt.shape().DebugString() +
          " and rt_input.flat_values.shape=" + values.shape().DebugString() +
          " are incompatible: default_value must broadcast to " + elem_shape.DebugString());
    }
    CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output(0, values.dtype(), out_shape));
    if (out->num_elements() == 0) return Status::OK();
    const int64_t elem = elem_shape.num_elements();

    // Pass 2: the output places of the items that land in it, level by level, as (item, flat
    // index over the ragged dims) sorted by item. Every entry is an output cell, so the lists
    // are no longer than the output (allocated, within the run's memory limit, above).
    std::vector<std::pair<int64_t, int64_t>> placed, next;
    const int64_t first_rows = types_[0] == Partition::kFirstDimSize
                                   ? std::min(dims[0], Addressed(parts, 0))
                                   : std::min<int64_t>(dims[0], parts[0].size() - 1);
    for (int64_t r = 0; r < first_rows; ++r) placed.emplace_back(r, r);
    for (int k = 0; k < ragged_rank_; ++k) {
      const std::vector<int64_t>& p = parts[k];
      const int64_t width = dims[k + 1];
      next.clear();
      if (Type(k) == Partition::kRowSplits) {
        for (const auto& [row, at] : placed) {
          if (row + 1 >= static_cast<int64_t>(p.size())) break;
          const int64_t end = std::min(p[row + 1], p[row] + width);
          for (int64_t j = p[row]; j < end; ++j) next.emplace_back(j, at * width + (j - p[row]));
        }
      } else {
        size_t cursor = 0;
        int64_t run = 0;
        for (size_t i = 0; i < p.size(); ++i) {
          run = (i > 0 && p[i] == p[i - 1]) ? run + 1 : 0;
          while (cursor < placed.size() && placed[cursor].first < p[i]) ++cursor;
          if (cursor == placed.size()) break;
          if (placed[cursor].first == p[i] && run < width) {
            next.emplace_back(static_cast<int64_t>(i), placed[cursor].second * width + run);
          }
        }
      }
      placed.swap(next);
    }

    // default_value broadcast to one element: element index e reads dflt at dflt_index[e].
    std::vector<int64_t> dflt_index(elem, 0);
    if (dflt.num_elements() != 1) {
      const std::vector<int64_t> strides = BroadcastStrides(dflt.shape(), elem_shape);
      for (int64_t e = 0; e < elem; ++e) {
        int64_t rem = e, at = 0;
        for (int d = elem_shape.rank() - 1; d >= 0; --d) {
          at += (rem % elem_shape.dim(d)) * strides[d];
          rem /= elem_shape.dim(d);
        }
        dflt_index[e] = at;
      }
    }
    const int64_t slots = out->num_elements() / elem;
    if (pod) {
      const size_t es = DataTypeSize(values.dtype());
      const auto* src = static_cast<const uint8_t*>(values.raw_data());
      const auto* dsrc = static_cast<const uint8_t*>(dflt.raw_data());
      auto* dst = static_cast<uint8_t*>(out->raw_data());
      for (int64_t e = 0; e < elem; ++e) std::memcpy(dst + e * es, dsrc + dflt_index[e] * es, es);
      for (int64_t s = 1; s < slots; ++s) std::memcpy(dst + s * elem * es, dst, elem * es);
      for (const auto& [i, at] : placed) {
        std::memcpy(dst + at * elem * es, src + i * elem * es, elem * es);
      }
    } else {
      std::string* dst = out->strings();
      for (int64_t s = 0; s < slots; ++s) {
        for (int64_t e = 0; e < elem; ++e) dst[s * elem + e] = dflt.strings()[dflt_index[e]];
      }
      for (const auto& [i, at] : placed) {
        for (int64_t e = 0; e < elem; ++e) dst[at * elem + e] = values.strings()[i * elem + e];
      }
    }
    return Status::OK();
  }

 private:
  // The partition of ragged dimension k (after FIRST_DIM_SIZE).
  Partition Type(int k) const { return types_[types_[0] == Partition::kFirstDimSize ? k + 1 : k]; }
  const char* PartitionName(int k) const {
    return Type(k) == Partition::kRowSplits ? "row_splits" : "value_rowids";
  }
  // How many rows of its level partition k addresses: its rows (row_splits), or the largest
  // row id + 1 (value_rowids).
  int64_t Addressed(const std::vector<std::vector<int64_t>>& parts, int k) const {
    const std::vector<int64_t>& p = parts[k];
    if (p.empty()) return 0;
    if (Type(k) == Partition::kRowSplits) return static_cast<int64_t>(p.size()) - 1;
    return std::max<int64_t>(0, *std::max_element(p.begin(), p.end()) + 1);
  }

  std::vector<Partition> types_;
  int ragged_rank_ = 0;
};

}  // namespace

void RegisterRaggedKernels(KernelRegistry* r) {
  r->Register("RaggedTensorToTensor", MakeKernel<RaggedTensorToTensorKernel>());
}

}  // namespace ckpt
