// ConvertTensorFile: reads every selected tensor of one file and writes it to another format.
#include "ckpt/format/convert.h"

#include <map>
#include <regex>

#include "ckpt/format/bundle.h"

namespace ckpt {

StatusOr<std::pair<std::string, std::string>> ParseRenameRule(std::string_view rule) {
  size_t eq = rule.rfind('=');
  if (eq == std::string_view::npos || eq == 0) {
    return InvalidArgumentError("rename rule '" + std::string(rule) + "' is not REGEX=REPLACEMENT");
  }
  return std::make_pair(std::string(rule.substr(0, eq)), std::string(rule.substr(eq + 1)));
}

StatusOr<ConvertResult> ConvertTensorFile(Env* env, const std::string& input,
                                          const std::string& output,
                                          const ConvertOptions& options) {
  TensorFileFormat in_format = options.input_format == TensorFileFormat::kAuto
                                   ? TensorFileFormatFromPath(input)
                                   : options.input_format;
  std::map<std::string, std::string> metadata;
  std::unique_ptr<CheckpointReader> reader;
  if (in_format == TensorFileFormat::kSafetensors) {
    CKPT_ASSIGN_OR_RETURN(auto st, SafetensorsReader::Open(env, input));
    metadata = st->metadata();
    reader = std::move(st);
  } else {
    CKPT_ASSIGN_OR_RETURN(reader, OpenTensorFile(env, input, in_format));
  }
  // A V2 bundle is also opened mapped: its tensors are then written straight from the page
  // cache (checksum verified) instead of being copied into new buffers first.
  std::unique_ptr<BundleReader> mapped;
  if (in_format == TensorFileFormat::kTensorFlow && reader->format() == "V2") {
    CKPT_ASSIGN_OR_RETURN(mapped, BundleReader::Open(env, input, {.use_mmap = true}));
  }
  auto fetch = [&](const std::string& name) -> StatusOr<Tensor> {
    if (mapped != nullptr) {
      auto view = mapped->LookupView(name);
      // FailedPrecondition: strings, partitioned or big-endian entries, which need a copy.
      if (view.ok() || view.status().code() != StatusCode::kFailedPrecondition) return view;
    }
    return reader->Lookup(name);
  };

  std::optional<std::regex> only;
  std::vector<std::pair<std::regex, std::string>> renames;
  try {
    if (!options.only.empty()) only.emplace(options.only, std::regex::ECMAScript);
    for (const auto& [re, repl] : options.renames) {
      renames.emplace_back(std::regex(re, std::regex::ECMAScript), repl);
    }
  } catch (const std::regex_error& e) {
    return InvalidArgumentError(std::string("bad regular expression: ") + e.what());
  }

  std::vector<TensorFileEntry> entries;
  std::vector<std::string> sources;
  std::map<std::string, std::string> renamed_from;
  uint64_t total = 0;
  for (const CheckpointTensorInfo& v : reader->variables()) {
    if (only && !std::regex_search(v.name, *only)) continue;
    std::string name = v.name;
    for (const auto& [re, repl] : renames) name = std::regex_replace(name, re, repl);
    if (name.empty())
      return InvalidArgumentError("tensor " + v.name + " is renamed to an empty name");
    auto [it, inserted] = renamed_from.emplace(name, v.name);
    if (!inserted) {
      return InvalidArgumentError("tensors " + it->second + " and " + v.name +
                                  " are both renamed to " + name);
    }
    entries.push_back({name, v.dtype, v.shape});
    sources.push_back(v.name);
    total += static_cast<uint64_t>(v.bytes);
  }
  if (entries.empty()) {
    return InvalidArgumentError("no tensor of " + input + " selected" +
                                (options.only.empty() ? "" : " by --only " + options.only));
  }
  CKPT_ASSIGN_OR_RETURN(auto writer, TensorFileWriter::Create(env, output, options.output_format,
                                                              entries, std::move(metadata)));
  ConvertResult result;
  for (size_t i = 0; i < entries.size(); ++i) {
    CKPT_ASSIGN_OR_RETURN(Tensor t, fetch(sources[i]));
    CKPT_RETURN_IF_ERROR(writer->Add(t).WithContext("writing " + output));
    if (t.dtype() == DataType::kString) {
      for (int64_t k = 0; k < t.num_elements(); ++k) result.bytes += t.strings()[k].size();
    } else {
      result.bytes += t.TotalBytes();
    }
    ++result.tensors;
    if (options.progress) options.progress(std::min(result.bytes, total), total);
  }
  CKPT_RETURN_IF_ERROR(writer->Finish());
  return result;
}

}  // namespace ckpt
