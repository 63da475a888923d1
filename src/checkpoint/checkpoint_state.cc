// The `checkpoint` state file: TF's text-format CheckpointState, read and written as TF's
// checkpoint_management.py does (docs/checkpoint.md, "The state file").
#include "ckpt/checkpoint/checkpoint_state.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "checkpoint/checkpoint_files.h"

namespace ckpt {

// ---- Python float repr ------------------------------------------------------------------

std::string FormatPythonFloat(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  // Shortest round-trip digits in scientific form: "d[.ddd]e[+-]X".
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  std::string out;
  size_t pos = 0;
  if (sci[0] == '-') {
    out.push_back('-');
    pos = 1;
  }
  size_t e = sci.find('e');
  std::string digits;
  for (size_t i = pos; i < e; ++i)
    if (sci[i] != '.') digits.push_back(sci[i]);
  int exp10 = std::atoi(sci.c_str() + e + 1);  // value = d.ddd * 10^exp10
  // Strip trailing zeros of the digit string (to_chars gives none except for zero itself).
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  if (v == 0) {
    out += "0.0";
    return out;
  }
  // Python's repr uses fixed notation when -4 <= exp10 < 16, else exponent notation.
  if (exp10 >= -4 && exp10 < 16) {
    if (exp10 < 0) {
      out += "0.";
      out.append(static_cast<size_t>(-exp10 - 1), '0');
      out += digits;
    } else {
      size_t int_len = static_cast<size_t>(exp10) + 1;
      if (digits.size() <= int_len) {
        out += digits;
        out.append(int_len - digits.size(), '0');
        out += ".0";
      } else {
        out += digits.substr(0, int_len);
        out += '.';
        out += digits.substr(int_len);
      }
    }
  } else {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out += digits.substr(1);
    }
    char ebuf[16];
    std::snprintf(ebuf, sizeof(ebuf), "e%c%02d", exp10 < 0 ? '-' : '+', std::abs(exp10));
    out += ebuf;
  }
  return out;
}

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n;
  uint32_t cp;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
      (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

}  // namespace

bool internal::IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
    } else if (size_t n = Utf8SequenceLength(s, i)) {
      i += n;
    } else {
      return false;
    }
  }
  return true;
}

namespace {

// Python protobuf's text_format string escaping (as_utf8, its default since protobuf 4):
// C escapes for \n \r \t \" \' \\, other control bytes and DEL as 3-digit octal, valid
// UTF-8 sequences as they are, bytes of invalid sequences as octal.
std::string CEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t n = Utf8SequenceLength(s, i);
      if (n > 0) {
        out.append(s.substr(i, n));
        i += n;
        continue;
      }
    }
    ++i;
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '"': out += "\\\""; break;
      case '\'': out += "\\'"; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c < 32 || c >= 127) {
          char b[8];
          std::snprintf(b, sizeof(b), "\\%03o", c);
          out += b;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

// ---- tolerant text-format tokenizer --------------------------------------------------------

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Status Error(std::string_view what) const {
    int line = 1;
    for (size_t i = 0; i < pos_ && i < s_.size(); ++i)
      if (s_[i] == '\n') ++line;
    return DataLossError("checkpoint state: line " + std::to_string(line) + ": " +
                         std::string(what));
  }

  void SkipSpace() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '#') {
        while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        ++pos_;
      } else {
        break;
      }
    }
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ >= s_.size();
  }
  bool TryConsume(char c) {
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  StatusOr<std::string> Identifier() {
    SkipSpace();
    size_t start = pos_;
    while (pos_ < s_.size() &&
           (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_'))
      ++pos_;
    if (start == pos_) return Error("expected a field name");
    return std::string(s_.substr(start, pos_ - start));
  }

  // One or more adjacent quoted strings (concatenated, as text_format does).
  StatusOr<std::string> String() {
    SkipSpace();
    if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\''))
      return Error("expected a quoted string");
    std::string out;
    while (pos_ < s_.size() && (s_[pos_] == '"' || s_[pos_] == '\'')) {
      char q = s_[pos_++];
      while (true) {
        if (pos_ >= s_.size() || s_[pos_] == '\n') return Error("unterminated string");
        char c = s_[pos_++];
        if (c == q) break;
        if (c != '\\') {
          out.push_back(c);
          continue;
        }
        if (pos_ >= s_.size()) return Error("unterminated escape");
        char e = s_[pos_++];
        switch (e) {
          case 'n': out.push_back('\n'); break;
          case 'r': out.push_back('\r'); break;
          case 't': out.push_back('\t'); break;
          case 'a': out.push_back('\a'); break;
          case 'b': out.push_back('\b'); break;
          case 'f': out.push_back('\f'); break;
          case 'v': out.push_back('\v'); break;
          case '\\': out.push_back('\\'); break;
          case '\'': out.push_back('\''); break;
          case '"': out.push_back('"'); break;
          case '?': out.push_back('?'); break;
          case 'x': {
            int v = 0, n = 0;
            while (n < 2 && pos_ < s_.size() &&
                   std::isxdigit(static_cast<unsigned char>(s_[pos_]))) {
              char h = s_[pos_++];
              v = v * 16 + (std::isdigit(static_cast<unsigned char>(h))
                                ? h - '0'
                                : (std::tolower(h) - 'a' + 10));
              ++n;
            }
            if (n == 0) return Error("bad \\x escape");
            out.push_back(static_cast<char>(v));
            break;
          }
          default:
            if (e >= '0' && e <= '7') {
              int v = e - '0', n = 1;
              while (n < 3 && pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '7') {
                v = v * 8 + (s_[pos_++] - '0');
                ++n;
              }
              if (v > 255) return Error("octal escape out of range");
              out.push_back(static_cast<char>(v));
            } else {
              return Error(std::string("unknown escape \\") + e);
            }
        }
      }
      SkipSpace();
    }
    return out;
  }

  StatusOr<double> Number() {
    SkipSpace();
    size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) ||
                                s_[pos_] == '.' || s_[pos_] == '-' || s_[pos_] == '+'))
      ++pos_;
    std::string tok(s_.substr(start, pos_ - start));
    if (tok.empty()) return Error("expected a number");
    std::string lower;
    for (char c : tok)
      lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    bool neg = !lower.empty() && lower[0] == '-';
    std::string body = neg ? lower.substr(1) : lower;
    if (body == "inf" || body == "infinity") return neg ? -INFINITY : INFINITY;
    if (body == "nan") return NAN;
    if (!body.empty() && body.back() == 'f' && body.find('x') == std::string::npos)
      body.pop_back();  // "1.5f"
    if (body.empty() || body[0] == '+' || body[0] == '-') return Error("bad number '" + tok + "'");
    double v = 0;
    auto r = std::from_chars(body.data(), body.data() + body.size(), v);
    if (r.ec != std::errc() || r.ptr != body.data() + body.size()) {
      // Integers beyond double precision, hex: let strtod try.
      char* end = nullptr;
      v = std::strtod(body.c_str(), &end);
      if (end != body.c_str() + body.size()) return Error("bad number '" + tok + "'");
    }
    return neg ? -v : v;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

StatusOr<CheckpointState> ParseCheckpointState(std::string_view text) {
  Parser p(text);
  CheckpointState state;
  while (!p.AtEnd()) {
    CKPT_ASSIGN_OR_RETURN(std::string name, p.Identifier());
    if (!p.TryConsume(':')) return p.Error("expected ':' after " + name);
    bool is_string = name == "model_checkpoint_path" || name == "all_model_checkpoint_paths";
    bool is_double =
        name == "all_model_checkpoint_timestamps" || name == "last_preserved_timestamp";
    if (!is_string && !is_double) return p.Error("unknown field '" + name + "'");
    bool repeated =
        name == "all_model_checkpoint_paths" || name == "all_model_checkpoint_timestamps";
    auto one = [&]() -> Status {
      if (is_string) {
        CKPT_ASSIGN_OR_RETURN(std::string v, p.String());
        if (repeated) {
          state.all_model_checkpoint_paths.push_back(std::move(v));
        } else {
          state.model_checkpoint_path = std::move(v);
        }
      } else {
        CKPT_ASSIGN_OR_RETURN(double v, p.Number());
        if (repeated) {
          state.all_model_checkpoint_timestamps.push_back(v);
        } else {
          state.last_preserved_timestamp = v;
        }
      }
      return Status::OK();
    };
    if (repeated && p.TryConsume('[')) {
      if (!p.TryConsume(']')) {
        do {
          CKPT_RETURN_IF_ERROR(one());
        } while (p.TryConsume(','));
        if (!p.TryConsume(']')) return p.Error("expected ']'");
      }
    } else {
      CKPT_RETURN_IF_ERROR(one());
    }
    // Fields may be separated by ',' or ';'.
    if (!p.TryConsume(',')) p.TryConsume(';');
  }
  return state;
}

std::string SerializeCheckpointState(const CheckpointState& state) {
  std::string out;
  if (!state.model_checkpoint_path.empty())
    out += "model_checkpoint_path: \"" + CEscape(state.model_checkpoint_path) + "\"\n";
  for (const auto& p : state.all_model_checkpoint_paths)
    out += "all_model_checkpoint_paths: \"" + CEscape(p) + "\"\n";
  for (double t : state.all_model_checkpoint_timestamps)
    out += "all_model_checkpoint_timestamps: " + FormatPythonFloat(t) + "\n";
  // proto3 scalar: omitted when zero (also -0.0 prints nothing, as Python's text_format).
  if (state.last_preserved_timestamp != 0)
    out += "last_preserved_timestamp: " + FormatPythonFloat(state.last_preserved_timestamp) + "\n";
  return out;
}

namespace {

std::string JoinIfRelative(const std::string& dir, const std::string& p) {
  if (p.empty() || path::IsAbsolute(p)) return p;
  return path::Join(dir, p);
}

// If an absolute path no longer exists (directory moved or copied), but a checkpoint with the
// same basename exists in `dir`, use that one.
std::string Relocate(Env* env, const std::string& dir, const std::string& p) {
  if (!path::IsAbsolute(p) || internal::CheckpointExists(env, p)) return p;
  std::string local = path::Join(dir, path::Basename(p));
  if (internal::CheckpointExists(env, local)) return local;
  return p;
}

}  // namespace

StatusOr<std::optional<CheckpointState>> GetCheckpointState(Env* env, const std::string& dir,
                                                            std::string_view filename) {
  std::string file = path::Join(dir, filename);
  if (!env->FileExists(file)) return std::optional<CheckpointState>();
  // A state file lists paths; anything this large is not one (and is not read into memory).
  constexpr uint64_t kMaxStateFileBytes = uint64_t{64} << 20;
  auto size = env->GetFileSize(file);
  if (size.ok() && *size > kMaxStateFileBytes)
    return DataLossError("checkpoint state " + file + " is " + std::to_string(*size) +
                         " bytes (more than 64 MiB): not a state file");
  auto text = env->ReadFileToString(file);
  if (!text.ok()) {
    if (IsNotFound(text.status())) return std::optional<CheckpointState>();
    return text.status();
  }
  auto parsed = ParseCheckpointState(*text);
  if (!parsed.ok()) return parsed.status().WithContext(file);
  CheckpointState state = std::move(parsed).value();
  if (state.model_checkpoint_path.empty())
    return DataLossError("invalid checkpoint state loaded from " + file +
                         ": model_checkpoint_path is empty");
  if (!state.all_model_checkpoint_timestamps.empty() &&
      state.all_model_checkpoint_timestamps.size() != state.all_model_checkpoint_paths.size())
    return DataLossError("invalid checkpoint state loaded from " + file + ": " +
                         std::to_string(state.all_model_checkpoint_timestamps.size()) +
                         " timestamps for " +
                         std::to_string(state.all_model_checkpoint_paths.size()) + " paths");
  state.model_checkpoint_path =
      Relocate(env, dir, JoinIfRelative(dir, state.model_checkpoint_path));
  for (auto& p : state.all_model_checkpoint_paths) p = Relocate(env, dir, JoinIfRelative(dir, p));
  return std::optional<CheckpointState>(std::move(state));
}

namespace {

// `p` relative to `dir` when it lies inside `dir`; else `p` unchanged.
std::string MakeRelative(const std::string& dir, const std::string& p) {
  if (p.empty()) return p;
  std::string np = path::Normalize(p);
  std::string nd = path::Normalize(dir.empty() ? "." : dir);
  if (path::IsAbsolute(np) != path::IsAbsolute(nd)) return p;
  std::string rel = path::Relative(np, nd);
  if (rel.empty() || rel == ".." || rel.rfind("../", 0) == 0) return p;
  return rel;
}

}  // namespace

Status WriteCheckpointState(Env* env, const std::string& dir, const CheckpointState& state,
                            bool relative_paths, std::string_view filename, bool sync) {
  if (filename.empty() || filename.find('/') != std::string_view::npos)
    return InvalidArgumentError("checkpoint state filename '" + std::string(filename) +
                                "' must not be empty or contain path components");
  std::string file = path::Join(dir, filename);
  CheckpointState out = state;
  if (!out.all_model_checkpoint_timestamps.empty() &&
      out.all_model_checkpoint_timestamps.size() != out.all_model_checkpoint_paths.size())
    return InvalidArgumentError("checkpoint state for " + file + ": " +
                                std::to_string(out.all_model_checkpoint_timestamps.size()) +
                                " timestamps for " +
                                std::to_string(out.all_model_checkpoint_paths.size()) + " paths");
  if (out.all_model_checkpoint_paths.empty() ||
      out.all_model_checkpoint_paths.back() != out.model_checkpoint_path) {
    if (!out.all_model_checkpoint_timestamps.empty())
      return InvalidArgumentError("checkpoint state for " + file +
                                  ": timestamps given but the last path is not the model path");
    out.all_model_checkpoint_paths.push_back(out.model_checkpoint_path);
  }
  auto convert = [&](const std::string& p) {
    if (p.empty()) return p;
    if (relative_paths) return MakeRelative(dir, p);
    // As TF: with a relative directory, relative paths are stored relative to it.
    if (!path::IsAbsolute(dir) && !path::IsAbsolute(p)) return MakeRelative(dir, p);
    return p;
  };
  if (path::Normalize(out.model_checkpoint_path) == path::Normalize(file))
    return InvalidArgumentError("save path '" + out.model_checkpoint_path +
                                "' conflicts with path used for checkpoint state");
  out.model_checkpoint_path = convert(out.model_checkpoint_path);
  for (auto& p : out.all_model_checkpoint_paths) p = convert(p);
  Status s = env->AtomicWriteStringToFile(file, SerializeCheckpointState(out),
                                          sync ? Env::SyncMode::kFileAndDir : Env::SyncMode::kNone);
  return s.WithContext("writing checkpoint state " + file);
}

StatusOr<std::string> LatestCheckpoint(Env* env, const std::string& dir,
                                       std::string_view filename) {
  CKPT_ASSIGN_OR_RETURN(std::optional<CheckpointState> state,
                        GetCheckpointState(env, dir, filename));
  if (!state) return NotFoundError("no checkpoint state file " + path::Join(dir, filename));
  if (!internal::CheckpointExists(env, state->model_checkpoint_path))
    return NotFoundError("couldn't match files for checkpoint " + state->model_checkpoint_path +
                         " (named by " + path::Join(dir, filename) + ")");
  return state->model_checkpoint_path;
}

}  // namespace ckpt
