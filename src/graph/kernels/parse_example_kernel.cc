// ParseExample and ParseExampleV2 (dense features): decodes serialized tf.Example protos, as the
// classify / regress signatures of TF1 SavedModels do. The tf.Example wire format is read directly:
//   Example  { Features features = 1; }
//   Features { map<string, Feature> feature = 1; }   (entries: key = 1, value = 2)
//   Feature  { oneof { BytesList bytes_list = 1; FloatList float_list = 2;
//                      Int64List int64_list = 3; } }   (each: repeated value = 1)
// Sparse keys are not supported (rejected when the kernel is built).
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <cstring>

#include <map>
#include <string>
#include <vector>

#include "graph/kernel.h"

namespace ckpt {

namespace {

using google::protobuf::io::CodedInputStream;

struct FeatureValues {
  int kind = 0;  // 1 bytes, 2 float, 3 int64
  std::vector<std::string> bytes;
  std::vector<float> floats;
  std::vector<int64_t> ints;
};

bool ReadLengthDelimited(CodedInputStream* in, std::string* out) {
  uint32_t len = 0;
  if (!in->ReadVarint32(&len)) return false;
  return in->ReadString(out, static_cast<int>(len));
}

// Parses a BytesList/FloatList/Int64List message body.
bool ParseList(const std::string& body, int kind, FeatureValues* f) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(body.data()), static_cast<int>(body.size()));
  f->kind = kind;
  while (uint32_t tag = in.ReadTag()) {
    const int field = static_cast<int>(tag >> 3), wire = static_cast<int>(tag & 7);
    if (field != 1) {
      if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) return false;
      continue;
    }
    if (kind == 1) {
      if (wire != 2) return false;
      std::string s;
      if (!ReadLengthDelimited(&in, &s)) return false;
      f->bytes.push_back(std::move(s));
    } else if (kind == 2) {
      if (wire == 2) {  // packed
        std::string packed;
        if (!ReadLengthDelimited(&in, &packed) || packed.size() % 4 != 0) return false;
        for (size_t i = 0; i < packed.size(); i += 4) {
          float v;
          std::memcpy(&v, packed.data() + i, 4);
          f->floats.push_back(v);
        }
      } else if (wire == 5) {
        uint32_t bits;
        if (!in.ReadLittleEndian32(&bits)) return false;
        float v;
        std::memcpy(&v, &bits, 4);
        f->floats.push_back(v);
      } else {
        return false;
      }
    } else {
      if (wire == 2) {
        std::string packed;
        if (!ReadLengthDelimited(&in, &packed)) return false;
        CodedInputStream p(reinterpret_cast<const uint8_t*>(packed.data()),
                           static_cast<int>(packed.size()));
        while (p.BytesUntilLimit() > 0) {
          uint64_t v;
          if (!p.ReadVarint64(&v)) return false;
          f->ints.push_back(static_cast<int64_t>(v));
        }
      } else if (wire == 0) {
        uint64_t v;
        if (!in.ReadVarint64(&v)) return false;
        f->ints.push_back(static_cast<int64_t>(v));
      } else {
        return false;
      }
    }
  }
  return in.ConsumedEntireMessage() || in.BytesUntilLimit() <= 0;
}

bool ParseFeature(const std::string& body, FeatureValues* f) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(body.data()), static_cast<int>(body.size()));
  while (uint32_t tag = in.ReadTag()) {
    const int field = static_cast<int>(tag >> 3);
    if ((field >= 1 && field <= 3) && (tag & 7) == 2) {
      std::string list;
      if (!ReadLengthDelimited(&in, &list)) return false;
      *f = FeatureValues();
      if (!ParseList(list, field, f)) return false;
    } else if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) {
      return false;
    }
  }
  return true;
}

// Feature map of one serialized Example (later entries of a key win, as protobuf maps).
bool ParseExampleProto(const std::string& bytes, std::map<std::string, FeatureValues>* out) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                      static_cast<int>(bytes.size()));
  while (uint32_t tag = in.ReadTag()) {
    if ((tag >> 3) != 1 || (tag & 7) != 2) {
      if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) return false;
      continue;
    }
    std::string features;
    if (!ReadLengthDelimited(&in, &features)) return false;
    CodedInputStream fin(reinterpret_cast<const uint8_t*>(features.data()),
                         static_cast<int>(features.size()));
    while (uint32_t ftag = fin.ReadTag()) {
      if ((ftag >> 3) != 1 || (ftag & 7) != 2) {
        if (!google::protobuf::internal::WireFormatLite::SkipField(&fin, ftag)) return false;
        continue;
      }
      std::string entry;
      if (!ReadLengthDelimited(&fin, &entry)) return false;
      CodedInputStream ein(reinterpret_cast<const uint8_t*>(entry.data()),
                           static_cast<int>(entry.size()));
      std::string key, value;
      while (uint32_t etag = ein.ReadTag()) {
        if ((etag & 7) == 2 && (etag >> 3) == 1) {
          if (!ReadLengthDelimited(&ein, &key)) return false;
        } else if ((etag & 7) == 2 && (etag >> 3) == 2) {
          if (!ReadLengthDelimited(&ein, &value)) return false;
        } else if (!google::protobuf::internal::WireFormatLite::SkipField(&ein, etag)) {
          return false;
        }
      }
      FeatureValues f;
      if (!ParseFeature(value, &f)) return false;
      (*out)[key] = std::move(f);
    }
  }
  return true;
}

class ParseExampleKernel : public OpKernel {
 public:
  explicit ParseExampleKernel(const OpKernelConstruction& c) : v2_(c.op() == "ParseExampleV2") {
    CKPT_OP_REQUIRES_OK(c, ReadAttrs(c));
  }

  Status Compute(OpKernelContext* ctx) override {
    const Tensor& serialized = ctx->input(0);
    if (serialized.dtype() != DataType::kString || serialized.shape().rank() != 1) {
      return InvalidArgumentError("node " + ctx->name() + ": serialized must be a string vector");
    }
    const int64_t batch = serialized.num_elements();
    // ParseExample inputs: serialized, names, dense_keys x Ndense, dense_defaults x Ndense.
    // ParseExampleV2: serialized, names, sparse_keys, dense_keys (a vector), ragged_keys,
    // dense_defaults x Tdense.
    std::vector<std::string> keys;
    if (v2_) {
      const Tensor& dense_keys = ctx->input(3);
      if (dense_keys.dtype() != DataType::kString || dense_keys.num_elements() != ndense_) {
        return InvalidArgumentError("node " + ctx->name() + ": dense_keys must hold " +
                                    std::to_string(ndense_) + " strings");
      }
      keys.assign(dense_keys.strings(), dense_keys.strings() + ndense_);
    }
    for (int k = 0; k < ndense_ && !v2_; ++k) {
      const Tensor& key = ctx->input(2 + k);
      if (key.dtype() != DataType::kString || key.num_elements() != 1) {
        return InvalidArgumentError("node " + ctx->name() + ": dense_keys must be scalars");
      }
      keys.push_back(key.strings()[0]);
    }
    std::vector<std::map<std::string, FeatureValues>> examples(batch);
    for (int64_t b = 0; b < batch; ++b) {
      if (!ParseExampleProto(serialized.strings()[b], &examples[b])) {
        return InvalidArgumentError("node " + ctx->name() + ": could not parse example " +
                                    std::to_string(b) + " as a tf.Example");
      }
    }
    for (int k = 0; k < ndense_; ++k) {
      std::vector<int64_t> dims = {batch};
      for (int64_t d : shapes_[k].dims()) {
        if (d < 0) {
          return UnimplementedError("node " + ctx->name() + ": dense feature " + keys[k] +
                                    " has a variable-length shape");
        }
        dims.push_back(d);
      }
      // Validated (element counts without overflow) before any arithmetic on them.
      auto feature_shape = TensorShape::FromDims(std::span<const int64_t>(dims).subspan(1));
      auto batch_shape = TensorShape::FromDims(dims);
      if (!feature_shape.ok() || !batch_shape.ok()) {
        return InvalidArgumentError("node " + ctx->name() + ": dense feature " + keys[k] +
                                    " of shape " + shapes_[k].DebugString() + " for a batch of " +
                                    std::to_string(batch) + " is too large");
      }
      const int64_t per = feature_shape->num_elements();
      const TensorShape& shape = *batch_shape;
      const Tensor& def = ctx->input(v2_ ? 5 + k : 2 + ndense_ + k);
      CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output(k, tdense_[k], shape));
      const int want_kind = tdense_[k] == DataType::kString  ? 1
                            : tdense_[k] == DataType::kFloat ? 2
                                                             : 3;
      for (int64_t b = 0; b < batch; ++b) {
        auto it = examples[b].find(keys[k]);
        if (it == examples[b].end()) {
          if (def.num_elements() != per) {
            return InvalidArgumentError("node " + ctx->name() + ": example " + std::to_string(b) +
                                        " lacks required feature '" + keys[k] + "'");
          }
          for (int64_t i = 0; i < per; ++i) {
            if (want_kind == 1) out->strings()[b * per + i] = def.strings()[i];
            if (want_kind == 2) out->data<float>()[b * per + i] = def.data<float>()[i];
            if (want_kind == 3) out->data<int64_t>()[b * per + i] = def.data<int64_t>()[i];
          }
          continue;
        }
        const FeatureValues& f = it->second;
        const size_t have = f.kind == 1   ? f.bytes.size()
                            : f.kind == 2 ? f.floats.size()
                                          : f.ints.size();
        if (f.kind != want_kind || static_cast<int64_t>(have) != per) {
          return InvalidArgumentError(
              "node " + ctx->name() + ": example " + std::to_string(b) + " feature '" + keys[k] +
              "' has " + std::to_string(have) + " values of list kind " + std::to_string(f.kind) +
              ", expected " + std::to_string(per) + " of " + std::string(DataTypeName(tdense_[k])));
        }
        for (int64_t i = 0; i < per; ++i) {
          if (want_kind == 1) out->strings()[b * per + i] = f.bytes[i];
          if (want_kind == 2) out->data<float>()[b * per + i] = f.floats[i];
          if (want_kind == 3) out->data<int64_t>()[b * per + i] = f.ints[i];
        }
      }
    }
    return Status::OK();
  }

 private:
  // The attrs of ParseExample (Nsparse, Ndense) or ParseExampleV2 (num_sparse; Ndense is the
  // length of Tdense; no ragged keys), and Tdense/dense_shapes of the dense features.
  Status ReadAttrs(const OpKernelConstruction& c) {
    int64_t nsparse = 0, ndense = 0;
    std::vector<DataType>& tdense = tdense_;
    std::vector<PartialShape>& shapes = shapes_;
    CKPT_RETURN_IF_ERROR(c.GetAttr(v2_ ? "num_sparse" : "Nsparse", &nsparse));
    CKPT_RETURN_IF_ERROR(c.GetAttr("Tdense", &tdense));
    if (v2_) {
      ndense = static_cast<int64_t>(tdense.size());
      std::vector<DataType> ragged;
      CKPT_RETURN_IF_ERROR(c.GetAttr("ragged_value_types", &ragged));
      if (!ragged.empty()) {
        return UnimplementedError("node " + c.name() + ": " + c.op() +
                                  " with ragged keys is not supported");
      }
    } else {
      CKPT_RETURN_IF_ERROR(c.GetAttr("Ndense", &ndense));
    }
    if (nsparse != 0) {
      return UnimplementedError("node " + c.name() + ": " + c.op() +
                                " with sparse keys is not supported");
    }
    // dense_shapes: list(shape) read from the NodeDef.
    auto it = c.def().attr().find("dense_shapes");
    if (it == c.def().attr().end()) {
      return InvalidArgumentError("node " + c.name() + ": missing attr dense_shapes");
    }
    for (const auto& sp : it->second.list().shape()) {
      std::vector<int64_t> dims;
      for (const auto& d : sp.dim()) dims.push_back(d.size());
      shapes.emplace_back(dims);
    }
    if (static_cast<int64_t>(tdense.size()) != ndense ||
        static_cast<int64_t>(shapes.size()) != ndense) {
      return InvalidArgumentError("node " + c.name() + ": Tdense/dense_shapes do not match Ndense");
    }
    for (DataType t : tdense) {
      if (t != DataType::kFloat && t != DataType::kInt64 && t != DataType::kString) {
        return InvalidArgumentError("node " + c.name() + ": unsupported dense dtype");
      }
    }
    ndense_ = static_cast<int>(ndense);
    return Status::OK();
  }

  bool v2_;
  int ndense_ = 0;
  std::vector<DataType> tdense_;
  std::vector<PartialShape> shapes_;
};

}  // namespace

void RegisterParseExampleKernel(KernelRegistry* r) {
  r->Register("ParseExample", MakeKernel<ParseExampleKernel>());
  r->Register("ParseExampleV2", MakeKernel<ParseExampleKernel>());
}

}  // namespace ckpt
