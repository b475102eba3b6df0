// Helpers shared by the tests: a private temporary folder per test, the message of an error, and
// hand-built safetensors bytes for the corrupt files no writer would produce. Header-only and std-only, so
// test_cli (which links only gavel_core) can use it too.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "core/error.hpp"

namespace gavel::testing {

// A fresh folder named after the running test, removed at the end of the test.
class ScratchDir {
public:
    ScratchDir() {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        std::string name = std::string(info->test_suite_name()) + "." + info->name();
        for (char& c : name)
            if (c == '/') c = '_';
        name.insert(0, "gavel-");
        name += '-';
        name += std::to_string(::getpid());
        path_ = std::filesystem::path(::testing::TempDir()) / name;
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

// 8-byte little-endian length, then `header` verbatim, then `data`.
inline std::string raw_safetensors(const std::string& header, const std::string& data = "") {
    std::string out(8, '\0');
    uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) out[i] = char(n >> (8 * i));
    return out + header + data;
}

// Like raw_safetensors but with a length prefix that need not match the header.
inline std::string raw_safetensors_declaring(uint64_t declared_length, const std::string& rest) {
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[i] = char(declared_length >> (8 * i));
    return out + rest;
}

inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
}

inline std::string read_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The message of the gavel::Error that `f` throws, or "(no error)".
template <typename F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

// One corrupt safetensors file and the words its error message must contain.
struct CorruptSafetensorsCase {
    const char* name;
    std::string bytes;
    std::string expected;  // a substring of the message, after "FILE: "
};

inline std::vector<CorruptSafetensorsCase> corrupt_safetensors_cases() {
    const std::string w = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    return {
        {"ShorterThanLengthPrefix", std::string("\x10\x00\x00", 3), "truncated: 3 bytes"},
        {"ShorterThanHeader", raw_safetensors(w).substr(0, 20),
         "header length 54 is beyond the end of the file (12 bytes after the length prefix"},
        {"HeaderLengthAbsurd", raw_safetensors_declaring(uint64_t(1) << 62, "{}"),
         "header length 4611686018427387904 is beyond the 100000000-byte limit"},
        {"HeaderNotJson", raw_safetensors("{\"w\": nope}"), "header: invalid JSON at byte"},
        {"HeaderNotObject", raw_safetensors("[1, 2]"), "header is not a JSON object, got [1,2]"},
        {"UnknownDtype", raw_safetensors(R"({"w":{"dtype":"F4","shape":[2],"data_offsets":[0,1]}})", "x"),
         "tensor 'w': unknown dtype \"F4\" (known: F64 F32 F16 BF16 F8_E4M3 F8_E5M2 I64 I32 I16 I8 U8 BOOL)"},
        {"SizeMismatch", raw_safetensors(R"({"w":{"dtype":"BF16","shape":[3,2],"data_offsets":[0,10]}})",
                                         std::string(10, '\0')),
         "tensor 'w' needs 12 bytes (shape [3, 2] x BF16), data_offsets [0, 10] span 10"},
        {"EndBeforeBegin", raw_safetensors(R"({"w":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}})",
                                           std::string(4, '\0')),
         "tensor 'w': data_offsets [4, 0] end is before begin"},
        {"EndBeyondData", raw_safetensors(w, std::string(4, '\0')),
         "tensor 'w' ends at data byte 8, but the file holds only 4 bytes of data (truncated?)"},
        {"Overlap",
         raw_safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                         R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                         std::string(12, '\0')),
         "tensors 'a' [0, 8] and 'b' [4, 12] overlap"},
        {"DuplicateName",
         raw_safetensors(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                         R"("w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                         "xy"),
         "header: duplicate key 'w'"},
        {"NegativeShape", raw_safetensors(R"({"w":{"dtype":"U8","shape":[2,-1],"data_offsets":[0,0]}})"),
         "tensor 'w': shape entry 1 is -1, must not be negative"},
        {"FractionalShape", raw_safetensors(R"({"w":{"dtype":"U8","shape":[2.5],"data_offsets":[0,2]}})", "xy"),
         "tensor 'w': shape entry 0 is 2.5, must be a non-negative integer"},
        {"StringShape", raw_safetensors(R"({"w":{"dtype":"U8","shape":["2"],"data_offsets":[0,2]}})", "xy"),
         "tensor 'w': shape entry 0 is \"2\", must be a non-negative integer"},
        {"MissingOffsets", raw_safetensors(R"({"w":{"dtype":"U8","shape":[1]}})", "x"),
         "tensor 'w': missing field 'data_offsets'"},
        {"NegativeOffset", raw_safetensors(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}})", "x"),
         "tensor 'w': data_offsets must be [begin, end] with non-negative integers, got [-1,0]"},
        {"ShapeOverflow",
         raw_safetensors(R"({"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}})",
                         std::string(8, '\0')),
         "tensor 'w': shape [4294967296, 4294967296] x F64 does not fit in 64 bits"},
        {"NumberOverflow", raw_safetensors(R"({"w":{"dtype":"U8","shape":[1e999],"data_offsets":[0,1]}})", "x"),
         "header: invalid JSON: [json.exception.out_of_range.406] number overflow parsing '1e999'"},
        {"MetadataNotString", raw_safetensors(R"({"__metadata__":{"format":3}})"),
         "__metadata__ field 'format' must be a string, got 3"},
    };
}

}  // namespace gavel::testing
