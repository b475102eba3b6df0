#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "core/error.hpp"
#include "core/line_reader.hpp"

namespace gavel {
namespace {

std::string temp_path(const std::string& name) { return ::testing::TempDir() + name; }

TEST(LineReader, ReadsPlainAndGzipAlike) {
    std::string text = "first\r\nsecond\n\nlast-without-newline";
    std::string plain = temp_path("lines.txt"), gz = temp_path("lines.txt.gz");
    std::ofstream(plain, std::ios::binary) << text;
    gzFile f = gzopen(gz.c_str(), "wb");
    gzwrite(f, text.data(), unsigned(text.size()));
    gzclose(f);
    for (const auto& path : {plain, gz}) {
        LineReader r(path);
        std::string line;
        std::vector<std::string> lines;
        while (r.next(line)) lines.push_back(line);
        EXPECT_EQ(lines, (std::vector<std::string>{"first", "second", "", "last-without-newline"})) << path;
        EXPECT_EQ(r.line_number(), 4u);
    }
}

TEST(LineReader, LongLinesSurviveTheBuffer) {
    std::string path = temp_path("long.txt");
    std::string big(300000, 'x');
    std::ofstream(path) << big << "\nshort\n";
    LineReader r(path);
    std::string line;
    ASSERT_TRUE(r.next(line));
    EXPECT_EQ(line.size(), big.size());
    ASSERT_TRUE(r.next(line));
    EXPECT_EQ(line, "short");
    EXPECT_FALSE(r.next(line));
}

TEST(LineReader, MissingFileNamesThePath) {
    try {
        LineReader r(temp_path("does-not-exist.jsonl"));
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("does-not-exist.jsonl: cannot open"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace gavel
