#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/json.hpp"

namespace gavel {
namespace {

TEST(ParseJson, ErrorsNameTheSource) {
    try {
        parse_json("{\"a\": 1e999}", "config.json");
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("config.json: invalid JSON"), std::string::npos) << e.what();
    }
    try {
        parse_json("{\"a\": ", "pairs.jsonl:3");
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("pairs.jsonl:3: invalid JSON at byte"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace gavel
