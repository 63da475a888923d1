// The string kernels against hand-computed values: StringLower (ASCII and UTF-8),
// StaticRegexReplace / StaticRegexFullMatch (RE2), StringSplitV2 and string Equal, with their
// edge cases and the errors bad inputs give (tests/python/test_tf2_savedmodel.py compares them
// with TensorFlow).
#include <string>
#include <vector>

#include "graph/test_util.h"

namespace ckpt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testutil::OpError;
using testutil::OpOutput;
using testutil::RunOp;
using testutil::S;
using testutil::Strings;
using testutil::Values;

// ---- StringLower ---------------------------------------------------------------------------

TEST(StringOps, StringLowerAsciiLeavesOtherBytes) {
  Tensor out = OpOutput("StringLower",
                        {S({"Hello WORLD", "", "\xC3\x80Z", std::string("A\0B", 3)}, {2, 2})});
  EXPECT_EQ(out.shape(), TensorShape({2, 2}));
  EXPECT_THAT(Strings(out), ElementsAre("hello world", "", "\xC3\x80z", std::string("a\0b", 3)));
}

TEST(StringOps, StringLowerUtf8) {
  AttrMap utf8{{"encoding", AttrValue("utf-8")}};
  // Latin-1, Latin Extended-A (Ÿ -> ÿ, İ -> i + combining dot), Cyrillic, Greek with final
  // sigma, fullwidth letters, CJK unchanged.
  Tensor out =
      OpOutput("StringLower",
               {S({"ÀÉÎ Ÿ İ", "ПРИВЕТ Ёж", "ΣΑΣ Σ Α.Σ.Α Σ'Σ", "ＡＢｃ 漢字", ""}, {5})}, utf8);
  EXPECT_THAT(Strings(out),
              ElementsAre("àéî ÿ i\xCC\x87", "привет ёж", "σας σ α.σ.α σ'ς", "ａｂｃ 漢字", ""));
  // Ill-formed UTF-8: each maximal ill-formed subsequence becomes U+FFFD; text ends at NUL.
  Tensor bad = OpOutput("StringLower",
                        {S({"\xC3\x80\xFF\xFE"
                            "A",
                            "\xE0\xA0", "\xED\xA0\x80", std::string("A\0B", 3)},
                           {4})},
                        utf8);
  EXPECT_THAT(Strings(bad),
              ElementsAre("\xC3\xA0\xEF\xBF\xBD\xEF\xBF\xBD"
                          "a",
                          "\xEF\xBF\xBD", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", "a"));
}

TEST(StringOps, StringLowerRejectsWhatItDoesNotCover) {
  // Armenian capital AYB (U+0531): outside the covered blocks.
  Status s = OpError("StringLower", {S({"\xD4\xB1"}, {1})}, {{"encoding", AttrValue("utf-8")}});
  EXPECT_EQ(s.code(), StatusCode::kUnimplemented) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("U+0531"));
  Status enc = OpError("StringLower", {S({"a"}, {1})}, {{"encoding", AttrValue("latin1")}});
  EXPECT_EQ(enc.code(), StatusCode::kInvalidArgument) << enc.ToString();
  EXPECT_THAT(enc.message(), HasSubstr("only utf-8 or ''"));
}

// ---- regex ops -----------------------------------------------------------------------------

TEST(StringOps, StaticRegexReplaceGlobalAndFirst) {
  // Keras's lower_and_strip_punctuation pattern.
  const std::string punct = R"([!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\'])";
  Tensor out = OpOutput("StaticRegexReplace", {S({"hello, world! it's [ok]", "", "a\\b"}, {3})},
                        {{"pattern", AttrValue(punct)}, {"rewrite", AttrValue("")}});
  EXPECT_THAT(Strings(out), ElementsAre("hello world its ok", "", "ab"));
  AttrMap groups{{"pattern", AttrValue("(b)")}, {"rewrite", AttrValue("[\\1\\0]")}};
  EXPECT_THAT(Strings(OpOutput("StaticRegexReplace", {S({"abcb"}, {1})}, groups)),
              ElementsAre("a[bb]c[bb]"));
  groups["replace_global"] = AttrValue(false);
  EXPECT_THAT(Strings(OpOutput("StaticRegexReplace", {S({"abcb"}, {1})}, groups)),
              ElementsAre("a[bb]cb"));
  // RE2 empty matches: "a*" replaces "aaa" once and matches the empty string.
  EXPECT_THAT(Strings(OpOutput("StaticRegexReplace", {S({"aaa", ""}, {2})},
                               {{"pattern", AttrValue("a*")}, {"rewrite", AttrValue("X")}})),
              ElementsAre("X", "X"));
  // A rewrite naming a group the pattern lacks leaves the input unchanged (as TF).
  EXPECT_THAT(Strings(OpOutput("StaticRegexReplace", {S({"abc"}, {1})},
                               {{"pattern", AttrValue("(b)")}, {"rewrite", AttrValue("\\2")}})),
              ElementsAre("abc"));
}

TEST(StringOps, RegexPatternsRe2RejectsFailWhenBuilt) {
  Status s = OpError("StaticRegexReplace", {S({"x"}, {1})},
                     {{"pattern", AttrValue("(")}, {"rewrite", AttrValue("")}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("invalid regex pattern '('"));
  EXPECT_THAT(s.message(), HasSubstr("missing )"));
  // Backreferences are not RE2 syntax (they are what makes backtracking engines exponential).
  Status back =
      OpError("StaticRegexFullMatch", {S({"aa"}, {1})}, {{"pattern", AttrValue("(a)\\1")}});
  EXPECT_EQ(back.code(), StatusCode::kInvalidArgument) << back.ToString();
}

TEST(StringOps, StaticRegexFullMatchIsLinearOnHostilePatterns) {
  // (a+)+$ against a long run of a's and a final b: exponential for a backtracking engine.
  const std::string input = std::string(5000, 'a') + "b";
  Tensor out =
      OpOutput("StaticRegexFullMatch", {S({input, "aaa"}, {2})}, {{"pattern", AttrValue("(a+)+")}});
  ASSERT_EQ(out.num_elements(), 2);
  EXPECT_FALSE(out.data<bool>()[0]);
  EXPECT_TRUE(out.data<bool>()[1]);
}

TEST(StringOps, EqualAndNotEqualCompareStrings) {
  Tensor eq = OpOutput("Equal", {S({"a", "", "b"}, {3}), Tensor::StringScalar("")});
  EXPECT_THAT(Values<bool>(eq), ElementsAre(false, true, false));
  Tensor ne = OpOutput("NotEqual", {S({"a", "", "b"}, {3}), S({"a", "x", "c"}, {3})});
  EXPECT_THAT(Values<bool>(ne), ElementsAre(false, true, true));
}

// ---- StringSplitV2 -------------------------------------------------------------------------

struct Split {
  std::vector<int64_t> indices;
  std::vector<std::string> values;
  std::vector<int64_t> shape;
};

Split RunSplit(std::vector<std::string> in, std::string sep, int64_t maxsplit = -1) {
  const int64_t n = static_cast<int64_t>(in.size());
  auto r = RunOp("StringSplitV2", {S(std::move(in), {n}), Tensor::StringScalar(sep)},
                 {{"maxsplit", AttrValue(maxsplit)}}, 3);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  return {Values<int64_t>((*r)[0]), Strings((*r)[1]), Values<int64_t>((*r)[2])};
}

TEST(StringOps, StringSplitV2Whitespace) {
  Split s = RunSplit({"  the cat\tsat\n", "", "   ", "dog"}, "");
  EXPECT_THAT(s.values, ElementsAre("the", "cat", "sat", "dog"));
  EXPECT_THAT(s.indices, ElementsAre(0, 0, 0, 1, 0, 2, 3, 0));
  EXPECT_THAT(s.shape, ElementsAre(4, 3));
  // maxsplit: the rest after the last split, from the next token on, is one token (empty
  // when the string ends there, unlike Python's).
  Split m = RunSplit({"a  b c  ", "a"}, "", 1);
  EXPECT_THAT(m.values, ElementsAre("a", "b c  ", "a", ""));
  EXPECT_THAT(m.shape, ElementsAre(2, 2));
  // maxsplit 0: the whole string, even an empty one.
  Split z = RunSplit({" a b", ""}, "", 0);
  EXPECT_THAT(z.values, ElementsAre(" a b", ""));
}

TEST(StringOps, StringSplitV2Separator) {
  Split s = RunSplit({"1<>2<>3", "<><>4<>5<><>6<>", ""}, "<>");
  EXPECT_THAT(s.values, ElementsAre("1", "2", "3", "", "", "4", "5", "", "6", "", ""));
  EXPECT_THAT(s.shape, ElementsAre(3, 7));
  Split m = RunSplit({"a,b,c,d"}, ",", 2);
  EXPECT_THAT(m.values, ElementsAre("a", "b", "c,d"));
  Split empty = RunSplit({}, ",");
  EXPECT_TRUE(empty.values.empty());
  EXPECT_THAT(empty.shape, ElementsAre(0, 0));
}

TEST(StringOps, StringSplitV2RejectsBadShapes) {
  Status s = OpError("StringSplitV2", {S({"a"}, {1, 1}), Tensor::StringScalar(" ")}, {}, 3);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("input must be a vector"));
  Status sep = OpError("StringSplitV2", {S({"a"}, {1}), S({" ", ","}, {2})}, {}, 3);
  EXPECT_THAT(sep.message(), HasSubstr("sep must be a scalar"));
}

}  // namespace
}  // namespace ckpt
