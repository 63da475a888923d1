// String kernels:
//   StringJoin                 element-wise join of string tensors (scalars broadcast);
//   StaticRegexFullMatch       RE2 full match of every element (TF's engine and syntax);
//   StaticRegexReplace         RE2 Replace / GlobalReplace with TF's rewrite rules;
//   StringLower                ASCII lowercase, or Unicode lowercase of UTF-8 text (see below);
//   StringSplitV2              Python's str.split per element, as a sparse [batch, max] result.
// The regex kernels compile their pattern once, when the kernel is built: a pattern RE2 rejects
// (bad syntax, or a program over RE2's memory budget) fails there, naming the node. RE2 matches
// in time linear in the input whatever the pattern, which matters for untrusted graphs.
#include <re2/re2.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/core/utf8.h"
#include "graph/kernel.h"
#include "graph/kernels/kernel_util.h"

namespace ckpt {

namespace {

Status CheckStringTensor(const Tensor& t, const char* what) {
  if (t.dtype() != DataType::kString) {
    return InvalidArgumentError(std::string(what) + " must be a string tensor, got " +
                                std::string(DataTypeName(t.dtype())));
  }
  return Status::OK();
}

// ---- StringJoin -----------------------------------------------------------------------------
class StringJoinKernel : public OpKernel {
 public:
  explicit StringJoinKernel(const OpKernelConstruction& c) {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("separator", &sep_));
  }
  Status Compute(OpKernelContext* ctx) override {
    const int n = ctx->num_inputs();
    TensorShape shape;
    bool have_shape = false;
    for (int i = 0; i < n; ++i) {
      const Tensor& t = ctx->input(i);
      CKPT_RETURN_IF_ERROR(CheckStringTensor(t, "inputs"));
      if (t.shape().rank() == 0) continue;
      if (have_shape && !(t.shape() == shape)) {
        return InvalidArgumentError("inputs must be scalars or have the same shape; got " +
                                    shape.DebugString() + " and " + t.shape().DebugString());
      }
      shape = t.shape();
      have_shape = true;
    }
    CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output(0, DataType::kString, shape));
    const int64_t count = shape.num_elements();
    for (int64_t e = 0; e < count; ++e) {
      std::string s;
      for (int i = 0; i < n; ++i) {
        const Tensor& t = ctx->input(i);
        if (i > 0) s += sep_;
        s += t.shape().rank() == 0 ? t.strings()[0] : t.strings()[e];
      }
      out->strings()[e] = std::move(s);
    }
    return Status::OK();
  }

 private:
  std::string sep_;
};

// ---- regex ops (RE2) ------------------------------------------------------------------------
// Compiles `pattern` as TF does (RE2's default options: UTF-8, RE2 syntax), without RE2's
// logging to stderr. nullptr with the failure recorded in `c` when RE2 rejects the pattern.
std::unique_ptr<RE2> CompilePattern(const OpKernelConstruction& c, const std::string& pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_unique<RE2>(pattern, options);
  if (!re->ok()) {
    c.CtxFailure(InvalidArgumentError("invalid regex pattern '" + pattern + "': " + re->error()));
    return nullptr;
  }
  return re;
}

class RegexFullMatchKernel : public OpKernel {
 public:
  explicit RegexFullMatchKernel(const OpKernelConstruction& c) {
    std::string pattern;
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("pattern", &pattern));
    re_ = CompilePattern(c, pattern);
  }
  Status Compute(OpKernelContext* ctx) override {
    const Tensor& in = ctx->input(0);
    CKPT_RETURN_IF_ERROR(CheckStringTensor(in, "input"));
    CKPT_ASSIGN_OR_RETURN(Tensor * out,
                          ctx->allocate_output_uninitialized(0, DataType::kBool, in.shape()));
    for (int64_t i = 0; i < in.num_elements(); ++i) {
      out->data<bool>()[i] = RE2::FullMatch(in.strings()[i], *re_);
    }
    return Status::OK();
  }

 private:
  std::unique_ptr<RE2> re_;
};

// RE2::Replace (first match) or RE2::GlobalReplace (every non-overlapping match) with the
// rewrite string (\0..\9 name groups, \\ a backslash). As in TF the rewrite is not validated:
// one naming a group the pattern lacks leaves the input unchanged.
class RegexReplaceKernel : public OpKernel {
 public:
  explicit RegexReplaceKernel(const OpKernelConstruction& c) {
    std::string pattern;
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("pattern", &pattern));
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("rewrite", &rewrite_));
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("replace_global", &global_));
    re_ = CompilePattern(c, pattern);
  }
  Status Compute(OpKernelContext* ctx) override {
    const Tensor& in = ctx->input(0);
    CKPT_RETURN_IF_ERROR(CheckStringTensor(in, "input"));
    CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output(0, DataType::kString, in.shape()));
    for (int64_t i = 0; i < in.num_elements(); ++i) {
      std::string s = in.strings()[i];
      if (global_) {
        RE2::GlobalReplace(&s, *re_, rewrite_);
      } else {
        RE2::Replace(&s, *re_, rewrite_);
      }
      out->strings()[i] = std::move(s);
    }
    return Status::OK();
  }

 private:
  std::unique_ptr<RE2> re_;
  std::string rewrite_;
  bool global_ = true;
};

// ---- StringLower ----------------------------------------------------------------------------
// encoding "" lowercases the ASCII letters of every byte (as absl::AsciiStrToLower). "utf-8"
// is ICU's UnicodeString(text, "UTF-8").toLower() in the root locale, as TF runs it:
//   - the text ends at its first NUL byte (TF passes the element as a C string);
//   - each maximal ill-formed subsequence of bytes becomes U+FFFD;
//   - full lowercase mappings (U+0130 -> "i\u0307") and Greek final sigma (U+03A3 -> U+03C2
//     at the end of a word, by the Unicode Final_Sigma rule).
// Covered code points: ASCII, Latin-1 Supplement, Latin Extended-A, Latin Extended-B from
// U+0200, IPA extensions, spacing modifiers and combining diacritics, Greek and Coptic,
// Cyrillic and its supplement, Latin Extended Additional, general punctuation, halfwidth and
// fullwidth forms, specials (U+FFFD), and the blocks of scripts and symbols that have no case
// (CJK, kana, Hangul, Hebrew, Arabic, Indic, Thai, emoji, ...). Other code points (Armenian,
// Georgian, Greek Extended, Latin Extended-B below U+0200, Glagolitic, Deseret, enclosed and
// Roman-numeral letters, ...) fail with Unimplemented naming the code point rather than risk
// a result that differs from TensorFlow's.

// How a code point takes part in the Final_Sigma context (Unicode's Cased and Case_Ignorable
// properties; ICU tests Case_Ignorable first). kUnclassified: a caseless-block code point
// whose properties the tables below do not record.
enum class CaseClass : uint8_t { kNone, kCased, kIgnorable, kUnclassified };

struct LowerResult {
  bool covered = false;
  char32_t lower = 0;
  CaseClass cls = CaseClass::kNone;
};

bool In(char32_t c, char32_t lo, char32_t hi) { return c >= lo && c <= hi; }

// Lowercase of the even (upper) member of an upper/lower pair starting at an even code point.
char32_t EvenPair(char32_t c) { return (c % 2 == 0) ? c + 1 : c; }
char32_t OddPair(char32_t c) { return (c % 2 == 1) ? c + 1 : c; }

LowerResult Covered(char32_t lower, CaseClass cls) { return {true, lower, cls}; }

LowerResult LowerAscii(char32_t c) {
  if (In(c, 'A', 'Z')) return Covered(c + 32, CaseClass::kCased);
  if (In(c, 'a', 'z')) return Covered(c, CaseClass::kCased);
  if (c == '\'' || c == '.' || c == ':' || c == '^' || c == '`') {
    return Covered(c, CaseClass::kIgnorable);
  }
  return Covered(c, CaseClass::kNone);
}

LowerResult LowerLatin1(char32_t c) {  // U+0080..U+00FF
  if (In(c, 0xC0, 0xDE) && c != 0xD7) return Covered(c + 32, CaseClass::kCased);
  if ((In(c, 0xDF, 0xFF) && c != 0xF7) || c == 0xAA || c == 0xB5 || c == 0xBA) {
    return Covered(c, CaseClass::kCased);
  }
  if (c == 0xA8 || c == 0xAD || c == 0xAF || c == 0xB4 || c == 0xB7 || c == 0xB8) {
    return Covered(c, CaseClass::kIgnorable);
  }
  return Covered(c, CaseClass::kNone);
}

LowerResult LowerLatinExtA(char32_t c) {  // U+0100..U+017F (U+0130 is handled by the caller)
  char32_t l = c;
  if (In(c, 0x100, 0x12F) || In(c, 0x132, 0x137) || In(c, 0x14A, 0x177)) {
    l = EvenPair(c);
  } else if (In(c, 0x139, 0x148) || In(c, 0x179, 0x17E)) {
    l = OddPair(c);
  } else if (c == 0x178) {
    l = 0xFF;
  }
  return Covered(l, CaseClass::kCased);
}

LowerResult LowerLatinExtB(char32_t c) {  // U+0200..U+024F
  char32_t l = c;
  if (In(c, 0x200, 0x21F) || In(c, 0x222, 0x233) || In(c, 0x246, 0x24F)) {
    l = EvenPair(c);
  } else {
    switch (c) {
      case 0x220: l = 0x19E; break;
      case 0x23A: l = 0x2C65; break;
      case 0x23B: l = 0x23C; break;
      case 0x23D: l = 0x19A; break;
      case 0x23E: l = 0x2C66; break;
      case 0x241: l = 0x242; break;
      case 0x243: l = 0x180; break;
      case 0x244: l = 0x289; break;
      case 0x245: l = 0x28C; break;
      default: break;
    }
  }
  return Covered(l, CaseClass::kCased);
}

LowerResult LowerGreek(char32_t c) {  // U+0370..U+03FF (U+03A3 is handled by the caller)
  switch (c) {
    case 0x370:
    case 0x372:
    case 0x376: return Covered(c + 1, CaseClass::kCased);
    case 0x374:
    case 0x375:
    case 0x37A:
    case 0x384:
    case 0x385:
    case 0x387: return Covered(c, CaseClass::kIgnorable);
    case 0x37E:
    case 0x3F6:
    case 0x378:
    case 0x379:
    case 0x38B:
    case 0x38D:
    case 0x3A2: return Covered(c, CaseClass::kNone);
    case 0x37F: return Covered(0x3F3, CaseClass::kCased);
    case 0x386: return Covered(0x3AC, CaseClass::kCased);
    case 0x388:
    case 0x389:
    case 0x38A: return Covered(c + 37, CaseClass::kCased);
    case 0x38C: return Covered(0x3CC, CaseClass::kCased);
    case 0x38E:
    case 0x38F: return Covered(c + 63, CaseClass::kCased);
    case 0x3CF: return Covered(0x3D7, CaseClass::kCased);
    case 0x3F4: return Covered(0x3B8, CaseClass::kCased);
    case 0x3F7: return Covered(0x3F8, CaseClass::kCased);
    case 0x3F9: return Covered(0x3F2, CaseClass::kCased);
    case 0x3FA: return Covered(0x3FB, CaseClass::kCased);
    case 0x3FD:
    case 0x3FE:
    case 0x3FF: return Covered(c - 0x182, CaseClass::kCased);
    default: break;
  }
  if (In(c, 0x380, 0x383)) return Covered(c, CaseClass::kNone);
  if (In(c, 0x391, 0x3AB)) return Covered(c + 0x20, CaseClass::kCased);
  if (In(c, 0x3D8, 0x3EF)) return Covered(EvenPair(c), CaseClass::kCased);
  return Covered(c, CaseClass::kCased);
}

LowerResult LowerCyrillic(char32_t c) {  // U+0400..U+052F
  if (In(c, 0x400, 0x40F)) return Covered(c + 0x50, CaseClass::kCased);
  if (In(c, 0x410, 0x42F)) return Covered(c + 0x20, CaseClass::kCased);
  if (c == 0x482) return Covered(c, CaseClass::kNone);
  if (In(c, 0x483, 0x489)) return Covered(c, CaseClass::kIgnorable);
  if (c == 0x4C0) return Covered(0x4CF, CaseClass::kCased);
  if (In(c, 0x460, 0x481) || In(c, 0x48A, 0x4BF) || In(c, 0x4D0, 0x52F)) {
    return Covered(EvenPair(c), CaseClass::kCased);
  }
  if (In(c, 0x4C1, 0x4CE)) return Covered(OddPair(c), CaseClass::kCased);
  return Covered(c, CaseClass::kCased);
}

LowerResult LowerLatinExtAdditional(char32_t c) {  // U+1E00..U+1EFF
  if (c == 0x1E9E) return Covered(0xDF, CaseClass::kCased);
  if (In(c, 0x1E00, 0x1E95) || In(c, 0x1EA0, 0x1EFF)) {
    return Covered(EvenPair(c), CaseClass::kCased);
  }
  return Covered(c, CaseClass::kCased);
}

LowerResult LowerPunctuation(char32_t c) {  // U+2000..U+206F
  if (In(c, 0x200B, 0x200F) || c == 0x2018 || c == 0x2019 || c == 0x2024 || c == 0x2027 ||
      In(c, 0x202A, 0x202E) || In(c, 0x2060, 0x2064) || In(c, 0x2066, 0x206F)) {
    return Covered(c, CaseClass::kIgnorable);
  }
  return Covered(c, CaseClass::kNone);
}

LowerResult LowerFullwidth(char32_t c) {  // U+FF00..U+FFFF
  if (In(c, 0xFF21, 0xFF3A)) return Covered(c + 0x20, CaseClass::kCased);
  if (In(c, 0xFF41, 0xFF5A)) return Covered(c, CaseClass::kCased);
  if (c == 0xFF07 || c == 0xFF0E || c == 0xFF1A || c == 0xFF3E || c == 0xFF40 || c == 0xFF70 ||
      c == 0xFF9E || c == 0xFF9F || c == 0xFFE3 || In(c, 0xFFF9, 0xFFFB)) {
    return Covered(c, CaseClass::kIgnorable);
  }
  return Covered(c, CaseClass::kNone);
}

// Blocks of scripts and symbols without case: lowercase is the identity.
bool IsCaselessBlock(char32_t c) {
  static constexpr char32_t kRanges[][2] = {
      {0x0590, 0x07BF},   {0x0900, 0x109F},   {0x1100, 0x11FF}, {0x2070, 0x20FF}, {0x2190, 0x245F},
      {0x2500, 0x2BFF},   {0x2E00, 0x2FDF},   {0x3000, 0x33FF}, {0x3400, 0x4DBF}, {0x4DC0, 0x9FFF},
      {0xA000, 0xA4CF},   {0xAC00, 0xD7AF},   {0xF900, 0xFAFF}, {0xFB50, 0xFDFF}, {0xFE00, 0xFEFF},
      {0x1F000, 0x1FAFF}, {0x20000, 0x3FFFF},
  };
  for (const auto& r : kRanges) {
    if (In(c, r[0], r[1])) return true;
  }
  return false;
}

LowerResult LowerCodePoint(char32_t c) {
  if (c < 0x80) return LowerAscii(c);
  if (c < 0x100) return LowerLatin1(c);
  if (c < 0x180) return LowerLatinExtA(c);
  if (In(c, 0x200, 0x24F)) return LowerLatinExtB(c);
  if (In(c, 0x250, 0x2AF)) return Covered(c, CaseClass::kCased);  // IPA: all lowercase
  if (In(c, 0x2B0, 0x36F)) return Covered(c, CaseClass::kIgnorable);
  if (In(c, 0x370, 0x3FF)) return LowerGreek(c);
  if (In(c, 0x400, 0x52F)) return LowerCyrillic(c);
  if (In(c, 0x1E00, 0x1EFF)) return LowerLatinExtAdditional(c);
  if (In(c, 0x2000, 0x206F)) return LowerPunctuation(c);
  if (In(c, 0xFF00, 0xFFFF)) return LowerFullwidth(c);
  if (IsCaselessBlock(c)) return Covered(c, CaseClass::kUnclassified);
  return {};
}

// Decodes UTF-8 as ICU does: each maximal subpart of an ill-formed sequence is one U+FFFD.
std::vector<char32_t> DecodeUtf8(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t b0 = static_cast<uint8_t>(s[i]);
    if (b0 < 0x80) {
      out.push_back(b0);
      ++i;
      continue;
    }
    int need = 0;
    uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    char32_t cp = 0;
    if (In(b0, 0xC2, 0xDF)) {
      need = 1;
      cp = b0 & 0x1F;
    } else if (In(b0, 0xE0, 0xEF)) {
      need = 2;
      cp = b0 & 0x0F;
      if (b0 == 0xE0) lo = 0xA0;
      if (b0 == 0xED) hi = 0x9F;
    } else if (In(b0, 0xF0, 0xF4)) {
      need = 3;
      cp = b0 & 0x07;
      if (b0 == 0xF0) lo = 0x90;
      if (b0 == 0xF4) hi = 0x8F;
    } else {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    size_t j = i + 1;
    int got = 0;
    for (; got < need && j < s.size(); ++got, ++j) {
      const uint8_t b = static_cast<uint8_t>(s[j]);
      const uint8_t l = got == 0 ? lo : 0x80, h = got == 0 ? hi : 0xBF;
      if (b < l || b > h) break;
      cp = (cp << 6) | (b & 0x3F);
    }
    out.push_back(got == need ? cp : 0xFFFD);
    i = j;
  }
  return out;
}

std::string CodePointName(char32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "U+%04X", static_cast<unsigned>(c));
  return buf;
}

// Whether a cased letter is reached from position `i` (exclusive) stepping by `step` over
// case-ignorable code points (Unicode's Final_Sigma context). Unimplemented when the first
// code point that is not ignorable is one whose properties are not recorded.
StatusOr<bool> CasedLetterBeside(const std::vector<char32_t>& cps, size_t i, int step) {
  for (int64_t k = static_cast<int64_t>(i) + step; k >= 0 && k < static_cast<int64_t>(cps.size());
       k += step) {
    const char32_t c = cps[k];
    if (c == 0x3A3 || c == 0x130) return true;  // handled apart from the tables; both cased
    const LowerResult r = LowerCodePoint(c);
    if (!r.covered || r.cls == CaseClass::kUnclassified) {
      return UnimplementedError("StringLower (utf-8): the Greek final-sigma rule next to " +
                                CodePointName(c) + " is not implemented");
    }
    if (r.cls == CaseClass::kIgnorable) continue;
    return r.cls == CaseClass::kCased;
  }
  return false;
}

Status LowerUtf8(const std::string& text, std::string* out) {
  const std::string_view s(text.c_str());  // up to the first NUL, as TF's ICU call
  const std::vector<char32_t> cps = DecodeUtf8(s);
  out->clear();
  out->reserve(s.size());
  for (size_t i = 0; i < cps.size(); ++i) {
    const char32_t c = cps[i];
    if (c == 0x130) {  // LATIN CAPITAL LETTER I WITH DOT ABOVE: "i" + COMBINING DOT ABOVE
      AppendUtf8('i', out);
      AppendUtf8(0x307, out);
      continue;
    }
    if (c == 0x3A3) {  // GREEK CAPITAL SIGMA: final form at the end of a word
      CKPT_ASSIGN_OR_RETURN(bool before, CasedLetterBeside(cps, i, -1));
      bool final_form = false;
      if (before) {
        CKPT_ASSIGN_OR_RETURN(bool after, CasedLetterBeside(cps, i, +1));
        final_form = !after;
      }
      AppendUtf8(final_form ? 0x3C2 : 0x3C3, out);
      continue;
    }
    const LowerResult r = LowerCodePoint(c);
    if (!r.covered) {
      return UnimplementedError("StringLower (utf-8): lowercasing " + CodePointName(c) +
                                " is not implemented (covered: Latin, Greek, Cyrillic and "
                                "scripts without case)");
    }
    AppendUtf8(r.lower, out);
  }
  return Status::OK();
}

class StringLowerKernel : public OpKernel {
 public:
  explicit StringLowerKernel(const OpKernelConstruction& c) {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("encoding", &encoding_));
    if (!encoding_.empty() && encoding_ != "utf-8") {
      c.CtxFailure(InvalidArgumentError("only utf-8 or '' (no encoding) is supported, got '" +
                                        encoding_ + "'"));
    }
  }
  Status Compute(OpKernelContext* ctx) override {
    const Tensor& in = ctx->input(0);
    CKPT_RETURN_IF_ERROR(CheckStringTensor(in, "input"));
    CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output(0, DataType::kString, in.shape()));
    for (int64_t i = 0; i < in.num_elements(); ++i) {
      const std::string& s = in.strings()[i];
      std::string& o = out->strings()[i];
      if (encoding_.empty()) {
        o = s;
        for (char& ch : o) {
          if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
        }
      } else {
        CKPT_RETURN_IF_ERROR(LowerUtf8(s, &o));
      }
    }
    return Status::OK();
  }

 private:
  std::string encoding_;
};

// ---- StringSplitV2 --------------------------------------------------------------------------
bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Calls emit(token) for each token of Python's str.split(sep, maxsplit) as TF's SplitV2 has
// it: an empty sep splits on runs of ASCII whitespace and drops leading ones (after `maxsplit`
// splits the rest, from the next token on, is one token); maxsplit 0 gives the whole string;
// a non-empty sep splits on each occurrence, keeping empty tokens.
template <typename Emit>
void SplitV2(std::string_view text, std::string_view sep, int maxsplit, Emit emit) {
  if (maxsplit == 0) {
    emit(text);
    return;
  }
  int64_t splits = 0;
  if (sep.empty()) {
    size_t i = 0;
    while (i < text.size() && IsAsciiSpace(text[i])) ++i;
    while (i < text.size()) {
      size_t j = i;
      while (j < text.size() && !IsAsciiSpace(text[j])) ++j;
      emit(text.substr(i, j - i));
      while (j < text.size() && IsAsciiSpace(text[j])) ++j;
      i = j;
      if (maxsplit > 0 && ++splits == maxsplit) {
        emit(text.substr(i));
        return;
      }
    }
    return;
  }
  size_t start = 0;
  for (size_t p = text.find(sep, start); p != std::string_view::npos; p = text.find(sep, start)) {
    emit(text.substr(start, p - start));
    start = p + sep.size();
    if (maxsplit > 0 && ++splits == maxsplit) break;
  }
  emit(text.substr(start));
}

class StringSplitV2Kernel : public OpKernel {
 public:
  explicit StringSplitV2Kernel(const OpKernelConstruction& c) {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("maxsplit", &maxsplit_));
  }
  Status Compute(OpKernelContext* ctx) override {
    const Tensor& in = ctx->input(0);
    const Tensor& sep_t = ctx->input(1);
    CKPT_RETURN_IF_ERROR(CheckStringTensor(in, "input"));
    CKPT_RETURN_IF_ERROR(CheckStringTensor(sep_t, "sep"));
    if (in.shape().rank() != 1) {
      return InvalidArgumentError("input must be a vector, got shape: " + in.shape().DebugString());
    }
    if (sep_t.shape().rank() != 0) {
      return InvalidArgumentError("sep must be a scalar, got shape: " +
                                  sep_t.shape().DebugString());
    }
    const std::string_view sep = sep_t.strings()[0];
    const int64_t batch = in.shape().dim(0);
    // Counts first, so the outputs are allocated (and charged to the run) before any token is
    // copied.
    int64_t total = 0, widest = 0;
    for (int64_t b = 0; b < batch; ++b) {
      int64_t n = 0;
      SplitV2(in.strings()[b], sep, maxsplit_, [&](std::string_view) { ++n; });
      total += n;
      widest = std::max(widest, n);
    }
    CKPT_ASSIGN_OR_RETURN(Tensor * indices,
                          ctx->allocate_output_uninitialized(0, DataType::kInt64, {total, 2}));
    CKPT_ASSIGN_OR_RETURN(Tensor * values,
                          ctx->allocate_output(1, DataType::kString, TensorShape{total}));
    CKPT_ASSIGN_OR_RETURN(Tensor * shape,
                          ctx->allocate_output_uninitialized(2, DataType::kInt64, {2}));
    int64_t* idx = indices->data<int64_t>();
    std::string* vals = values->strings();
    int64_t k = 0;
    for (int64_t b = 0; b < batch; ++b) {
      int64_t j = 0;
      SplitV2(in.strings()[b], sep, maxsplit_, [&](std::string_view token) {
        idx[2 * k] = b;
        idx[2 * k + 1] = j++;
        vals[k++].assign(token);
      });
    }
    shape->data<int64_t>()[0] = batch;
    shape->data<int64_t>()[1] = widest;
    return Status::OK();
  }

 private:
  int maxsplit_ = -1;  // an int, as TF reads the attr
};

}  // namespace

void RegisterStringKernels(KernelRegistry* r) {
  r->Register("StringJoin", MakeKernel<StringJoinKernel>());
  r->Register("StaticRegexFullMatch", MakeKernel<RegexFullMatchKernel>());
  r->Register("StaticRegexReplace", MakeKernel<RegexReplaceKernel>());
  r->Register("StringLower", MakeKernel<StringLowerKernel>());
  r->Register("StringSplitV2", MakeKernel<StringSplitV2Kernel>());
}

}  // namespace ckpt
