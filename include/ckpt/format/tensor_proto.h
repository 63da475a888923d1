// The one codec between ckpt tensors/shapes and TensorFlow's TensorProto / TensorShapeProto,
// following TF's encoding rules. Used by the file formats (bundle entries, V1 tables), by graph
// building (Const "value" attrs, tensor- and shape-valued attrs) and by metagraph signatures.
//
// Thread safety: free functions without shared state.
// Errors: decoding returns InvalidArgument (or Unimplemented for dtypes without a value
// encoding) describing what is wrong; callers add the file, key or node.
#pragma once

#include <cstdint>

#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"
#include "ckpt/core/tensor_shape.h"

// Declared only: callers that use these functions include the generated protos themselves, so an
// installed ckpt's headers need no generated code.
namespace tensorflow {
class TensorProto;
class TensorShapeProto;
}  // namespace tensorflow

namespace ckpt {

// ---- shapes --------------------------------------------------------------------------------

// Fully defined shapes (bundle entries, V1 metadata, TensorProto shapes).
void ShapeToProto(const TensorShape& shape, tensorflow::TensorShapeProto* proto);
// Shapes read from files: known rank, rank <= kMaxTensorRank, dims >= 0, element count without
// overflow. InvalidArgument describing the problem otherwise.
StatusOr<TensorShape> ShapeFromProto(const tensorflow::TensorShapeProto& proto);

// Partially known shapes (graph attrs, signatures): unknown rank <-> unknown_rank, -1 dims.
void PartialShapeToProto(const PartialShape& shape, tensorflow::TensorShapeProto* proto);
// InvalidArgument for dims < -1, unknown_rank with dims, or rank above kMaxTensorRank.
StatusOr<PartialShape> PartialShapeFromProto(const tensorflow::TensorShapeProto& proto);

// ---- tensors -------------------------------------------------------------------------------

// Encodes `t` as Python's tf.make_tensor_proto(ndarray) does: one-element tensors and
// strings in the typed *_val fields, others in tensor_content (little-endian bytes).
void TensorToProto(const Tensor& t, tensorflow::TensorProto* proto);
// Python's make_tensor_proto(scalar, shape=shape): one *_val element meaning "every element".
// REQUIRES: `value` is a scalar (or one-element) tensor.
void SplatTensorToProto(const Tensor& value, const TensorShape& shape,
                        tensorflow::TensorProto* proto);
// Decodes any valid TensorProto form (tensor_content, full or truncated *_val repeated to fill
// as TF does, empty = zeros). InvalidArgument/Unimplemented for bad dtype, shape, or sizes;
// never expands *_val fields to more than 1 GiB.
StatusOr<Tensor> TensorFromProto(const tensorflow::TensorProto& proto);
// What TensorFromProto checks, without decoding: the same errors, or OK with the dtype and
// shape the tensor would have (either out pointer may be null). For validating a graph's
// constants at import at the cost of reading their headers only.
Status CheckTensorProto(const tensorflow::TensorProto& proto, DataType* dtype = nullptr,
                        TensorShape* shape = nullptr);

// Appends elements [begin, end) of `t` to the typed *_val field of its dtype (complex values as
// two components; 1-byte float kinds as int_val of the raw byte). Does not touch dtype/shape.
// REQUIRES: 0 <= begin <= end <= t.num_elements().
void AppendTensorValues(const Tensor& t, int64_t begin, int64_t end,
                        tensorflow::TensorProto* proto);

// How many values the typed *_val field of `dtype` holds in `proto` (complex: component pairs).
// -1 when a complex field holds an odd number of components.
int64_t TypedValueCount(const tensorflow::TensorProto& proto, DataType dtype);
// Copies the first `n` values of that field into `out` (whose dtype selects the field).
// REQUIRES: 0 <= n <= min(TypedValueCount(proto, out->dtype()), out->num_elements()).
void CopyTypedValues(const tensorflow::TensorProto& proto, int64_t n, Tensor* out);

}  // namespace ckpt
