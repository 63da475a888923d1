// Helper program for tests/python/test_checkpoint_*.py: drives CheckpointManager and the
// checkpoint-directory functions from the command line and prints JSON.
//
//   ckpt_manager_tool save DIR (--step N | --next) [--name NAME] [--max_to_keep K|none]
//        [--keep_best K --metric M [--mode min|max]] [--loss X] [--size N] [--meta FILE]
//        [--absolute] [--async] [--every_n_hours H] [--shards N]
//   ckpt_manager_tool dump PREFIX|DIR [--scope OLD=NEW]   restore every tensor, print values
//   ckpt_manager_tool loop DIR [--size N] [--max_to_keep K] [--async] [--shards N]
//        check, then save forever
//   ckpt_manager_tool check DIR [--size N]               recovery + full consistency check
//   ckpt_manager_tool preempt DIR [--size N] [--every K] save when SIGTERM/SIGINT arrives
//   ckpt_manager_tool evaluate DIR [--timeout S] [--hold_ms N] [--size N]
//   ckpt_manager_tool state-serialize  <
//   {"model":..,"paths":[..],"timestamps":[..],"last_preserved":x} ckpt_manager_tool state-read DIR
//   | ls DIR [--json] | verify DIR [--json] | latest DIR ckpt_manager_tool hold-lock DIR SECONDS
//   hold a manager open (two-trainer test)
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "ckpt/checkpoint/checkpoint_dir.h"
#include "ckpt/checkpoint/checkpoint_manager.h"
#include "ckpt/checkpoint/checkpoint_state.h"
#include "ckpt/checkpoint/preemption.h"
#include "ckpt/format/bundle.h"

using json = nlohmann::json;
using namespace ckpt;

namespace {

struct Args {
  std::vector<std::string> pos;
  std::map<std::string, std::string> kv;
  bool Has(const std::string& k) const { return kv.count(k) > 0; }
  std::string Get(const std::string& k, const std::string& d = "") const {
    auto it = kv.find(k);
    return it == kv.end() ? d : it->second;
  }
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 2; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) == 0) {
      std::string k = s.substr(2);
      if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
        a.kv[k] = argv[++i];
      } else {
        a.kv[k] = "1";
      }
    } else {
      a.pos.push_back(s);
    }
  }
  return a;
}

int Fail(const Status& s) {
  json j = {
      {"ok", false}, {"code", std::string(StatusCodeName(s.code()))}, {"error", s.ToString()}};
  std::cout << j.dump() << std::endl;
  return 1;
}

// The tensors of checkpoint `step`: values are a function of the step, so a reader can check
// that a checkpoint is exactly the one its name says.
NamedTensors MakeVars(int64_t step, int64_t size) {
  Tensor w(DataType::kFloat, {size});
  auto f = w.flat<float>();
  for (int64_t i = 0; i < size; ++i)
    f[i] = static_cast<float>(step) + 0.5f * static_cast<float>(i % 1000);
  Tensor b = Tensor::FromVector(std::vector<float>{-1.0f * step, 2.0f, 3.0f}, TensorShape{3});
  return {{"w", w}, {"b", b}, {"global_step", Tensor::Scalar<int64_t>(step)}};
}

// Restores w/b/global_step from `prefix` and checks the values against the step in its name.
Status CheckCheckpointValues(const std::string& prefix, int64_t size, int64_t* step_out) {
  Env* env = Env::Default();
  auto reader = BundleReader::Open(env, prefix);
  if (!reader.ok()) return reader.status();
  CKPT_RETURN_IF_ERROR((*reader)->VerifyAll());
  Tensor w(DataType::kFloat, {size}), b(DataType::kFloat, {3}), g(DataType::kInt64, {});
  std::vector<RestoreTarget> t = {{"w", &w}, {"b", &b}, {"global_step", &g}};
  CKPT_RETURN_IF_ERROR(RestoreFromCheckpoint(env, prefix, t));
  int64_t step = g.data<int64_t>()[0];
  std::string expect_suffix = "-" + std::to_string(step);
  if (prefix.size() < expect_suffix.size() ||
      prefix.compare(prefix.size() - expect_suffix.size(), expect_suffix.size(), expect_suffix) !=
          0)
    return DataLossError(prefix + " holds global_step " + std::to_string(step));
  NamedTensors expect = MakeVars(step, size);
  if (!w.Equals(expect[0].second) || !b.Equals(expect[1].second))
    return DataLossError(prefix + ": values do not match step " + std::to_string(step));
  *step_out = step;
  return Status::OK();
}

CheckpointManagerOptions ManagerOptions(const Args& a) {
  CheckpointManagerOptions o;
  o.checkpoint_name = a.Get("name", "model.ckpt");
  if (a.Has("max_to_keep")) {
    std::string k = a.Get("max_to_keep");
    if (k == "none") {
      o.max_to_keep = std::nullopt;
    } else {
      o.max_to_keep = std::stoi(k);
    }
  }
  if (a.Has("keep_best")) {
    o.keep_best = std::stoi(a.Get("keep_best"));
    o.best_metric = a.Get("metric", "loss");
    o.best_mode = a.Get("mode", "min") == "max" ? MetricMode::kMax : MetricMode::kMin;
  }
  if (a.Has("every_n_hours")) o.keep_checkpoint_every_n_hours = std::stod(a.Get("every_n_hours"));
  o.relative_paths = !a.Has("absolute");
  if (a.Has("nosync")) o.writer_options.sync = false;
  if (a.Has("shards")) o.writer_options.num_shards = std::stoi(a.Get("shards"));
  return o;
}

json ManagerJson(const CheckpointManager& m) {
  json list = json::array();
  for (const auto& c : m.checkpoints()) {
    list.push_back({{"prefix", c.prefix},
                    {"step", c.step},
                    {"timestamp", c.timestamp},
                    {"metrics", c.metrics}});
  }
  json j = {{"ok", true}, {"checkpoints", list}, {"last_step", m.last_step()}};
  auto latest = m.latest_checkpoint();
  j["latest"] = latest ? json(*latest) : json(nullptr);
  return j;
}

int CmdSave(const Args& a) {
  std::string dir = a.pos.at(0);
  auto m = CheckpointManager::Open(Env::Default(), dir, ManagerOptions(a));
  if (!m.ok()) return Fail(m.status());
  int64_t step = a.Has("next") ? (*m)->last_step() + 1 : std::stoll(a.Get("step", "0"));
  int64_t size = std::stoll(a.Get("size", "10"));
  SaveOptions so;
  if (a.Has("loss")) so.metrics["loss"] = std::stod(a.Get("loss"));
  if (a.Has("meta")) {
    auto bytes = Env::Default()->ReadFileToString(a.Get("meta"));
    if (!bytes.ok()) return Fail(bytes.status());
    so.companion_files["meta"] = *bytes;
  }
  NamedTensors vars = MakeVars(step, size);
  json j;
  if (a.Has("async")) {
    Status s = (*m)->SaveAsync(step, vars, so);
    if (!s.ok()) return Fail(s);
    s = (*m)->Wait();
    if (!s.ok()) return Fail(s);
    j = ManagerJson(**m);
    j["prefix"] = (*m)->PrefixForStep(step);
  } else {
    auto p = (*m)->Save(step, vars, so);
    if (!p.ok()) return Fail(p.status());
    j = ManagerJson(**m);
    j["prefix"] = *p;
  }
  std::cout << j.dump() << std::endl;
  return 0;
}

json TensorJson(const Tensor& t) {
  json j = {{"dtype", std::string(DataTypeName(t.dtype()))}, {"shape", t.shape().dims()}};
  json values = json::array();
  int64_t n = t.num_elements();
  for (int64_t i = 0; i < n; ++i) {
    switch (t.dtype()) {
      case DataType::kFloat: values.push_back(t.data<float>()[i]); break;
      case DataType::kDouble: values.push_back(t.data<double>()[i]); break;
      case DataType::kInt32: values.push_back(t.data<int32_t>()[i]); break;
      case DataType::kInt64: values.push_back(t.data<int64_t>()[i]); break;
      case DataType::kBool: values.push_back(t.data<bool>()[i]); break;
      case DataType::kString: values.push_back(t.strings()[i]); break;
      default: values.push_back(nullptr);
    }
  }
  j["values"] = values;
  return j;
}

int CmdDump(const Args& a) {
  Env* env = Env::Default();
  std::string prefix = a.pos.at(0);
  if (env->IsDirectory(prefix)) {
    auto l = LatestVerifiedCheckpoint(env, prefix);
    if (!l.ok()) return Fail(l.status());
    prefix = *l;
  }
  auto reader = BundleReader::Open(env, prefix);
  if (!reader.ok()) return Fail(reader.status());
  RestoreOptions ro;
  std::string old_scope, new_scope;
  if (a.Has("scope")) {
    std::string s = a.Get("scope");
    size_t eq = s.find('=');
    old_scope = s.substr(0, eq);
    new_scope = s.substr(eq + 1);
    ro.scope_map = {{old_scope, new_scope}};
  }
  std::vector<std::string> names;
  std::vector<Tensor> tensors;
  for (const auto& k : (*reader)->keys()) {
    auto e = (*reader)->GetEntry(k);
    if (!e.ok()) return Fail(e.status());
    if (!DataTypeIsPod(e->dtype) && e->dtype != DataType::kString) continue;
    std::string name = k;
    if (!old_scope.empty()) {
      if (k.rfind(old_scope, 0) != 0) continue;
      name = new_scope + k.substr(old_scope.size());
    }
    auto t = Tensor::Allocate(e->dtype, e->shape);
    if (!t.ok()) return Fail(t.status());
    names.push_back(name);
    tensors.push_back(std::move(t).value());
  }
  std::vector<RestoreTarget> targets;
  for (size_t i = 0; i < names.size(); ++i) targets.push_back({names[i], &tensors[i]});
  RestoreReport report;
  Status s = RestoreFromCheckpoint(env, prefix, targets, ro, &report);
  if (!s.ok()) return Fail(s);
  json out = {{"ok", true}, {"prefix", prefix}};
  json tj = json::object();
  for (size_t i = 0; i < names.size(); ++i) tj[names[i]] = TensorJson(tensors[i]);
  out["tensors"] = tj;
  out["unused"] = report.unused;
  std::cout << out.dump() << std::endl;
  return 0;
}

// Opens the manager (recovering), then checks every listed checkpoint and the latest.
Status CheckDir(const std::string& dir, int64_t size, const CheckpointManagerOptions& o,
                std::unique_ptr<CheckpointManager>* out, json* report) {
  auto m = CheckpointManager::Open(Env::Default(), dir, o);
  if (!m.ok()) return m.status();
  json listed = json::array();
  for (const auto& c : (*m)->checkpoints()) {
    int64_t step = -1;
    Status s = CheckCheckpointValues(c.prefix, size, &step);
    if (!s.ok()) return s.WithContext("listed checkpoint");
    listed.push_back(step);
  }
  (*report)["listed"] = listed;
  (*report)["last_step"] = (*m)->last_step();
  if (auto latest = (*m)->latest_checkpoint()) {
    auto tf_latest = LatestCheckpoint(Env::Default(), dir);
    if (!tf_latest.ok()) return tf_latest.status().WithContext("state file latest");
    if (*tf_latest != *latest)
      return DataLossError("state file names " + *tf_latest + ", manager " + *latest);
    int64_t step = -1;
    CKPT_RETURN_IF_ERROR(CheckCheckpointValues(*latest, size, &step));
    (*report)["latest"] = step;
  } else {
    (*report)["latest"] = nullptr;
  }
  auto children = Env::Default()->GetChildren(dir);
  if (children.ok()) {
    for (const auto& c : *children) {
      if (c.find("tmp") != std::string::npos || c.find("tempstate") != std::string::npos ||
          c.find(".deleting") != std::string::npos)
        return DataLossError("leftover after recovery: " + c);
    }
  }
  *out = std::move(m).value();
  return Status::OK();
}

int CmdLoop(const Args& a, bool forever) {
  std::string dir = a.pos.at(0);
  int64_t size = std::stoll(a.Get("size", "1000"));
  CheckpointManagerOptions o = ManagerOptions(a);
  std::unique_ptr<CheckpointManager> m;
  json report = {{"event", "start"}};
  Status s = CheckDir(dir, size, o, &m, &report);
  report["ok"] = s.ok();
  if (!s.ok()) report["error"] = s.ToString();
  std::cout << report.dump() << std::endl;
  if (!s.ok()) return 1;
  if (!forever) return 0;
  bool async = a.Has("async");
  for (int64_t step = m->last_step() + 1;; ++step) {
    NamedTensors vars = MakeVars(step, size);
    if (async) {
      s = m->SaveAsync(step, vars);
      if (s.ok()) s = m->Wait();
    } else {
      s = m->Save(step, vars).status();
    }
    if (!s.ok()) return Fail(s);
    std::cout << json({{"event", "saved"}, {"step", step}}).dump() << std::endl;
  }
}

int CmdPreempt(const Args& a) {
  std::string dir = a.pos.at(0);
  int64_t size = std::stoll(a.Get("size", "100000"));
  int every = std::stoi(a.Get("every", "50"));
  auto watcher = PreemptionWatcher::Install();
  if (!watcher.ok()) return Fail(watcher.status());
  auto m = CheckpointManager::Open(Env::Default(), dir, ManagerOptions(a));
  if (!m.ok()) return Fail(m.status());
  int64_t step = (*m)->last_step() + 1;
  NamedTensors vars = MakeVars(step, size);
  std::cout << json({{"event", "training"}, {"step", step}}).dump() << std::endl;
  for (;; ++step) {
    vars = MakeVars(step, size);  // "training": the variables of this step
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    auto saved = (*m)->SaveIfPreempted(**watcher, step, vars);
    if (!saved.ok()) return Fail(saved.status());
    if (*saved) {
      std::cout
          << json({{"event", "preempted"}, {"step", step}, {"signal", (*watcher)->signal()}}).dump()
          << std::endl;
      return 0;
    }
    if (step % every == 0) {
      Status s = (*m)->SaveAsync(step, vars);
      if (!s.ok()) return Fail(s);
    }
  }
}

int CmdEvaluate(const Args& a) {
  std::string dir = a.pos.at(0);
  int64_t size = std::stoll(a.Get("size", "1000"));
  int hold_ms = std::stoi(a.Get("hold_ms", "0"));
  CheckpointsIteratorOptions o;
  o.timeout_secs = std::stod(a.Get("timeout", "5"));
  o.poll_interval_secs = std::stod(a.Get("poll", "0.01"));
  CheckpointsIterator it(Env::Default(), dir, o);
  int failures = 0;
  while (true) {
    auto next = it.Next();
    if (!next.ok()) return Fail(next.status());
    if (!next->has_value()) break;
    const PinnedCheckpoint& c = **next;
    int64_t step = -1;
    Status s = CheckCheckpointValues(c.prefix, size, &step);
    if (s.ok() && hold_ms > 0) {
      // Keep using it while the trainer moves on: the pin keeps it on disk.
      std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
      s = CheckCheckpointValues(c.prefix, size, &step);
    }
    if (!s.ok()) ++failures;
    json j = {{"event", "evaluated"}, {"step", c.step}, {"ok", s.ok()}};
    if (!s.ok()) j["error"] = s.ToString();
    std::cout << j.dump() << std::endl;
  }
  std::cout << json({{"event", "done"}, {"failures", failures}}).dump() << std::endl;
  return failures == 0 ? 0 : 1;
}

int CmdStateSerialize() {
  json in = json::parse(std::cin);
  CheckpointState s;
  s.model_checkpoint_path = in.value("model", "");
  for (const auto& p : in.value("paths", json::array())) s.all_model_checkpoint_paths.push_back(p);
  for (const auto& t : in.value("timestamps", json::array()))
    s.all_model_checkpoint_timestamps.push_back(t.get<double>());
  s.last_preserved_timestamp = in.value("last_preserved", 0.0);
  std::cout << SerializeCheckpointState(s);
  return 0;
}

int CmdStateRead(const Args& a) {
  auto s = GetCheckpointState(Env::Default(), a.pos.at(0));
  if (!s.ok()) return Fail(s.status());
  if (!s->has_value()) {
    std::cout << json({{"ok", true}, {"state", nullptr}}).dump() << std::endl;
    return 0;
  }
  const CheckpointState& st = **s;
  json j = {{"model", st.model_checkpoint_path},
            {"paths", st.all_model_checkpoint_paths},
            {"timestamps", st.all_model_checkpoint_timestamps},
            {"last_preserved", st.last_preserved_timestamp}};
  std::cout << json({{"ok", true}, {"state", j}}).dump() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: ckpt_manager_tool COMMAND ...\n";
    return 2;
  }
  std::string cmd = argv[1];
  Args a = Parse(argc, argv);
  if (cmd == "save") return CmdSave(a);
  if (cmd == "dump") return CmdDump(a);
  if (cmd == "loop") return CmdLoop(a, true);
  if (cmd == "check") return CmdLoop(a, false);
  if (cmd == "preempt") return CmdPreempt(a);
  if (cmd == "evaluate") return CmdEvaluate(a);
  if (cmd == "state-serialize") return CmdStateSerialize();
  if (cmd == "state-read") return CmdStateRead(a);
  if (cmd == "ls" || cmd == "verify") {
    Status s = cmd == "ls"
                   ? ListCheckpointDir(Env::Default(), a.pos.at(0), std::cout, a.Has("json"))
                   : VerifyCheckpointDir(Env::Default(), a.pos.at(0), std::cout, a.Has("json"));
    if (!s.ok()) {
      std::cerr << s.ToString() << "\n";
      return 1;
    }
    return 0;
  }
  if (cmd == "latest") {
    auto l = LatestVerifiedCheckpoint(Env::Default(), a.pos.at(0), {.full_verify = true});
    if (!l.ok()) return Fail(l.status());
    std::cout << json({{"ok", true}, {"latest", *l}}).dump() << std::endl;
    return 0;
  }
  if (cmd == "hold-lock") {
    auto m = CheckpointManager::Open(Env::Default(), a.pos.at(0));
    if (!m.ok()) return Fail(m.status());
    std::cout << json({{"event", "locked"}}).dump() << std::endl;
    std::this_thread::sleep_for(std::chrono::duration<double>(std::stod(a.pos.at(1))));
    return 0;
  }
  std::cerr << "unknown command " << cmd << "\n";
  return 2;
}
