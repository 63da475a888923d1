// Builders of the random family (src/graph/ops/random_ops.cc): seeded random ops and the
// tf.random.* wrappers that scale and shift them.
#include "ckpt/graph/ops.h"

#include "graph/builders/build_op.h"

namespace ckpt {
namespace ops {

namespace {
Output RandomBase(Graph& g, std::string_view op, const TensorShape& shape, double mean,
                  double stddev, DataType dtype, std::optional<int64_t> seed,
                  std::string_view name) {
  Graph::NameScope scope(g, name);
  Output shape_t = ConstNode(g, Int32Vector(shape.dims()), "shape");
  Output mean_t = ConstNode(g, MakeScalar(dtype, mean), "mean");
  Output stddev_t = ConstNode(g, MakeScalar(dtype, stddev), "stddev");
  auto [s1, s2] = g.GetSeed(seed);
  Output rnd = Out(
      g.AddNode(op, g.UniqueName(op), std::vector<Output>{shape_t},
                {{"dtype", AttrValue(dtype)}, {"seed", AttrValue(s1)}, {"seed2", AttrValue(s2)}}));
  Output mul = Mul(g, rnd, stddev_t, "mul");
  return Add(g, mul, mean_t, scope.scope_name());
}
}  // namespace

Output RandomNormal(Graph& g, const TensorShape& shape, double mean, double stddev, DataType dtype,
                    std::optional<int64_t> seed, std::string_view name) {
  return RandomBase(g, "RandomStandardNormal", shape, mean, stddev, dtype, seed, name);
}

Output TruncatedNormal(Graph& g, const TensorShape& shape, double mean, double stddev,
                       DataType dtype, std::optional<int64_t> seed, std::string_view name) {
  return RandomBase(g, "TruncatedNormal", shape, mean, stddev, dtype, seed, name);
}

Output RandomUniform(Graph& g, const TensorShape& shape, double minval, double maxval,
                     DataType dtype, std::optional<int64_t> seed, std::string_view name) {
  Graph::NameScope scope(g, name);
  Output shape_t = ConstNode(g, Int32Vector(shape.dims()), "shape");
  const bool unit = minval == 0.0 && maxval == 1.0;
  Output min_t, max_t;
  if (!unit) {
    min_t = ConstNode(g, MakeScalar(dtype, minval), "min");
    max_t = ConstNode(g, MakeScalar(dtype, maxval), "max");
  }
  auto [s1, s2] = g.GetSeed(seed);
  Output rnd = Out(
      g.AddNode("RandomUniform", g.UniqueName("RandomUniform"), std::vector<Output>{shape_t},
                {{"dtype", AttrValue(dtype)}, {"seed", AttrValue(s1)}, {"seed2", AttrValue(s2)}}));
  if (unit) return rnd;
  Output range = Sub(g, max_t, min_t, "sub");
  Output mul = Mul(g, rnd, range, "mul");
  return Add(g, mul, min_t, scope.scope_name());
}

Output RandomStandardNormalOp(Graph& g, Input shape, DataType dtype, int64_t seed, int64_t seed2,
                              std::string_view name) {
  return Out(BuildOp(
      g, "RandomStandardNormal", name, {std::move(shape)},
      {{"dtype", AttrValue(dtype)}, {"seed", AttrValue(seed)}, {"seed2", AttrValue(seed2)}}));
}

Output RandomUniformOp(Graph& g, Input shape, DataType dtype, int64_t seed, int64_t seed2,
                       std::string_view name) {
  return Out(BuildOp(
      g, "RandomUniform", name, {std::move(shape)},
      {{"dtype", AttrValue(dtype)}, {"seed", AttrValue(seed)}, {"seed2", AttrValue(seed2)}}));
}

Output TruncatedNormalOp(Graph& g, Input shape, DataType dtype, int64_t seed, int64_t seed2,
                         std::string_view name) {
  return Out(BuildOp(
      g, "TruncatedNormal", name, {std::move(shape)},
      {{"dtype", AttrValue(dtype)}, {"seed", AttrValue(seed)}, {"seed2", AttrValue(seed2)}}));
}

}  // namespace ops
}  // namespace ckpt
