#include "eval/verdict_reader.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace gavel::eval {
namespace {

using Kind = ReadVerdict::Kind;

ReadVerdict read(const VerdictReader& reader, const Json& value) { return reader.read(&value); }

TEST(VerdictReader, ArenaLabelsFoldFiveLevelsToThree) {
    const VerdictReader r(LabelScheme::ab, {});
    EXPECT_EQ(read(r, "A>B").verdict, Verdict::a_better);
    EXPECT_EQ(read(r, "A>>B").verdict, Verdict::a_better);
    EXPECT_EQ(read(r, "A=B").verdict, Verdict::tie);
    EXPECT_EQ(read(r, "B>A").verdict, Verdict::b_better);
    EXPECT_EQ(read(r, "B>>A").verdict, Verdict::b_better);
    EXPECT_EQ(read(r, "parse_failed").kind, Kind::failed);
    EXPECT_EQ(r.read(nullptr).kind, Kind::missing);
    EXPECT_EQ(read(r, nullptr).kind, Kind::missing);
}

TEST(VerdictReader, UnknownValuesAreReportedAsWritten) {
    const VerdictReader r(LabelScheme::ab, {});
    // JinaJudge's files write class 0 as "A<B": unknown unless mapped, never guessed.
    const ReadVerdict v = read(r, "A<B");
    EXPECT_EQ(v.kind, Kind::unknown);
    EXPECT_EQ(v.raw, "A<B");
    EXPECT_EQ(read(r, 1).kind, Kind::unknown);  // numbers need a numeric scheme
    EXPECT_EQ(read(r, 1).raw, "1");
    EXPECT_EQ(read(r, "a>b").kind, Kind::unknown);
    EXPECT_EQ(read(r, true).kind, Kind::unknown);
}

TEST(VerdictReader, ZeroOneTwoIsJinaJudgesClassOrder) {
    const VerdictReader r(LabelScheme::zero_one_two, {});
    EXPECT_EQ(read(r, 0).verdict, Verdict::a_better);
    EXPECT_EQ(read(r, 1).verdict, Verdict::tie);
    EXPECT_EQ(read(r, 2).verdict, Verdict::b_better);
    EXPECT_EQ(read(r, "2").verdict, Verdict::b_better);
    EXPECT_EQ(read(r, 2.0).verdict, Verdict::b_better);
    EXPECT_EQ(read(r, 2.5).kind, Kind::unknown);
    EXPECT_EQ(read(r, 3).kind, Kind::unknown);
    EXPECT_EQ(read(r, "tie").kind, Kind::unknown);
    EXPECT_EQ(read(r, "A>B").verdict, Verdict::a_better);  // strings stay readable
}

TEST(VerdictReader, OneTwoTieIsPandaLMsAndLLMBarsConvention) {
    const VerdictReader r(LabelScheme::one_two_tie, {});
    EXPECT_EQ(read(r, 1).verdict, Verdict::a_better);
    EXPECT_EQ(read(r, 2).verdict, Verdict::b_better);
    EXPECT_EQ(read(r, 0).verdict, Verdict::tie);
    EXPECT_EQ(read(r, "Tie").verdict, Verdict::tie);
    EXPECT_EQ(read(r, " tie ").verdict, Verdict::tie);
    EXPECT_EQ(read(r, "1").verdict, Verdict::a_better);
    const ReadVerdict garbage = read(r, "garbage");
    EXPECT_EQ(garbage.kind, Kind::unknown);
    EXPECT_EQ(garbage.raw, "garbage");
}

TEST(VerdictReader, LabelMapComesFirst) {
    const VerdictReader r(LabelScheme::ab, {{"A<B", "A>B"}, {"garbage", "parse_failed"}, {"7", "B>A"}});
    EXPECT_EQ(read(r, "A<B").verdict, Verdict::a_better);
    EXPECT_EQ(read(r, "garbage").kind, Kind::failed);
    EXPECT_EQ(read(r, 7).verdict, Verdict::b_better);
    EXPECT_THROW(VerdictReader(LabelScheme::ab, {{"x", "better"}}), Error);
}

TEST(VerdictReader, LabelMappingSplitsWhereTheTargetIsValid) {
    EXPECT_EQ(parse_label_mapping("A<B=A>B"), std::make_pair(std::string("A<B"), std::string("A>B")));
    EXPECT_EQ(parse_label_mapping("A=B=B>A"), std::make_pair(std::string("A=B"), std::string("B>A")));
    EXPECT_EQ(parse_label_mapping("tie=A=B"), std::make_pair(std::string("tie"), std::string("A=B")));
    EXPECT_EQ(parse_label_mapping("garbage=parse_failed"), std::make_pair(std::string("garbage"), std::string("parse_failed")));
    EXPECT_THROW(parse_label_mapping("A<B"), Error);
    EXPECT_THROW(parse_label_mapping("x=better"), Error);
    EXPECT_THROW(parse_label_mapping("=A>B"), Error);
}

TEST(VerdictReader, SchemeNames) {
    EXPECT_EQ(parse_label_scheme("12tie"), LabelScheme::one_two_tie);
    EXPECT_EQ(label_scheme_name(parse_label_scheme("012")), "012");
    EXPECT_THROW(parse_label_scheme("abc"), Error);
}

TEST(FindPath, ReachesIntoObjectsAndArrays) {
    const Json record = Json::parse(R"({"verdict": "A>B", "judge": {"model": "m"}, "games": [{"verdict": "B>A"}, {"v": 1}]})");
    EXPECT_EQ(*find_path(record, "verdict"), "A>B");
    EXPECT_EQ(*find_path(record, "judge.model"), "m");
    EXPECT_EQ(*find_path(record, "games.0.verdict"), "B>A");
    EXPECT_EQ(find_path(record, "games.2.verdict"), nullptr);
    EXPECT_EQ(find_path(record, "games.x"), nullptr);
    EXPECT_EQ(find_path(record, "verdict.deeper"), nullptr);
    EXPECT_EQ(find_path(record, "absent"), nullptr);
}

}  // namespace
}  // namespace gavel::eval
