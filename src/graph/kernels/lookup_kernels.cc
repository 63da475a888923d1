// Lookup tables: HashTableV2 (tf.lookup.StaticHashTable: initialized once, from tensors or a
// vocabulary file) and MutableHashTableV2, with TF's find/insert/remove/import/export/size
// semantics. A table is a resource (ResourceBase) in the session's VariableStore, named by its
// container/shared_name like a variable, so function bodies that capture its handle and the
// SavedModel init op that fills it share it with the calling graph.
//
// Keys: int32, int64 or string; values: scalars of int32, int64, float, double, bool or
// string (the dtypes TF registers for these tables). Rows are stored in insertion order, a
// hash index maps a key to its row; export returns the rows in that order.
#include <charconv>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "graph/kernel.h"
#include "graph/kernels/kernel_util.h"

namespace ckpt {

namespace {

bool IsKeyType(DataType t) {
  return t == DataType::kInt32 || t == DataType::kInt64 || t == DataType::kString;
}
bool IsValueType(DataType t) {
  return t == DataType::kInt32 || t == DataType::kInt64 || t == DataType::kFloat ||
         t == DataType::kDouble || t == DataType::kBool || t == DataType::kString;
}
std::string TypeName(DataType t) { return std::string(DataTypeName(t)); }

class HashTable : public ResourceBase {
 public:
  HashTable(std::string name, DataType key_dtype, DataType value_dtype, bool is_mutable)
      : name_(std::move(name)),
        key_dtype_(key_dtype),
        value_dtype_(value_dtype),
        mutable_(is_mutable),
        value_size_(value_dtype == DataType::kString ? 0 : DataTypeSize(value_dtype)) {}

  std::string_view kind() const override { return mutable_ ? "mutable hash table" : "hash table"; }
  const std::string& name() const { return name_; }
  DataType key_dtype() const { return key_dtype_; }
  DataType value_dtype() const { return value_dtype_; }
  bool is_mutable() const { return mutable_; }

  // InvalidArgument unless the op's key/value dtypes are the table's.
  Status CheckTypes(DataType key, DataType value) const {
    if (key == key_dtype_ && value == value_dtype_) return Status::OK();
    return InvalidArgumentError("conflicting key/value dtypes " + TypeName(key) + "->" +
                                TypeName(value) + " with " + TypeName(key_dtype_) + "->" +
                                TypeName(value_dtype_) + " of table " + name_);
  }
  Status CheckKeyType(DataType key) const {
    if (key == key_dtype_) return Status::OK();
    return InvalidArgumentError("keys of dtype " + TypeName(key) + " for table " + name_ +
                                " of key dtype " + TypeName(key_dtype_));
  }

  int64_t size() {
    std::lock_guard<std::mutex> l(mu_);
    return NumRows();
  }

  // Values of `keys` (default_value where absent: a scalar, or one per key) into `out`, which
  // has the keys' shape.
  Status Find(const Tensor& keys, const Tensor& default_value, Tensor* out) {
    const int64_t n = keys.num_elements();
    const bool per_key_default = default_value.num_elements() == n && n != 1;
    if (default_value.num_elements() != 1 && !per_key_default) {
      return InvalidArgumentError("default_value of table " + name_ + " must be a scalar or have " +
                                  std::to_string(n) + " elements (one per key), got shape " +
                                  default_value.shape().DebugString());
    }
    std::lock_guard<std::mutex> l(mu_);
    if (!mutable_ && !initialized_) {
      return FailedPreconditionError("table " + name_ +
                                     " is not initialized (its initializer has not run)");
    }
    for (int64_t i = 0; i < n; ++i) {
      const int64_t row = FindRow(keys, i);
      CopyValue(row >= 0 ? nullptr : &default_value, row, per_key_default ? i : 0, out, i);
    }
    return Status::OK();
  }

  // Static tables: the first initialization fills the table; a later one with the same
  // entries is a no-op (TF re-runs init ops on every load), with others FailedPrecondition.
  // Mutable tables (import): replaces the contents.
  Status Import(const Tensor& keys, const Tensor& values) {
    CKPT_RETURN_IF_ERROR(CheckKeysValues(keys, values));
    std::lock_guard<std::mutex> l(mu_);
    if (mutable_) {
      Clear();
      return InsertLocked(keys, values, /*overwrite=*/true);
    }
    if (initialized_) {
      if (SameEntries(keys, values)) return Status::OK();
      return FailedPreconditionError("table " + name_ +
                                     " was already initialized with different data");
    }
    Status s = InsertLocked(keys, values, /*overwrite=*/false);
    if (!s.ok()) {
      Clear();
      return s;
    }
    initialized_ = true;
    return Status::OK();
  }

  // Static tables from a vocabulary file: already initialized is fine (TF's rule: the shared
  // name holds the file name).
  bool initialized() {
    std::lock_guard<std::mutex> l(mu_);
    return initialized_;
  }

  Status Insert(const Tensor& keys, const Tensor& values) {
    if (!mutable_) return InvalidArgumentError("table " + name_ + " is not mutable");
    CKPT_RETURN_IF_ERROR(CheckKeysValues(keys, values));
    std::lock_guard<std::mutex> l(mu_);
    return InsertLocked(keys, values, /*overwrite=*/true);
  }

  Status Remove(const Tensor& keys) {
    if (!mutable_) return InvalidArgumentError("table " + name_ + " is not mutable");
    std::lock_guard<std::mutex> l(mu_);
    for (int64_t i = 0; i < keys.num_elements(); ++i) {
      const int64_t row = FindRow(keys, i);
      if (row >= 0) RemoveRow(row);
    }
    return Status::OK();
  }

  Status Export(OpKernelContext* ctx) {
    std::lock_guard<std::mutex> l(mu_);
    const int64_t n = NumRows();
    CKPT_ASSIGN_OR_RETURN(Tensor * keys, ctx->allocate_output(0, key_dtype_, TensorShape({n})));
    CKPT_ASSIGN_OR_RETURN(Tensor * values, ctx->allocate_output(1, value_dtype_, TensorShape({n})));
    for (int64_t r = 0; r < n; ++r) {
      if (key_dtype_ == DataType::kString) {
        keys->strings()[r] = str_keys_[r];
      } else if (key_dtype_ == DataType::kInt32) {
        keys->data<int32_t>()[r] = static_cast<int32_t>(int_keys_[r]);
      } else {
        keys->data<int64_t>()[r] = int_keys_[r];
      }
      CopyValue(nullptr, r, 0, values, r);
    }
    return Status::OK();
  }

 private:
  int64_t NumRows() const {
    return static_cast<int64_t>(key_dtype_ == DataType::kString ? str_keys_.size()
                                                                : int_keys_.size());
  }
  int64_t IntKey(const Tensor& keys, int64_t i) const {
    return key_dtype_ == DataType::kInt32 ? keys.data<int32_t>()[i] : keys.data<int64_t>()[i];
  }
  int64_t FindRow(const Tensor& keys, int64_t i) const {
    if (key_dtype_ == DataType::kString) {
      auto it = str_rows_.find(keys.strings()[i]);
      return it == str_rows_.end() ? -1 : it->second;
    }
    auto it = int_rows_.find(IntKey(keys, i));
    return it == int_rows_.end() ? -1 : it->second;
  }

  // out[i] = row's value, or (row < 0) dflt[j].
  void CopyValue(const Tensor* dflt, int64_t row, int64_t j, Tensor* out, int64_t i) const {
    if (value_dtype_ == DataType::kString) {
      out->strings()[i] = dflt != nullptr ? dflt->strings()[j] : str_values_[row];
      return;
    }
    const std::byte* src = dflt != nullptr
                               ? static_cast<const std::byte*>(dflt->raw_data()) + j * value_size_
                               : pod_values_.data() + row * value_size_;
    std::memcpy(static_cast<std::byte*>(out->raw_data()) + i * value_size_, src, value_size_);
  }

  Status CheckKeysValues(const Tensor& keys, const Tensor& values) const {
    CKPT_RETURN_IF_ERROR(CheckTypes(keys.dtype(), values.dtype()));
    if (!(keys.shape() == values.shape())) {
      return InvalidArgumentError("keys and values of table " + name_ +
                                  " must have the same shape (the table holds scalar values), "
                                  "got keys " +
                                  keys.shape().DebugString() + " and values " +
                                  values.shape().DebugString());
    }
    return Status::OK();
  }

  bool ValueEquals(int64_t row, const Tensor& values, int64_t i) const {
    if (value_dtype_ == DataType::kString) return str_values_[row] == values.strings()[i];
    return std::memcmp(pod_values_.data() + row * value_size_,
                       static_cast<const std::byte*>(values.raw_data()) + i * value_size_,
                       value_size_) == 0;
  }

  bool SameEntries(const Tensor& keys, const Tensor& values) const {
    for (int64_t i = 0; i < keys.num_elements(); ++i) {
      const int64_t row = FindRow(keys, i);
      if (row < 0 || !ValueEquals(row, values, i)) return false;
    }
    return true;
  }

  void SetValue(int64_t row, const Tensor& values, int64_t i) {
    if (value_dtype_ == DataType::kString) {
      str_values_[row] = values.strings()[i];
    } else {
      std::memcpy(pod_values_.data() + row * value_size_,
                  static_cast<const std::byte*>(values.raw_data()) + i * value_size_, value_size_);
    }
  }

  std::string KeyString(const Tensor& keys, int64_t i) const {
    return key_dtype_ == DataType::kString ? "'" + keys.strings()[i] + "'"
                                           : std::to_string(IntKey(keys, i));
  }

  // Adds every pair; an existing key is overwritten (mutable tables) or must map to the same
  // value (static tables, as TF's HashTable).
  Status InsertLocked(const Tensor& keys, const Tensor& values, bool overwrite) {
    for (int64_t i = 0; i < keys.num_elements(); ++i) {
      int64_t row = FindRow(keys, i);
      if (row >= 0) {
        if (overwrite) {
          SetValue(row, values, i);
        } else if (!ValueEquals(row, values, i)) {
          return FailedPreconditionError("table " + name_ + " has different values for key " +
                                         KeyString(keys, i));
        }
        continue;
      }
      row = NumRows();
      if (key_dtype_ == DataType::kString) {
        str_keys_.push_back(keys.strings()[i]);
        str_rows_.emplace(str_keys_.back(), row);
      } else {
        int_keys_.push_back(IntKey(keys, i));
        int_rows_.emplace(int_keys_.back(), row);
      }
      if (value_dtype_ == DataType::kString) {
        str_values_.emplace_back();
      } else {
        pod_values_.resize(pod_values_.size() + value_size_);
      }
      SetValue(row, values, i);
    }
    return Status::OK();
  }

  // Moves the last row into `row` and drops the last.
  void RemoveRow(int64_t row) {
    const int64_t last = NumRows() - 1;
    if (key_dtype_ == DataType::kString) {
      str_rows_.erase(str_keys_[row]);
      if (row != last) {
        str_keys_[row] = std::move(str_keys_[last]);
        str_rows_[str_keys_[row]] = row;
      }
      str_keys_.pop_back();
    } else {
      int_rows_.erase(int_keys_[row]);
      if (row != last) {
        int_keys_[row] = int_keys_[last];
        int_rows_[int_keys_[row]] = row;
      }
      int_keys_.pop_back();
    }
    if (value_dtype_ == DataType::kString) {
      if (row != last) str_values_[row] = std::move(str_values_[last]);
      str_values_.pop_back();
    } else {
      if (row != last) {
        std::memcpy(pod_values_.data() + row * value_size_, pod_values_.data() + last * value_size_,
                    value_size_);
      }
      pod_values_.resize(pod_values_.size() - value_size_);
    }
  }

  void Clear() {
    int_rows_.clear();
    str_rows_.clear();
    int_keys_.clear();
    str_keys_.clear();
    pod_values_.clear();
    str_values_.clear();
  }

  const std::string name_;
  const DataType key_dtype_, value_dtype_;
  const bool mutable_;
  const size_t value_size_;  // bytes of one value; 0 for strings
  std::mutex mu_;
  bool initialized_ = false;  // static tables only
  std::unordered_map<int64_t, int64_t> int_rows_;
  std::unordered_map<std::string, int64_t> str_rows_;
  std::vector<int64_t> int_keys_;
  std::vector<std::string> str_keys_;
  std::vector<std::byte> pod_values_;
  std::vector<std::string> str_values_;
};

// The table behind resource input `i`, or an error naming what the input holds instead.
StatusOr<HashTable*> TableInput(OpKernelContext* ctx, int i) {
  VarSlot* slot = ctx->resource_input(i);
  if (slot == nullptr) {
    return InvalidArgumentError("input " + std::to_string(i) + " must be a table handle");
  }
  std::lock_guard<std::mutex> l(slot->mu);
  auto* table = dynamic_cast<HashTable*>(slot->object.get());
  if (table == nullptr) {
    return InvalidArgumentError("input " + std::to_string(i) + " is " + slot->name +
                                ", which is not a lookup table");
  }
  return table;
}

// HashTableV2 / MutableHashTableV2: creates the table on first use and outputs its handle.
class HashTableKernel : public OpKernel {
 public:
  HashTableKernel(const OpKernelConstruction& c, bool is_mutable)
      : name_(c.name()), mutable_(is_mutable) {
    std::string container, shared_name;
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("container", &container));
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("shared_name", &shared_name));
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("key_dtype", &key_dtype_));
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("value_dtype", &value_dtype_));
    // Tables and variables are separate kinds of resources (TF's resource manager keys by
    // type too), so a table never takes a variable's slot of the same name.
    key_ = "table:" + VariableStore::KeyFor(container, shared_name, c.name());
    if (!IsKeyType(key_dtype_) || !IsValueType(value_dtype_)) {
      c.CtxFailure(UnimplementedError("hash tables from " + TypeName(key_dtype_) + " to " +
                                      TypeName(value_dtype_) +
                                      " (keys: int32, int64, string; values: int32, int64, "
                                      "float, double, bool, string)"));
    }
  }
  Status Compute(OpKernelContext* ctx) override {
    if (slot_ == nullptr) {
      VarSlot* slot = ctx->variables()->LookupOrCreateResource(key_, value_dtype_, name_);
      std::lock_guard<std::mutex> l(slot->mu);
      if (slot->object == nullptr) {
        slot->object = std::make_unique<HashTable>(name_, key_dtype_, value_dtype_, mutable_);
      }
      auto* table = dynamic_cast<HashTable*>(slot->object.get());
      if (table == nullptr || table->is_mutable() != mutable_) {
        return InvalidArgumentError("resource " + key_ + " already holds a different resource");
      }
      CKPT_RETURN_IF_ERROR(table->CheckTypes(key_dtype_, value_dtype_));
      slot_ = slot;
    }
    ctx->set_resource_output(0, slot_);
    return Status::OK();
  }

 private:
  std::string name_, key_;
  bool mutable_;
  DataType key_dtype_ = DataType::kInvalid, value_dtype_ = DataType::kInvalid;
  VarSlot* slot_ = nullptr;
};

template <bool kMutable>
class HashTableKernelOf : public HashTableKernel {
 public:
  explicit HashTableKernelOf(const OpKernelConstruction& c) : HashTableKernel(c, kMutable) {}
};

Status LookupTableFind(OpKernelContext* ctx) {
  CKPT_ASSIGN_OR_RETURN(HashTable * table, TableInput(ctx, 0));
  const Tensor& keys = ctx->input(1);
  const Tensor& dflt = ctx->input(2);
  CKPT_RETURN_IF_ERROR(table->CheckTypes(keys.dtype(), dflt.dtype()));
  CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output(0, dflt.dtype(), keys.shape()));
  return table->Find(keys, dflt, out);
}

Status LookupTableImport(OpKernelContext* ctx) {
  CKPT_ASSIGN_OR_RETURN(HashTable * table, TableInput(ctx, 0));
  return table->Import(ctx->input(1), ctx->input(2));
}

Status LookupTableInsert(OpKernelContext* ctx) {
  CKPT_ASSIGN_OR_RETURN(HashTable * table, TableInput(ctx, 0));
  return table->Insert(ctx->input(1), ctx->input(2));
}

Status LookupTableRemove(OpKernelContext* ctx) {
  CKPT_ASSIGN_OR_RETURN(HashTable * table, TableInput(ctx, 0));
  CKPT_RETURN_IF_ERROR(table->CheckKeyType(ctx->input(1).dtype()));
  return table->Remove(ctx->input(1));
}

Status LookupTableExport(OpKernelContext* ctx) {
  CKPT_ASSIGN_OR_RETURN(HashTable * table, TableInput(ctx, 0));
  return table->Export(ctx);
}

Status LookupTableSize(OpKernelContext* ctx) {
  CKPT_ASSIGN_OR_RETURN(HashTable * table, TableInput(ctx, 0));
  ctx->set_output(0, Tensor::Scalar<int64_t>(table->size()));
  return Status::OK();
}

// ---- InitializeTableFromTextFileV2 ----------------------------------------------------------
// One entry per line of the file: key and value are the whole line (-2), the line number plus
// `offset` (-1) or a column split at `delimiter`; `vocab_size` >= 0 reads that many lines and
// fails on a shorter file. Read through the session's Env (its file-access policy applies).

constexpr int64_t kWholeLine = -2;
constexpr int64_t kLineNumber = -1;

class InitializeTableFromTextFileKernel : public OpKernel {
 public:
  explicit InitializeTableFromTextFileKernel(const OpKernelConstruction& c) {
    std::string delimiter;
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("key_index", &key_index_));
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("value_index", &value_index_));
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("vocab_size", &vocab_size_));
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("delimiter", &delimiter));
    if (c.HasAttr("offset")) CKPT_OP_REQUIRES_OK(c, c.GetAttr("offset", &offset_));
    if (key_index_ < kWholeLine || value_index_ < kWholeLine) {
      c.CtxFailure(InvalidArgumentError("key_index and value_index must be at least -2, got " +
                                        std::to_string(key_index_) + " and " +
                                        std::to_string(value_index_)));
    }
    if (delimiter.size() != 1) {
      c.CtxFailure(
          InvalidArgumentError("delimiter must be one character, got '" + delimiter + "'"));
    }
    delimiter_ = delimiter.empty() ? '\t' : delimiter[0];
  }

  Status Compute(OpKernelContext* ctx) override {
    CKPT_ASSIGN_OR_RETURN(HashTable * table, TableInput(ctx, 0));
    const Tensor& filename = ctx->input(1);
    if (filename.dtype() != DataType::kString || filename.num_elements() != 1) {
      return InvalidArgumentError("filename must be a string scalar, got shape " +
                                  filename.shape().DebugString());
    }
    if (table->initialized()) return Status::OK();
    const std::string& file = filename.strings()[0];
    CKPT_ASSIGN_OR_RETURN(std::string contents, ReadFileWithinLimits(ctx, file));
    Tensor keys, values;
    CKPT_RETURN_IF_ERROR(Parse(file, contents, table, &keys, &values));
    return table->Import(keys, values);
  }

 private:
  Status Parse(const std::string& file, std::string_view contents, HashTable* table, Tensor* keys,
               Tensor* values) const {
    std::vector<std::string_view> lines;
    for (size_t pos = 0; pos < contents.size();) {
      size_t end = contents.find('\n', pos);
      if (end == std::string_view::npos) end = contents.size();
      std::string_view line = contents.substr(pos, end - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (vocab_size_ >= 0 && static_cast<int64_t>(lines.size()) == vocab_size_) break;
      if (line.empty()) {
        return InvalidArgumentError("vocabulary file '" + file + "': empty line at line " +
                                    std::to_string(lines.size()));
      }
      lines.push_back(line);
      pos = end + 1;
    }
    if (vocab_size_ >= 0 && static_cast<int64_t>(lines.size()) != vocab_size_) {
      return InvalidArgumentError("vocabulary file '" + file + "' has " +
                                  std::to_string(lines.size()) + " lines, vocab_size is " +
                                  std::to_string(vocab_size_));
    }
    const TensorShape shape({static_cast<int64_t>(lines.size())});
    CKPT_ASSIGN_OR_RETURN(*keys, Tensor::Allocate(table->key_dtype(), shape));
    CKPT_ASSIGN_OR_RETURN(*values, Tensor::Allocate(table->value_dtype(), shape));
    std::vector<std::string_view> tokens;
    const int64_t needed = std::max(key_index_, value_index_) + 1;
    for (size_t i = 0; i < lines.size(); ++i) {
      tokens.clear();
      if (needed > 0) {
        std::string_view rest = lines[i];
        for (;;) {
          const size_t d = rest.find(delimiter_);
          tokens.push_back(rest.substr(0, d));
          if (d == std::string_view::npos) break;
          rest.remove_prefix(d + 1);
        }
        if (static_cast<int64_t>(tokens.size()) < needed) {
          return InvalidArgumentError("vocabulary file '" + file + "' line " + std::to_string(i) +
                                      ": expected at least " + std::to_string(needed) +
                                      " columns, got " + std::to_string(tokens.size()));
        }
      }
      CKPT_RETURN_IF_ERROR(SetField(file, lines[i], tokens, key_index_, i, keys));
      CKPT_RETURN_IF_ERROR(SetField(file, lines[i], tokens, value_index_, i, values));
    }
    return Status::OK();
  }

  Status SetField(const std::string& file, std::string_view line,
                  const std::vector<std::string_view>& tokens, int64_t index, size_t i,
                  Tensor* out) const {
    if (index == kLineNumber) {
      if (out->dtype() != DataType::kInt64) {
        return InvalidArgumentError("a line-number field needs an int64 table column, got " +
                                    TypeName(out->dtype()));
      }
      out->data<int64_t>()[i] = static_cast<int64_t>(i) + offset_;
      return Status::OK();
    }
    const std::string_view token = index == kWholeLine ? line : tokens[index];
    auto bad = [&](const char* what) {
      return InvalidArgumentError("vocabulary file '" + file + "' line " + std::to_string(i) +
                                  ": field '" + std::string(token) + "' is not a valid " + what);
    };
    auto parse_int = [&](int64_t* v) {
      auto [p, ec] = std::from_chars(token.data(), token.data() + token.size(), *v);
      return ec == std::errc() && p == token.data() + token.size();
    };
    switch (out->dtype()) {
      case DataType::kString: out->strings()[i] = std::string(token); return Status::OK();
      case DataType::kInt64: {
        int64_t v;
        if (!parse_int(&v)) return bad("int64");
        out->data<int64_t>()[i] = v;
        return Status::OK();
      }
      case DataType::kInt32: {
        int64_t v;
        if (!parse_int(&v) || v < INT32_MIN || v > INT32_MAX) return bad("int32");
        out->data<int32_t>()[i] = static_cast<int32_t>(v + offset_);  // TF adds offset here too
        return Status::OK();
      }
      case DataType::kFloat:
      case DataType::kDouble: {
        double v;
        auto [p, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
        if (ec != std::errc() || p != token.data() + token.size()) return bad("number");
        if (out->dtype() == DataType::kFloat) {
          out->data<float>()[i] = static_cast<float>(v);
        } else {
          out->data<double>()[i] = v;
        }
        return Status::OK();
      }
      default:
        return InvalidArgumentError("vocabulary tables of " + TypeName(out->dtype()) +
                                    " are not supported");
    }
  }

  int64_t key_index_ = kWholeLine, value_index_ = kLineNumber, vocab_size_ = -1, offset_ = 0;
  char delimiter_ = '\t';
};

}  // namespace

void RegisterLookupKernels(KernelRegistry* r) {
  r->Register("HashTableV2", MakeKernel<HashTableKernelOf<false>>());
  r->Register("MutableHashTableV2", MakeKernel<HashTableKernelOf<true>>());
  r->RegisterFn("LookupTableFindV2", LookupTableFind);
  r->RegisterFn("LookupTableImportV2", LookupTableImport);
  r->RegisterFn("InitializeTableV2", LookupTableImport);
  r->RegisterFn("LookupTableInsertV2", LookupTableInsert);
  r->RegisterFn("LookupTableRemoveV2", LookupTableRemove);
  r->RegisterFn("LookupTableExportV2", LookupTableExport);
  r->RegisterFn("LookupTableSizeV2", LookupTableSize);
  r->Register("InitializeTableFromTextFileV2", MakeKernel<InitializeTableFromTextFileKernel>());
}

}  // namespace ckpt
