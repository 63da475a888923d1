#include "graph/kernels/dnnl_conv.h"

#include <string>
#include <vector>

#if CKPT_HAVE_ONEDNN
#include <dnnl.h>
#include <omp.h>
#endif

namespace ckpt {

bool DnnlConvAvailable() { return kHaveDnnlConv; }

#if CKPT_HAVE_ONEDNN
namespace {

Status Check(dnnl_status_t st, const char* what) {
  if (st == dnnl_success) return Status::OK();
  return InternalError(std::string("oneDNN ") + what + " failed with status " +
                       std::to_string(static_cast<int>(st)));
}

dnnl_engine_t Engine() {
  static dnnl_engine_t engine = [] {
    dnnl_engine_t e = nullptr;
    if (dnnl_engine_create(&e, dnnl_cpu, 0) != dnnl_success)
      return static_cast<dnnl_engine_t>(nullptr);
    return e;
  }();
  return engine;
}

}  // namespace

struct DnnlConv::Rep {
  DnnlConvShape shape;
  bool have_shape = false;
  dnnl_primitive_desc_t pd = nullptr;
  dnnl_primitive_t conv = nullptr;
  dnnl_memory_desc_t src_md{}, dst_md{}, user_weights_md{}, weights_md{};
  std::vector<float> weights;  // the filter in weights_md's layout (when it differs)
  bool reorder_needed = false;
  dnnl_stream_t stream = nullptr;  // created on the first call, reused after
  Tensor weights_source;           // the filter tensor `weights` was made from

  void Reset() {
    if (conv) dnnl_primitive_destroy(conv);
    if (pd) dnnl_primitive_desc_destroy(pd);
    conv = nullptr;
    pd = nullptr;
    have_shape = false;
    weights_source = Tensor();
    weights.clear();
  }
  ~Rep() {
    Reset();
    if (stream) dnnl_stream_destroy(stream);
  }

  Status Build(const DnnlConvShape& s) {
    Reset();
    dnnl_engine_t engine = Engine();
    if (engine == nullptr) return InternalError("oneDNN: no CPU engine");
    const dnnl_dims_t src_dims = {s.n, s.ic, s.ih, s.iw};
    const dnnl_dims_t dst_dims = {s.n, s.oc, s.oh, s.ow};
    CKPT_RETURN_IF_ERROR(
        Check(dnnl_memory_desc_init_by_tag(&src_md, 4, src_dims, dnnl_f32, dnnl_nhwc), "src"));
    CKPT_RETURN_IF_ERROR(
        Check(dnnl_memory_desc_init_by_tag(&dst_md, 4, dst_dims, dnnl_f32, dnnl_nhwc), "dst"));
    dnnl_memory_desc_t any_weights{};
    if (s.groups == 1) {
      // TF's HWIO filter, as oneDNN's (O, I, H, W) dims with strides.
      const dnnl_dims_t dims = {s.oc, s.ic, s.kh, s.kw};
      const dnnl_dims_t strides = {1, s.oc, s.kw * s.ic * s.oc, s.ic * s.oc};
      CKPT_RETURN_IF_ERROR(
          Check(dnnl_memory_desc_init_by_strides(&user_weights_md, 4, dims, dnnl_f32, strides),
                "filter"));
      CKPT_RETURN_IF_ERROR(
          Check(dnnl_memory_desc_init_by_tag(&any_weights, 4, dims, dnnl_f32, dnnl_format_tag_any),
                "filter"));
    } else {
      // Grouped: TF's [KH, KW, IC / G, OC] (depthwise: [KH, KW, C, M], the same memory) as
      // (G, O = OC / G, I = IC / G, H, W); output channel g * (OC / G) + o.
      const int64_t og = s.oc / s.groups, ig = s.ic / s.groups;
      const dnnl_dims_t dims = {s.groups, og, ig, s.kh, s.kw};
      const dnnl_dims_t strides = {og, 1, s.oc, s.kw * ig * s.oc, ig * s.oc};
      CKPT_RETURN_IF_ERROR(
          Check(dnnl_memory_desc_init_by_strides(&user_weights_md, 5, dims, dnnl_f32, strides),
                "filter"));
      CKPT_RETURN_IF_ERROR(
          Check(dnnl_memory_desc_init_by_tag(&any_weights, 5, dims, dnnl_f32, dnnl_format_tag_any),
                "filter"));
    }
    const dnnl_dims_t strides = {s.sh, s.sw};
    const dnnl_dims_t dilates = {s.dh - 1, s.dw - 1};
    const dnnl_dims_t pad_l = {s.pad_top, s.pad_left};
    const dnnl_dims_t pad_r = {s.pad_bottom, s.pad_right};
    dnnl_convolution_desc_t cd;
    CKPT_RETURN_IF_ERROR(Check(dnnl_dilated_convolution_forward_desc_init(
                                   &cd, dnnl_forward_inference, dnnl_convolution_direct, &src_md,
                                   &any_weights, nullptr, &dst_md, strides, dilates, pad_l, pad_r),
                               "convolution descriptor"));
    CKPT_RETURN_IF_ERROR(
        Check(dnnl_primitive_desc_create(&pd, &cd, nullptr, engine, nullptr), "convolution"));
    weights_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    reorder_needed = !dnnl_memory_desc_equal(&weights_md, &user_weights_md);
    CKPT_RETURN_IF_ERROR(Check(dnnl_primitive_create(&conv, pd), "convolution primitive"));
    shape = s;
    have_shape = true;
    return Status::OK();
  }

  Status Reorder(const Tensor& filter, dnnl_stream_t stream) {
    weights.assign((dnnl_memory_desc_get_size(&weights_md) + sizeof(float) - 1) / sizeof(float),
                   0.0f);
    dnnl_engine_t engine = Engine();
    dnnl_primitive_desc_t rpd = nullptr;
    dnnl_primitive_t reorder = nullptr;
    dnnl_memory_t from = nullptr, to = nullptr;
    Status s = [&]() -> Status {
      CKPT_RETURN_IF_ERROR(Check(dnnl_reorder_primitive_desc_create(&rpd, &user_weights_md, engine,
                                                                    &weights_md, engine, nullptr),
                                 "filter reorder"));
      CKPT_RETURN_IF_ERROR(Check(dnnl_primitive_create(&reorder, rpd), "filter reorder"));
      CKPT_RETURN_IF_ERROR(Check(
          dnnl_memory_create(&from, &user_weights_md, engine, const_cast<void*>(filter.raw_data())),
          "memory"));
      CKPT_RETURN_IF_ERROR(
          Check(dnnl_memory_create(&to, &weights_md, engine, weights.data()), "memory"));
      dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
      CKPT_RETURN_IF_ERROR(Check(dnnl_primitive_execute(reorder, stream, 2, args), "reorder"));
      return Check(dnnl_stream_wait(stream), "reorder");
    }();
    if (from) dnnl_memory_destroy(from);
    if (to) dnnl_memory_destroy(to);
    if (reorder) dnnl_primitive_destroy(reorder);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    return s;
  }
};

DnnlConv::DnnlConv() : rep_(std::make_unique<Rep>()) {}
DnnlConv::~DnnlConv() = default;

Status DnnlConv::Run(const DnnlConvShape& shape, const Tensor& filter, const float* in, float* out,
                     int threads) {
  Rep& r = *rep_;
  if (!r.have_shape || !(r.shape == shape)) CKPT_RETURN_IF_ERROR(r.Build(shape));
  const int saved = omp_get_max_threads();
  if (threads > 0 && saved != threads) omp_set_num_threads(threads);
  dnnl_memory_t src = nullptr, wei = nullptr, dst = nullptr;
  Status s = [&]() -> Status {
    if (r.stream == nullptr) {
      CKPT_RETURN_IF_ERROR(
          Check(dnnl_stream_create(&r.stream, Engine(), dnnl_stream_default_flags), "stream"));
    }
    dnnl_stream_t stream = r.stream;
    void* weights = const_cast<void*>(filter.raw_data());
    if (r.reorder_needed) {
      // The buffer the cached weights were made from, still held: the same weights (see
      // dnnl_conv.h). A borrowed filter is not held (its memory is the caller's), so it is
      // reordered on every call.
      const bool cached =
          r.weights_source.valid() && r.weights_source.raw_data() == filter.raw_data();
      if (!cached) {
        CKPT_RETURN_IF_ERROR(r.Reorder(filter, stream));
        r.weights_source = filter.OwnsBuffer() ? filter : Tensor();
      }
      weights = r.weights.data();
    }
    dnnl_engine_t engine = Engine();
    CKPT_RETURN_IF_ERROR(
        Check(dnnl_memory_create(&src, &r.src_md, engine, const_cast<float*>(in)), "memory"));
    CKPT_RETURN_IF_ERROR(Check(dnnl_memory_create(&wei, &r.weights_md, engine, weights), "memory"));
    CKPT_RETURN_IF_ERROR(Check(dnnl_memory_create(&dst, &r.dst_md, engine, out), "memory"));
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}};
    CKPT_RETURN_IF_ERROR(Check(dnnl_primitive_execute(r.conv, stream, 3, args), "convolution"));
    return Check(dnnl_stream_wait(stream), "convolution");
  }();
  if (src) dnnl_memory_destroy(src);
  if (wei) dnnl_memory_destroy(wei);
  if (dst) dnnl_memory_destroy(dst);
  if (threads > 0 && saved != threads) omp_set_num_threads(saved);
  return s;
}
#else
struct DnnlConv::Rep {};
DnnlConv::DnnlConv() = default;
DnnlConv::~DnnlConv() = default;
Status DnnlConv::Run(const DnnlConvShape&, const Tensor&, const float*, float*, int) {
  return UnimplementedError("built without oneDNN");
}
#endif

}  // namespace ckpt
