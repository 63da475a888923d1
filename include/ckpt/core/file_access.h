// File-access policies for code that runs on behalf of an untrusted file: a graph's I/O ops
// (RestoreV2, SaveV2, MergeV2Checkpoints, ReadFile, WriteFile, ...) see the file system only
// through an Env, and NewRestrictedEnv gives them one that allows reads under some directories
// and writes under others, and refuses everything else with PermissionDenied naming the path.
//
// A model downloaded from a hub cannot then read ~/.ssh or /etc/passwd through a RestoreV2
// node, nor overwrite the user's files through a SaveV2 node: `ckpt run` and LoadModel /
// LoadSavedModel let a graph read only inside the model's own directory and write nowhere,
// unless the user allows more.
//
// Paths are compared after making them absolute, removing "." and ".." and resolving symbolic
// links of the part that exists, so "dir/../../etc/passwd" and a link inside the model's
// directory that points outside it are both refused. The check is made when a file is opened;
// a directory that another process changes concurrently (a link swapped in after the check)
// is outside what it protects against.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ckpt/core/env.h"

namespace ckpt {

struct FileAccessPolicy {
  // No restriction (the default: the caller wrote or trusts the graph).
  bool unrestricted = true;
  // Directories under which files may be read (opened, listed, sized, checked for existence).
  std::vector<std::string> read_dirs;
  // Directories under which files may be created, written, renamed, deleted and locked; and
  // read.
  std::vector<std::string> write_dirs;

  // A policy that allows reading under `dirs` only and writing nowhere.
  static FileAccessPolicy ReadOnly(std::vector<std::string> dirs) {
    FileAccessPolicy p;
    p.unrestricted = false;
    p.read_dirs = std::move(dirs);
    return p;
  }
  // "unrestricted", or "read under 'a', 'b'; write under 'c'" (for messages and --help).
  std::string DebugString() const;
};

// An Env that forwards to `base` (borrowed: must outlive the result) what `policy` allows and
// refuses the rest with PermissionDenied ("reading '/etc/passwd' is not allowed: ..."). For a
// path it may not read, FileExists returns true (so that opening it next reports the refusal,
// and nothing is learned of what exists there) and IsDirectory false. NowMicros is always
// allowed.
// Thread safety: as `base`.
std::unique_ptr<Env> NewRestrictedEnv(Env* base, FileAccessPolicy policy);

}  // namespace ckpt
