// Helpers for graph-layer tests.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "ckpt/core/tensor.h"
#include "ckpt/graph/graph.h"
#include "ckpt/graph/ops.h"
#include "ckpt/graph/session.h"

namespace ckpt::testutil {

#define CKPT_ASSERT_OK(expr)               \
  do {                                     \
    ::ckpt::Status _s = (expr);            \
    ASSERT_TRUE(_s.ok()) << _s.ToString(); \
  } while (0)

template <typename T>
std::vector<T> Values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.num_elements());
}

inline PartialShape PS(std::vector<int64_t> d) { return PartialShape(std::move(d)); }
inline Tensor F(std::vector<float> v, TensorShape s) { return Tensor::FromVector<float>(v, s); }
inline Tensor D(std::vector<double> v, TensorShape s) { return Tensor::FromVector<double>(v, s); }
inline Tensor I(std::vector<int32_t> v, TensorShape s) { return Tensor::FromVector<int32_t>(v, s); }
inline Tensor L(std::vector<int64_t> v, TensorShape s) { return Tensor::FromVector<int64_t>(v, s); }

// Runs the graph once and returns the single fetch (fails the test on error).
inline Tensor RunOne(const Graph& g, const Output& fetch, const Session::FeedList& feeds = {}) {
  auto s = Session::Create(&g);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return Tensor();
  auto r = (*s)->Run(feeds, {fetch.name()});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return Tensor();
  return (*r)[0];
}

// Runs and returns the status (for error tests).
inline Status RunStatus(const Graph& g, const Output& fetch, const Session::FeedList& feeds = {}) {
  auto s = Session::Create(&g);
  if (!s.ok()) return s.status();
  auto r = (*s)->Run(feeds, {fetch.name()});
  return r.status();
}

// Runs one `op` node on Const inputs with `attrs` and returns its first `num_outputs` outputs,
// or the error of building or running it.
inline StatusOr<std::vector<Tensor>> RunOp(std::string_view op, const std::vector<Tensor>& inputs,
                                           AttrMap attrs = {}, int num_outputs = 1) {
  Graph g;
  std::vector<Output> in;
  for (size_t i = 0; i < inputs.size(); ++i) {
    in.push_back(ops::Const(g, inputs[i], "in" + std::to_string(i)));
  }
  Operation node = g.AddNode(op, "node", in, std::move(attrs));
  CKPT_RETURN_IF_ERROR(g.status());
  CKPT_ASSIGN_OR_RETURN(auto session, Session::Create(&g));
  std::vector<std::string> fetches;
  for (int i = 0; i < num_outputs; ++i) fetches.push_back(node.output(i).name());
  return session->Run({}, fetches);
}

// The single output of `op` on Const inputs (fails the test on error).
inline Tensor OpOutput(std::string_view op, const std::vector<Tensor>& inputs, AttrMap attrs = {}) {
  auto r = RunOp(op, inputs, std::move(attrs));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? (*r)[0] : Tensor();
}

// The status of running `op` (for error tests).
inline Status OpError(std::string_view op, const std::vector<Tensor>& inputs, AttrMap attrs = {},
                      int num_outputs = 1) {
  return RunOp(op, inputs, std::move(attrs), num_outputs).status();
}

inline Tensor S(std::vector<std::string> v, TensorShape s) { return Tensor::FromStrings(v, s); }

inline std::vector<std::string> Strings(const Tensor& t) {
  return std::vector<std::string>(t.strings(), t.strings() + t.num_elements());
}

}  // namespace ckpt::testutil
