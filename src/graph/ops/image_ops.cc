// The image ops (ResizeBilinear, ResizeNearestNeighbor: what Keras Resizing / UpSampling2D
// layers emit): each OpDef with its shape function.
// OpDefs are TF 2.21's with descriptions stripped (regenerate a line with print_op_defs.py):
// facts of the TF graph interface, kept verbatim so exported graphs and stripped op lists
// match TF's. Shape functions: shape_fn.h (shape_fn::Unknown declares "not inferred").
#include <vector>

#include "graph/op_registry.h"

namespace ckpt {
namespace {

// [batch, size[0], size[1], channels], the sizes from a Const size input.
void ResizeShape(ShapeContext& c) {
  PartialShape in = c.input(0);
  if (in.known_rank() && in.rank() != 4) return;
  auto size = c.const_ints(1);
  const int64_t h = size && size->size() == 2 ? (*size)[0] : -1;
  const int64_t w = size && size->size() == 2 ? (*size)[1] : -1;
  const int64_t b = in.known_rank() ? in.dims()[0] : -1;
  const int64_t ch = in.known_rank() ? in.dims()[3] : -1;
  c.set_output(0, PartialShape(std::vector<int64_t>{b, h, w, ch}));
}

}  // namespace

void RegisterImageOps(OpRegistry* r) {
  // One OpDef a line, verbatim from TF, so the table is not reformatted.
  // clang-format off
  static const OpEntry kOps[] = {
    {ResizeShape,
     R"pb(name: "ResizeBilinear" input_arg { name: "images" type_attr: "T" } input_arg { name: "size" type: DT_INT32 } output_arg { name: "resized_images" type: DT_FLOAT } attr { name: "T" type: "type" allowed_values { list { type: DT_INT8 type: DT_UINT8 type: DT_INT16 type: DT_UINT16 type: DT_INT32 type: DT_INT64 type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_BFLOAT16 } } } attr { name: "align_corners" type: "bool" default_value { b: false } } attr { name: "half_pixel_centers" type: "bool" default_value { b: false } })pb"},
    {ResizeShape,
     R"pb(name: "ResizeNearestNeighbor" input_arg { name: "images" type_attr: "T" } input_arg { name: "size" type: DT_INT32 } output_arg { name: "resized_images" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_INT8 type: DT_UINT8 type: DT_INT16 type: DT_UINT16 type: DT_INT32 type: DT_INT64 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_BFLOAT16 } } } attr { name: "align_corners" type: "bool" default_value { b: false } } attr { name: "half_pixel_centers" type: "bool" default_value { b: false } })pb"},
  };
  // clang-format on
  r->Register(kOps);
}

}  // namespace ckpt
