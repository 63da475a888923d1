// _ckpt: the compiled half of the `ckpt` Python package (python/ckpt/ is the public API).
//
// Tensors cross the boundary as (dtype enum, shape, data): `data` is a flat uint8 NumPy array
// that owns (or, for mmapped views, keeps alive) the C++ buffer, which Python reinterprets
// with the right NumPy dtype without copying; DT_STRING data is a list of bytes. A non-OK
// Status becomes the Python exception registered for its code (ckpt.errors), message kept.
// Long reads, writes and runs release the GIL.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "ckpt/checkpoint/checkpoint_dir.h"
#include "ckpt/checkpoint/checkpoint_manager.h"
#include "ckpt/checkpoint/checkpoint_state.h"
#include "ckpt/core/env.h"
#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"
#include "ckpt/format/bundle.h"
#include "ckpt/format/checkpoint_reader.h"
#include "ckpt/format/convert.h"
#include "ckpt/metagraph/saved_model.h"
#include "commands.h"  // ckpt::cli::ResolveCheckpointPath: PATH as the CLI takes it

namespace nb = nanobind;
using namespace nb::literals;

namespace ckpt::python {
namespace {

// ---- errors --------------------------------------------------------------------------------

struct StatusError : std::exception {
  StatusError(const Status& s) : code(static_cast<int>(s.code())), message(s.message()) {}
  const char* what() const noexcept override { return message.c_str(); }
  int code;
  std::string message;
};

nb::dict& ErrorClasses() {  // code -> exception class, filled by ckpt.errors
  static nb::dict* classes = new nb::dict();
  return *classes;
}

void Check(const Status& s) {
  if (!s.ok()) throw StatusError(s);
}
template <typename T>
T Unwrap(StatusOr<T>&& s) {
  if (!s.ok()) throw StatusError(s.status());
  return std::move(s).value();
}

// ---- tensors -------------------------------------------------------------------------------

using Shape = std::vector<int64_t>;
Shape ShapeOf(const TensorShape& s) { return Shape(s.dims().begin(), s.dims().end()); }
nb::object PartialShapeOf(const PartialShape& s) {
  if (!s.known_rank()) return nb::none();
  nb::list dims;
  for (int64_t d : s.dims()) {
    dims.append(d < 0 ? nb::object(nb::none()) : nb::object(nb::int_(d)));
  }
  return dims;
}

// A tensor as Python passes it in: (name, dtype enum, shape, data).
using PyTensor = std::tuple<std::string, int, Shape, nb::object>;

using Bytes = nb::ndarray<nb::numpy, uint8_t, nb::ndim<1>, nb::c_contig>;
using ConstBytes = nb::ndarray<nb::numpy, const uint8_t, nb::ndim<1>, nb::c_contig>;

// (dtype, shape, data): data is a writable uint8 array owning `t` (POD), or a list of bytes.
nb::tuple TensorToPy(Tensor t) {
  const int dtype = static_cast<int>(t.dtype());
  Shape shape = ShapeOf(t.shape());
  if (t.dtype() == DataType::kString) {
    nb::list values;
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      const std::string& s = t.strings()[i];
      values.append(nb::bytes(s.data(), s.size()));
    }
    return nb::make_tuple(dtype, shape, values);
  }
  if (!DataTypeIsPod(t.dtype())) {
    throw StatusError(UnimplementedError(
        "tensors of dtype " + std::string(DataTypeName(t.dtype())) + " have no NumPy equivalent"));
  }
  // Borrowed results (a session echoing a fed buffer) or buffers shared with a graph
  // constant or variable are copied, so the NumPy array is the only owner of what it holds.
  if (t.is_borrowed() || !t.RefCountIsOne()) t = t.Clone();
  auto* holder = new Tensor(std::move(t));
  nb::capsule owner(holder, [](void* p) noexcept { delete static_cast<Tensor*>(p); });
  static uint8_t empty[1];
  void* data = holder->TotalBytes() > 0 ? holder->raw_data() : empty;
  return nb::make_tuple(dtype, shape, Bytes(data, {holder->TotalBytes()}, owner));
}

// A tensor over Python data: POD data is borrowed (the caller keeps `data` alive while the
// tensor is used), strings are copied.
Tensor TensorFromPy(int dtype_value, const Shape& dims, nb::handle data) {
  if (!IsValidDataType(dtype_value)) {
    throw StatusError(InvalidArgumentError("invalid dtype enum " + std::to_string(dtype_value)));
  }
  const DataType dtype = static_cast<DataType>(dtype_value);
  TensorShape shape = Unwrap(TensorShape::FromDims(dims));
  if (dtype == DataType::kString) {
    std::vector<std::string> values;
    values.reserve(static_cast<size_t>(shape.num_elements()));
    for (nb::handle v : data) {
      if (!nb::isinstance<nb::bytes>(v)) {
        throw StatusError(InvalidArgumentError("string tensor values must be bytes"));
      }
      nb::bytes b = nb::borrow<nb::bytes>(v);
      values.emplace_back(b.c_str(), b.size());
    }
    if (static_cast<int64_t>(values.size()) != shape.num_elements()) {
      throw StatusError(InvalidArgumentError("string tensor has " + std::to_string(values.size()) +
                                             " values for shape " + shape.DebugString()));
    }
    return Tensor::FromStrings(values, shape);
  }
  // Read-only arrays are accepted: nothing writes through a borrowed tensor (writers read it;
  // kernels never reuse a buffer they do not own).
  auto bytes = nb::cast<ConstBytes>(data);
  static uint8_t empty[1];
  void* p = bytes.size() > 0 ? const_cast<uint8_t*>(bytes.data()) : empty;
  return Unwrap(Tensor::Borrow(dtype, shape, p, bytes.size()));
}

std::string Resolve(const std::string& path) {
  return Unwrap(cli::ResolveCheckpointPath(Env::Default(), path));
}

// ---- converting ----------------------------------------------------------------------------

// `ckpt convert`: ConvertTensorFile on the input resolved as the CLI resolves it; (tensors,
// bytes) written.
std::pair<int64_t, uint64_t> Convert(
    const std::string& input, const std::string& output, const std::string& input_format,
    const std::string& output_format, const std::string& only,
    const std::vector<std::pair<std::string, std::string>>& renames) {
  ConvertOptions o;
  o.input_format = Unwrap(TensorFileFormatFromName(input_format));
  o.output_format = Unwrap(TensorFileFormatFromName(output_format));
  o.only = only;
  o.renames = renames;
  nb::gil_scoped_release release;  // re-acquired when Unwrap throws, as the scope unwinds
  const std::string source =
      Unwrap(cli::ResolveConvertInput(Env::Default(), input, o.input_format));
  ConvertResult r = Unwrap(ConvertTensorFile(Env::Default(), source, output, o));
  return {r.tensors, r.bytes};
}

// ---- reading -------------------------------------------------------------------------------

class Reader {
 public:
  explicit Reader(const std::string& path) : prefix_(Resolve(path)) {
    reader_ = Unwrap(OpenCheckpoint(Env::Default(), prefix_));
  }
  const std::string& prefix() const { return prefix_; }
  std::string format() const { return std::string(reader_->format()); }
  std::vector<std::tuple<std::string, int, Shape>> variables() const {
    std::vector<std::tuple<std::string, int, Shape>> out;
    for (const CheckpointTensorInfo& v : reader_->variables()) {
      out.emplace_back(v.name, static_cast<int>(v.dtype), ShapeOf(v.shape));
    }
    return out;
  }
  bool contains(const std::string& name) const { return reader_->Contains(name); }
  nb::tuple lookup(const std::string& name) const {
    StatusOr<Tensor> t = [&] {
      nb::gil_scoped_release release;
      return reader_->Lookup(name);
    }();
    return TensorToPy(Unwrap(std::move(t)));
  }
  void verify() const {
    nb::gil_scoped_release release;
    Check(reader_->VerifyAll());
  }

 private:
  std::string prefix_;
  std::unique_ptr<CheckpointReader> reader_;
};

// A V2 bundle mapped into memory: zero-copy views of its tensors.
class MappedBundle {
 public:
  MappedBundle(const std::string& path, bool verify_checksums) {
    BundleReaderOptions options;
    options.use_mmap = true;
    options.verify_checksums = verify_checksums;
    reader_ = Unwrap(BundleReader::Open(Env::Default(), Resolve(path), options));
  }
  const std::string& prefix() const { return reader_->prefix(); }
  const std::vector<std::string>& keys() const { return reader_->keys(); }
  bool contains(const std::string& key) const { return reader_->Contains(key); }
  std::pair<int, Shape> entry(const std::string& key) const {
    BundleEntryInfo e = Unwrap(reader_->GetEntry(key));
    return {static_cast<int>(e.dtype), ShapeOf(e.shape)};
  }
  // (dtype, shape, data, zero_copy): a read-only view into the mapping when the entry can be
  // viewed in place at an address aligned for its dtype; otherwise a copy.
  nb::tuple view(const std::string& key) const {
    BundleEntryInfo e = Unwrap(reader_->GetEntry(key));
    const size_t align = DataTypeSize(e.dtype);
    if (DataTypeIsPod(e.dtype) && e.slices.empty() && !reader_->big_endian()) {
      StatusOr<Tensor> view = [&] {
        nb::gil_scoped_release release;
        return reader_->LookupView(key);
      }();
      Tensor t = Unwrap(std::move(view));
      if (align == 0 || reinterpret_cast<uintptr_t>(t.raw_data()) % align == 0) {
        auto* keep = new std::shared_ptr<const BundleReader>(reader_);
        nb::capsule owner(keep, [](void* p) noexcept {
          delete static_cast<std::shared_ptr<const BundleReader>*>(p);
        });
        ConstBytes data(t.raw_data(), {t.TotalBytes()}, owner);
        return nb::make_tuple(static_cast<int>(e.dtype), ShapeOf(t.shape()), data, true);
      }
    }
    StatusOr<Tensor> copy = [&] {
      nb::gil_scoped_release release;
      return reader_->Lookup(key);
    }();
    nb::tuple out = TensorToPy(Unwrap(std::move(copy)));
    return nb::make_tuple(out[0], out[1], out[2], false);
  }

 private:
  std::shared_ptr<const BundleReader> reader_;
};

// ---- writing and managing ------------------------------------------------------------------

NamedTensors TensorsFromPy(const std::vector<PyTensor>& in) {
  NamedTensors out;
  out.reserve(in.size());
  for (const auto& [name, dtype, shape, data] : in) {
    out.emplace_back(name, TensorFromPy(dtype, shape, data));
  }
  return out;
}

void SaveBundle(const std::string& prefix, const std::vector<PyTensor>& tensors, bool sync,
                int alignment, int num_shards) {
  NamedTensors named = TensorsFromPy(tensors);
  nb::gil_scoped_release release;
  BundleWriterOptions options;
  options.sync = sync;
  options.data_alignment = alignment;
  options.num_shards = num_shards;
  auto writer = Unwrap(BundleWriter::Create(Env::Default(), prefix, options));
  for (const auto& [name, t] : named) Check(writer->Add(name, t));
  Check(writer->Finish());
}

nb::dict ManagedToPy(const ManagedCheckpoint& c) {
  nb::dict d;
  d["prefix"] = c.prefix;
  d["step"] = c.step;
  d["timestamp"] = c.timestamp;
  d["metrics"] = c.metrics;
  return d;
}

class Manager {
 public:
  Manager(const std::string& dir, std::optional<int> max_to_keep, int keep_best,
          const std::string& best_metric, bool best_max, const std::string& checkpoint_name,
          double keep_checkpoint_every_n_hours, bool sync, int num_shards) {
    CheckpointManagerOptions o;
    o.max_to_keep = max_to_keep;
    o.keep_best = keep_best;
    o.best_metric = best_metric;
    o.best_mode = best_max ? MetricMode::kMax : MetricMode::kMin;
    o.checkpoint_name = checkpoint_name;
    o.keep_checkpoint_every_n_hours = keep_checkpoint_every_n_hours;
    o.writer_options.sync = sync;
    o.writer_options.num_shards = num_shards;
    mgr_ = Unwrap(CheckpointManager::Open(Env::Default(), dir, o));
  }
  CheckpointManager& get() const {
    if (!mgr_) throw StatusError(FailedPreconditionError("checkpoint manager is closed"));
    return *mgr_;
  }
  // Saves synchronously (returns the prefix) or, with `background`, copies the tensors and saves
  // them in the background (returns None; errors come from the next save or wait()).
  std::optional<std::string> save(int64_t step, const std::vector<PyTensor>& tensors,
                                  const std::map<std::string, double>& metrics, bool background) {
    NamedTensors named = TensorsFromPy(tensors);
    CheckpointManager& m = get();
    SaveOptions options;
    options.metrics = metrics;
    nb::gil_scoped_release release;
    if (background) {
      Check(m.SaveAsync(step, named, options));
      return std::nullopt;
    }
    return Unwrap(m.Save(step, named, options));
  }
  void wait() {
    CheckpointManager& m = get();
    nb::gil_scoped_release release;
    Check(m.Wait());
  }
  std::string directory() const { return get().directory(); }
  std::string prefix_for_step(int64_t step) const { return get().PrefixForStep(step); }
  std::optional<std::string> latest() const { return get().latest_checkpoint(); }
  int64_t last_step() const { return get().last_step(); }
  nb::list checkpoints() const {
    nb::list out;
    for (const ManagedCheckpoint& c : get().checkpoints()) out.append(ManagedToPy(c));
    return out;
  }
  nb::object best() const {
    std::optional<ManagedCheckpoint> b = get().best_checkpoint();
    return b ? nb::object(ManagedToPy(*b)) : nb::none();
  }
  // Waits for an in-flight save and releases the directory lock; returns the async error.
  void close() {
    if (!mgr_) return;
    Status s;
    {
      nb::gil_scoped_release release;
      s = mgr_->Wait();
      mgr_.reset();
    }
    Check(s);
  }

 private:
  std::unique_ptr<CheckpointManager> mgr_;
};

class Pin {
 public:
  explicit Pin(const std::string& prefix)
      : pin_(Unwrap(CheckpointPin::Acquire(Env::Default(), prefix))) {}
  explicit Pin(std::unique_ptr<CheckpointPin> pin) : pin_(std::move(pin)) {}
  std::optional<std::string> prefix() const {
    return pin_ ? std::optional<std::string>(pin_->prefix()) : std::nullopt;
  }
  void release() { pin_.reset(); }

 private:
  std::unique_ptr<CheckpointPin> pin_;
};

class Iterator {
 public:
  Iterator(const std::string& dir, double min_interval_secs, std::optional<double> timeout_secs,
           double poll_interval_secs, bool pin)
      : it_(Env::Default(), dir,
            {.min_interval_secs = min_interval_secs,
             .timeout_secs = timeout_secs,
             .poll_interval_secs = poll_interval_secs,
             .pin = pin}) {}
  // (prefix, step, pin or None), or None on timeout.
  nb::object next() {
    StatusOr<std::optional<PinnedCheckpoint>> n = [&] {
      nb::gil_scoped_release release;
      return it_.Next();
    }();
    std::optional<PinnedCheckpoint> c = Unwrap(std::move(n));
    if (!c) return nb::none();
    nb::object pin = c->pin ? nb::cast(Pin(std::move(c->pin))) : nb::none();
    return nb::make_tuple(c->prefix, c->step, pin);
  }

 private:
  CheckpointsIterator it_;
};

std::optional<std::string> LatestCheckpointOf(const std::string& dir, const std::string& filename) {
  StatusOr<std::string> latest = LatestCheckpoint(Env::Default(), dir, filename);
  if (!latest.ok() && IsNotFound(latest.status())) return std::nullopt;
  return Unwrap(std::move(latest));
}

// ---- deploy --------------------------------------------------------------------------------

nb::dict SignatureTensorsToPy(const std::map<std::string, SignatureTensor>& tensors) {
  nb::dict d;
  for (const auto& [key, t] : tensors) {
    d[key.c_str()] = nb::make_tuple(t.name, static_cast<int>(t.dtype), PartialShapeOf(t.shape));
  }
  return d;
}

class Model {
 public:
  // The graph's file ops read inside the model's directory and write nowhere, plus read and
  // write under `allow_io`; `allow_all_io` lifts that (LoadOptions::file_access).
  Model(const std::string& path, const std::vector<std::string>& tags, bool restore,
        const std::vector<std::string>& allow_io, bool allow_all_io) {
    LoadOptions o;
    o.tags = tags;
    o.restore = restore;
    o.file_access.write_dirs = allow_io;
    o.file_access.unrestricted = allow_all_io;
    nb::gil_scoped_release release;
    model_ = Unwrap(LoadModel(Env::Default(), path, o));
  }
  std::string kind() const { return model_->kind; }
  std::string checkpoint_prefix() const { return model_->checkpoint_prefix; }
  std::vector<std::string> tags() const { return model_->tags; }
  std::string resolve(const std::string& name) const {
    return Unwrap(model_->ResolveTensorName(name));
  }
  // The dtype enum of a tensor (after resolve), e.g. to convert feeds as TF's session does.
  int output_dtype(const std::string& name) const {
    Output out = Unwrap(model_->graph->GetTensorByName(resolve(name)));
    return static_cast<int>(BaseType(static_cast<int32_t>(model_->graph->OutputType(out))));
  }
  nb::dict signatures() const {
    nb::dict d;
    for (const auto& [key, s] : model_->signatures) {
      d[key.c_str()] = nb::make_tuple(s.method_name, SignatureTensorsToPy(s.inputs),
                                      SignatureTensorsToPy(s.outputs));
    }
    return d;
  }
  // `timeout_ms` and `memory_limit_bytes` (0: none) are RunOptions' limits.
  nb::list run(const std::vector<PyTensor>& feeds, const std::vector<std::string>& fetches,
               const std::vector<std::string>& targets, int64_t timeout_ms,
               int64_t memory_limit_bytes) {
    Session::FeedList feed_list;
    for (const auto& [name, dtype, shape, data] : feeds) {
      feed_list.emplace_back(resolve(name), TensorFromPy(dtype, shape, data));
    }
    std::vector<std::string> fetch_names;
    for (const std::string& f : fetches) fetch_names.push_back(resolve(f));
    StatusOr<std::vector<Tensor>> out = [&] {
      nb::gil_scoped_release release;
      RunOptions limits;
      limits.timeout_ms = timeout_ms;
      limits.memory_limit_bytes = memory_limit_bytes;
      return model_->session->Run(feed_list, fetch_names, targets, limits);
    }();
    nb::list result;
    for (Tensor& t : Unwrap(std::move(out))) result.append(TensorToPy(std::move(t)));
    return result;
  }
  nb::dict run_signature(const std::string& key, const std::vector<PyTensor>& inputs) {
    std::map<std::string, Tensor> in;
    for (const auto& [name, dtype, shape, data] : inputs) {
      in.emplace(name, TensorFromPy(dtype, shape, data));
    }
    StatusOr<std::map<std::string, Tensor>> out = [&] {
      nb::gil_scoped_release release;
      return model_->RunSignature(key, in);
    }();
    nb::dict result;
    for (auto& [name, t] : Unwrap(std::move(out))) result[name.c_str()] = TensorToPy(std::move(t));
    return result;
  }

 private:
  std::unique_ptr<LoadedModel> model_;
};

}  // namespace
}  // namespace ckpt::python

NB_MODULE(_ckpt, m) {
  using namespace ckpt::python;
  m.doc() = "Compiled core of the ckpt package; use the `ckpt` module instead.";

  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const StatusError& e) {
      nb::object cls = ErrorClasses().contains(e.code) ? ErrorClasses()[nb::int_(e.code)]
                                                       : nb::borrow(PyExc_RuntimeError);
      PyErr_SetString(cls.ptr(), e.message.c_str());
    }
  });
  m.def(
      "_register_error_classes",
      [](nb::dict classes) {
        ErrorClasses().clear();
        for (auto [k, v] : classes) ErrorClasses()[k] = v;
      },
      "classes"_a, "Maps Status codes (int) to exception classes.");

  m.def(
      "dtype_name",
      [](int value) { return std::string(ckpt::DataTypeName(static_cast<ckpt::DataType>(value))); },
      "value"_a, "TensorFlow's Python name of a DataType enum value.");
  m.def("resolve_checkpoint_path", &Resolve, "path"_a,
        "PATH as the CLI takes it (prefix, checkpoint directory, SavedModel) -> prefix.");
  m.def("latest_checkpoint", &LatestCheckpointOf, "checkpoint_dir"_a, "latest_filename"_a,
        "The state file's latest checkpoint prefix whose files exist, or None.");
  m.def("convert", &Convert, "input"_a, "output"_a, "input_format"_a, "output_format"_a, "only"_a,
        "renames"_a, "ConvertTensorFile: (tensors, bytes) written.");
  m.def("save_bundle", &SaveBundle, "prefix"_a, "tensors"_a, "sync"_a, "alignment"_a,
        "num_shards"_a, "Writes (name, dtype, shape, data) tensors as one V2 checkpoint.");

  nb::class_<Reader>(m, "Reader")
      .def(nb::init<const std::string&>(), "path"_a)
      .def_prop_ro("prefix", &Reader::prefix)
      .def_prop_ro("format", &Reader::format)
      .def("variables", &Reader::variables)
      .def("contains", &Reader::contains, "name"_a)
      .def("lookup", &Reader::lookup, "name"_a)
      .def("verify", &Reader::verify);

  nb::class_<MappedBundle>(m, "MappedBundle")
      .def(nb::init<const std::string&, bool>(), "path"_a, "verify_checksums"_a)
      .def_prop_ro("prefix", &MappedBundle::prefix)
      .def("keys", &MappedBundle::keys)
      .def("contains", &MappedBundle::contains, "key"_a)
      .def("entry", &MappedBundle::entry, "key"_a)
      .def("view", &MappedBundle::view, "key"_a);

  nb::class_<Manager>(m, "Manager")
      .def(nb::init<const std::string&, std::optional<int>, int, const std::string&, bool,
                    const std::string&, double, bool, int>(),
           "directory"_a, "max_to_keep"_a.none(), "keep_best"_a, "best_metric"_a, "best_max"_a,
           "checkpoint_name"_a, "keep_checkpoint_every_n_hours"_a, "sync"_a, "num_shards"_a)
      .def("save", &Manager::save, "step"_a, "tensors"_a, "metrics"_a, "background"_a)
      .def("wait", &Manager::wait)
      .def("close", &Manager::close)
      .def_prop_ro("directory", &Manager::directory)
      .def("prefix_for_step", &Manager::prefix_for_step, "step"_a)
      .def_prop_ro("latest", &Manager::latest)
      .def_prop_ro("last_step", &Manager::last_step)
      .def_prop_ro("checkpoints", &Manager::checkpoints)
      .def_prop_ro("best", &Manager::best);

  nb::class_<Pin>(m, "Pin")
      .def(nb::init<const std::string&>(), "prefix"_a)
      .def_prop_ro("prefix", &Pin::prefix)
      .def("release", &Pin::release);

  nb::class_<Iterator>(m, "Iterator")
      .def(nb::init<const std::string&, double, std::optional<double>, double, bool>(),
           "checkpoint_dir"_a, "min_interval_secs"_a, "timeout_secs"_a.none(),
           "poll_interval_secs"_a, "pin"_a)
      .def("next", &Iterator::next);

  nb::class_<Model>(m, "Model")
      .def(nb::init<const std::string&, const std::vector<std::string>&, bool,
                    const std::vector<std::string>&, bool>(),
           "path"_a, "tags"_a, "restore"_a, "allow_io"_a, "allow_all_io"_a)
      .def_prop_ro("kind", &Model::kind)
      .def_prop_ro("checkpoint_prefix", &Model::checkpoint_prefix)
      .def_prop_ro("tags", &Model::tags)
      .def("resolve", &Model::resolve, "name"_a)
      .def("output_dtype", &Model::output_dtype, "name"_a)
      .def("signatures", &Model::signatures)
      .def("run", &Model::run, "feeds"_a, "fetches"_a, "targets"_a, "timeout_ms"_a,
           "memory_limit_bytes"_a)
      .def("run_signature", &Model::run_signature, "key"_a, "inputs"_a);
}
