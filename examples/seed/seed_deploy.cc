// Deploy: runs a trained seed model with none of its code, as the seed's section 4 does:
// import the .meta, restore the weights, look up the prediction op by collection and the
// input by tensor name, and run it.
//
//   seed_deploy PREFIX [X]   (PREFIX e.g. ./checkpoint_dir/checkpoint_model-999; X default 2.4)
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ckpt/core/env.h"
#include "ckpt/graph/session.h"
#include "ckpt/metagraph/meta_graph.h"
#include "ckpt/metagraph/saver.h"

int main(int argc, char** argv) {
  using namespace ckpt;  // NOLINT(build/namespaces): example program
  if (argc < 2) {
    std::fprintf(stderr, "usage: seed_deploy PREFIX [X]\n");
    return 2;
  }
  const std::string prefix = argv[1];
  const float x = argc > 2 ? std::strtof(argv[2], nullptr) : 2.4f;
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "seed_deploy: %s\n", s.ToString().c_str());
    return 1;
  };
  // saver = tf.train.import_meta_graph(prefix + '.meta')
  auto imported = ImportMetaGraph(Env::Default(), prefix + ".meta");
  if (!imported.ok()) return fail(imported.status());
  Graph& graph = *imported->graph;
  if (!imported->saver) return fail(NotFoundError(prefix + ".meta has no saver_def"));
  auto sess = Session::Create(&graph);
  if (!sess.ok()) return fail(sess.status());
  // saver.restore(sess, prefix)
  Status s = imported->saver->Restore(**sess, prefix);
  if (!s.ok()) return fail(s);
  // predict_op = tf.get_collection('predict_op')[0]
  const auto& coll = graph.GetCollection("predict_op");
  if (coll.empty()) return fail(NotFoundError("collection 'predict_op' is empty"));
  // x = graph.get_tensor_by_name('input:0')
  auto input = graph.GetTensorByName("input:0");
  if (!input.ok()) return fail(input.status());
  auto out =
      (*sess)->Run({{input->name(), Tensor::FromVector<float>({x}, TensorShape{1})}}, {coll[0]});
  if (!out.ok()) return fail(out.status());
  std::printf("predict_op = %s, input = %s\n", coll[0].c_str(), input->name().c_str());
  std::printf("sess.run(predict_op, {x: [%g]}) = [%g.]\n", x, (*out)[0].data<float>()[0]);
  return 0;
}
