// Numeric gradient checking for tests: compares the Jacobian that Gradients() builds with a
// central finite-difference Jacobian (tf.test.compute_gradient_error's method).
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "ckpt/core/tensor.h"
#include "ckpt/graph/gradients.h"
#include "ckpt/graph/graph.h"
#include "ckpt/graph/ops.h"
#include "ckpt/graph/session.h"

namespace ckpt::testutil {

struct GradientCheckInput {
  Output x;      // a Placeholder (float or double)
  Tensor value;  // the point at which to differentiate
};

// Max |symbolic - numeric| over all Jacobian entries of y with respect to every input, at the
// given values (extra_feeds are fed as constants). The symbolic Jacobian is built by feeding a
// one-hot grad_ys placeholder to Gradients(); the numeric one uses steps of `delta`.
// Returns a negative number and sets *error when the graph cannot be built or run.
inline double ComputeGradientError(Graph& g, const std::vector<GradientCheckInput>& xs,
                                   const Output& y, std::string* error,
                                   const Session::FeedList& extra_feeds = {}, double delta = 1e-5) {
  const DataType ydt = g.OutputType(y);
  Output gy_in = ops::Placeholder(g, ydt, PartialShape(), "grad_y_check");
  // Gradient functions may take control dependencies on the incoming gradient; an Identity
  // keeps those edges off the fed placeholder itself.
  Output gy = ops::Identity(g, gy_in, "grad_y_check_value");
  std::vector<Output> x_outs;
  for (const auto& in : xs) x_outs.push_back(in.x);
  auto grads = Gradients(g, {y}, x_outs, {gy});
  if (!grads.ok()) {
    *error = grads.status().ToString();
    return -1;
  }
  auto sess_or = Session::Create(&g);
  if (!sess_or.ok()) {
    *error = sess_or.status().ToString();
    return -1;
  }
  Session& sess = **sess_or;
  auto feeds_with = [&](const std::vector<Tensor>& vals) {
    Session::FeedList f = extra_feeds;
    for (size_t i = 0; i < xs.size(); ++i) f.emplace_back(xs[i].x.name(), vals[i]);
    return f;
  };
  std::vector<Tensor> base;
  for (const auto& in : xs) base.push_back(in.value.Clone());
  auto y0 = sess.Run(feeds_with(base), {y.name()});
  if (!y0.ok()) {
    *error = y0.status().ToString();
    return -1;
  }
  const Tensor ybase = (*y0)[0];
  const int64_t ny = ybase.num_elements();
  auto get = [](const Tensor& t, int64_t i) -> double {
    return t.dtype() == DataType::kDouble ? t.data<double>()[i] : t.data<float>()[i];
  };
  auto set = [](Tensor& t, int64_t i, double v) {
    if (t.dtype() == DataType::kDouble) {
      t.data<double>()[i] = v;
    } else {
      t.data<float>()[i] = static_cast<float>(v);
    }
  };
  double max_err = 0;
  for (size_t xi = 0; xi < xs.size(); ++xi) {
    const int64_t nx = base[xi].num_elements();
    // Symbolic: row j = d y_j / d x.
    std::vector<std::vector<double>> sym(ny, std::vector<double>(nx, 0.0));
    if ((*grads)[xi].valid()) {
      for (int64_t j = 0; j < ny; ++j) {
        Tensor onehot(ydt, ybase.shape());
        for (int64_t k = 0; k < ny; ++k) set(onehot, k, k == j ? 1.0 : 0.0);
        Session::FeedList f = feeds_with(base);
        f.emplace_back(gy_in.name(), onehot);
        auto r = sess.Run(f, {(*grads)[xi].name()});
        if (!r.ok()) {
          *error = r.status().ToString();
          return -1;
        }
        if ((*r)[0].num_elements() != nx) {
          *error = "gradient of input " + std::to_string(xi) + " has " +
                   std::to_string((*r)[0].num_elements()) + " elements, expected " +
                   std::to_string(nx);
          return -1;
        }
        for (int64_t i = 0; i < nx; ++i) sym[j][i] = get((*r)[0], i);
      }
    }
    // Numeric: column i.
    for (int64_t i = 0; i < nx; ++i) {
      std::vector<Tensor> plus = base, minus = base;
      plus[xi] = base[xi].Clone();
      minus[xi] = base[xi].Clone();
      set(plus[xi], i, get(base[xi], i) + delta);
      set(minus[xi], i, get(base[xi], i) - delta);
      auto yp = sess.Run(feeds_with(plus), {y.name()});
      auto ym = sess.Run(feeds_with(minus), {y.name()});
      if (!yp.ok() || !ym.ok()) {
        *error = (!yp.ok() ? yp.status() : ym.status()).ToString();
        return -1;
      }
      for (int64_t j = 0; j < ny; ++j) {
        const double num = (get((*yp)[0], j) - get((*ym)[0], j)) / (2 * delta);
        max_err = std::max(max_err, std::fabs(num - sym[j][i]));
      }
    }
  }
  return max_err;
}

// A double tensor of `shape` with values start, start+step, ...
inline Tensor Seq(const TensorShape& shape, double start, double step) {
  Tensor t(DataType::kDouble, shape);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<double>()[i] = start + step * i;
  return t;
}

}  // namespace ckpt::testutil
