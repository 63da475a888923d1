// Convolutions large enough for oneDNN's primitives (and the direct kernels below that size)
// against a plain reference loop: strides, dilations, padding, depthwise multipliers, and the
// reordered-filter cache seeing a new filter in a later run of the same session.
#include <cmath>
#include <random>

#include "graph/kernels/dnnl_conv.h"
#include "graph/test_util.h"

namespace ckpt {
namespace {

using testutil::PS;

struct ConvCase {
  std::vector<int64_t> in, filter;  // NHWC; [KH, KW, IC, OC] or depthwise [KH, KW, C, M]
  int64_t stride = 1, dilation = 1;
  std::string padding = "SAME";
  bool depthwise = false;
  int64_t groups = 1;  // Conv2D: filter [KH, KW, IC / groups, OC]
};

Tensor Random(const std::vector<int64_t>& dims, uint32_t seed) {
  Tensor t(DataType::kFloat, TensorShape::FromDims(dims).value());
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

// The definition, in double precision.
std::vector<double> Reference(const ConvCase& c, const Tensor& x, const Tensor& f) {
  const int64_t n = c.in[0], ih = c.in[1], iw = c.in[2], ic = c.in[3];
  const int64_t kh = c.filter[0], kw = c.filter[1];
  const int64_t m = c.depthwise ? c.filter[3] : 1;
  const int64_t oc = c.depthwise ? ic * m : c.filter[3];
  const int64_t gi = ic / c.groups, go = oc / c.groups;  // channels per group
  const int64_t ekh = (kh - 1) * c.dilation + 1, ekw = (kw - 1) * c.dilation + 1;
  int64_t oh, ow, pt = 0, pl = 0;
  if (c.padding == "SAME") {
    oh = (ih + c.stride - 1) / c.stride;
    ow = (iw + c.stride - 1) / c.stride;
    pt = std::max<int64_t>((oh - 1) * c.stride + ekh - ih, 0) / 2;
    pl = std::max<int64_t>((ow - 1) * c.stride + ekw - iw, 0) / 2;
  } else {
    oh = (ih - ekh) / c.stride + 1;
    ow = (iw - ekw) / c.stride + 1;
  }
  std::vector<double> out(n * oh * ow * oc, 0.0);
  const float* px = x.data<float>();
  const float* pf = f.data<float>();
  for (int64_t b = 0; b < n; ++b)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t xo = 0; xo < ow; ++xo)
        for (int64_t o = 0; o < oc; ++o) {
          double acc = 0;
          for (int64_t a = 0; a < kh; ++a)
            for (int64_t bb = 0; bb < kw; ++bb) {
              const int64_t iy = y * c.stride - pt + a * c.dilation;
              const int64_t ix = xo * c.stride - pl + bb * c.dilation;
              if (iy < 0 || iy >= ih || ix < 0 || ix >= iw) continue;
              const float* pixel = px + ((b * ih + iy) * iw + ix) * ic;
              if (c.depthwise) {
                acc += double(pixel[o / m]) * pf[(a * kw + bb) * oc + o];
              } else {
                const int64_t g = o / go;
                for (int64_t i = 0; i < gi; ++i)
                  acc += double(pixel[g * gi + i]) * pf[((a * kw + bb) * gi + i) * oc + o];
              }
            }
          out[((b * oh + y) * ow + xo) * oc + o] = acc;
        }
  return out;
}

void ExpectNear(const Tensor& got, const std::vector<double>& want, const std::string& what) {
  ASSERT_EQ(got.num_elements(), static_cast<int64_t>(want.size())) << what;
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_NEAR(got.data<float>()[i], want[i], 1e-4 * (1 + std::fabs(want[i])))
        << what << " element " << i;
  }
}

class LargeConv : public ::testing::TestWithParam<ConvCase> {};

TEST_P(LargeConv, MatchesTheDefinitionAcrossFilterChanges) {
  const ConvCase& c = GetParam();
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, PS(c.in), "x");
  Output f = ops::Placeholder(g, DataType::kFloat, PS(c.filter), "f");
  AttrMap attrs;
  attrs["strides"] = std::vector<int64_t>{1, c.stride, c.stride, 1};
  attrs["dilations"] = std::vector<int64_t>{1, c.dilation, c.dilation, 1};
  attrs["padding"] = c.padding;
  const char* op = c.depthwise ? "DepthwiseConv2dNative" : "Conv2D";
  Output y = g.AddNode(op, "conv", std::vector<Output>{x, f}, attrs).output();
  CKPT_ASSERT_OK(g.status());
  auto s = Session::Create(&g);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const Tensor input = Random(c.in, 1);
  if (!c.depthwise && c.groups > 1 && c.filter[2] > 1 && !DnnlConvAvailable()) {
    // Groups of several channels run only on oneDNN: without it, a clear error.
    auto r = (*s)->Run({{"x:0", input}, {"f:0", Random(c.filter, 2)}}, {y.name()});
    ASSERT_EQ(r.status().code(), StatusCode::kUnimplemented);
    EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr("grouped convolution"));
    return;
  }
  // Three runs of one plan: a filter, another one of the same shape, the first again.
  const Tensor filters[] = {Random(c.filter, 2), Random(c.filter, 3)};
  for (int run : {0, 1, 0}) {
    auto r = (*s)->Run({{"x:0", input}, {"f:0", filters[run]}}, {y.name()});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ExpectNear((*r)[0], Reference(c, input, filters[run]),
               std::string(op) + " run " + std::to_string(run));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Conv, LargeConv,
    ::testing::Values(ConvCase{{1, 28, 28, 32}, {3, 3, 32, 48}},                     // 11M MACs
                      ConvCase{{2, 30, 29, 16}, {3, 3, 16, 64}, 2, 1, "SAME"},       // strided
                      ConvCase{{1, 33, 33, 24}, {3, 3, 24, 40}, 1, 2, "VALID"},      // dilated
                      ConvCase{{1, 24, 24, 64}, {1, 1, 64, 128}},                    // pointwise
                      ConvCase{{2, 64, 64, 64}, {3, 3, 64, 1}, 1, 1, "SAME", true},  // depthwise
                      ConvCase{{2, 65, 63, 48}, {5, 5, 48, 2}, 2, 1, "SAME", true},
                      ConvCase{{2, 60, 60, 96}, {3, 3, 96, 1}, 1, 2, "VALID", true},
                      ConvCase{{1, 20, 20, 8}, {3, 3, 8, 8}},  // direct kernels
                      ConvCase{{1, 20, 20, 8}, {3, 3, 8, 2}, 2, 1, "SAME", true},
                      // Grouped Conv2D: one group per channel (ConvNeXt), direct and oneDNN;
                      // four channels per group, oneDNN.
                      ConvCase{{1, 8, 8, 96}, {7, 7, 1, 96}, 1, 1, "SAME", false, 96},
                      ConvCase{{2, 32, 32, 96}, {7, 7, 1, 192}, 1, 1, "SAME", false, 96},
                      ConvCase{{2, 32, 32, 64}, {3, 3, 4, 64}, 1, 1, "SAME", false, 16}));

}  // namespace
}  // namespace ckpt
