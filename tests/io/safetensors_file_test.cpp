#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "core/error.hpp"
#include "io_test_support.hpp"
#include "io/safetensors_file.hpp"
#include "io/safetensors_writer.hpp"

namespace gavel {
namespace {

using testing::CorruptSafetensorsCase;
using testing::ScratchDir;

std::string safetensors_open_error(const std::filesystem::path& path) {
    return testing::error_of([&] { SafetensorsFile::open(path.string()); });
}

class CorruptSafetensors : public ::testing::TestWithParam<CorruptSafetensorsCase> {};

// Each corruption gets a one-line message that starts with the file and says what is wrong.
TEST_P(CorruptSafetensors, FailsWithMessageNamingFileAndValue) {
    ScratchDir dir;
    auto path = dir / "model.safetensors";
    testing::write_bytes(path, GetParam().bytes);
    std::string message = safetensors_open_error(path);
    EXPECT_EQ(message.rfind(path.string() + ": ", 0), 0u) << message;
    EXPECT_NE(message.find(GetParam().expected), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    // The pure parser agrees with the file reader.
    const auto& bytes = GetParam().bytes;
    EXPECT_THROW(parse_safetensors_header(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "x"), Error);
}

INSTANTIATE_TEST_SUITE_P(Each, CorruptSafetensors, ::testing::ValuesIn(testing::corrupt_safetensors_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(SafetensorsFile, MissingFileNamesThePath) {
    ScratchDir dir;
    std::string message = safetensors_open_error(dir / "absent.safetensors");
    EXPECT_NE(message.find("absent.safetensors: cannot open"), std::string::npos) << message;
}

// Every dtype of the format round-trips through the writer and the reader byte for byte.
TEST(SafetensorsFile, EveryDtypeRoundTrips) {
    ScratchDir dir;
    std::mt19937 rng(7);
    SafetensorsWriter writer;
    std::map<std::string, std::vector<uint8_t>> written;
    for (int i = 0; i <= int(DType::BOOL); ++i) {
        DType dtype = DType(i);
        std::vector<int64_t> shape = {3, 5};
        std::vector<uint8_t> bytes(15 * dtype_size(dtype));
        for (auto& b : bytes) b = uint8_t(rng());
        if (dtype == DType::BOOL)
            for (auto& b : bytes) b &= 1;
        std::string name = "t." + std::string(dtype_name(dtype));
        written[name] = bytes;
        writer.add(name, dtype, shape, bytes);
    }
    writer.add_zeros("scalar", DType::F32, {});
    writer.add_zeros("empty", DType::BF16, {0, 4});
    writer.set_metadata("format", "pt");
    writer.write(dir / "all.safetensors");

    auto file = SafetensorsFile::open((dir / "all.safetensors").string());
    EXPECT_EQ(file.metadata().at("format"), "pt");
    ASSERT_EQ(file.entries().size(), written.size() + 2);
    for (const auto& [name, bytes] : written) {
        const SafetensorsEntry* e = file.find(name);
        ASSERT_NE(e, nullptr) << name;
        EXPECT_EQ(dtype_name(e->dtype), name.substr(2));
        EXPECT_EQ(e->shape, (std::vector<int64_t>{3, 5}));
        EXPECT_TRUE(e->aligned) << name;
        TensorView v = file.view(*e);
        ASSERT_EQ(v.nbytes(), bytes.size());
        EXPECT_EQ(std::memcmp(v.data, bytes.data(), bytes.size()), 0) << name;
    }
    const SafetensorsEntry* scalar = file.find("scalar");
    ASSERT_NE(scalar, nullptr);
    EXPECT_TRUE(scalar->shape.empty());
    EXPECT_EQ(scalar->nbytes(), 4u);
    EXPECT_EQ(*file.view(*scalar).as<float>(), 0.0f);
    EXPECT_EQ(file.find("empty")->nbytes(), 0u);
    EXPECT_EQ(file.find("absent"), nullptr);
}

TEST(SafetensorsFile, FloatsAreEncodedInTheRequestedDtype) {
    ScratchDir dir;
    std::vector<float> values = {1.0f, -2.5f, 0.1f, 65504.0f};
    SafetensorsWriter writer;
    for (DType d : {DType::F64, DType::F32, DType::F16, DType::BF16}) writer.add_floats(std::string(dtype_name(d)), d, {4}, values);
    writer.write(dir / "floats.safetensors");
    auto file = SafetensorsFile::open((dir / "floats.safetensors").string());
    auto get = [&](const char* name, size_t i) -> double {
        TensorView v = file.view(*file.find(name));
        switch (v.dtype) {
            case DType::F64: return v.as<double>()[i];
            case DType::F32: return v.as<float>()[i];
            case DType::F16: return f16_to_f32(v.as<uint16_t>()[i]);
            default: return bf16_to_f32(v.as<uint16_t>()[i]);
        }
    };
    for (size_t i = 0; i < values.size(); ++i) {
        EXPECT_EQ(get("F32", i), values[i]);
        EXPECT_EQ(get("F64", i), double(values[i]));
        EXPECT_EQ(get("F16", i), f16_to_f32(f32_to_f16(values[i])));
        EXPECT_EQ(get("BF16", i), bf16_to_f32(f32_to_bf16(values[i])));
    }
    EXPECT_THROW(writer.add_floats("int", DType::I32, {4}, values), Error);
}

// The writer lays tensors out by decreasing element size so every one is aligned, and pads the
// header to 8 bytes, as the reference writer does.
TEST(SafetensorsFile, WriterAlignsEveryTensor) {
    ScratchDir dir;
    SafetensorsWriter writer;
    writer.add_zeros("a_byte", DType::U8, {3});
    writer.add_zeros("b_half", DType::BF16, {3});
    writer.add_zeros("c_double", DType::F64, {1});
    writer.add_zeros("d_float", DType::F32, {1});
    writer.write(dir / "a.safetensors");
    auto file = SafetensorsFile::open((dir / "a.safetensors").string());
    std::vector<std::string> order;
    for (const auto& e : file.entries()) {
        order.push_back(e.name);
        EXPECT_TRUE(e.aligned) << e.name;
        EXPECT_EQ(reinterpret_cast<uintptr_t>(file.view(e).data) % dtype_size(e.dtype), 0u) << e.name;
    }
    EXPECT_EQ(order, (std::vector<std::string>{"c_double", "d_float", "b_half", "a_byte"}));
}

// Unaligned data is legal in the format: it is read, and flagged.
TEST(SafetensorsFile, UnalignedTensorIsAcceptedAndFlagged) {
    std::string header = R"({"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                         R"("f":{"dtype":"F32","shape":[1],"data_offsets":[1,5]}})";
    header.append((8 - header.size() % 8) % 8, ' ');
    std::string bytes = testing::raw_safetensors(header, std::string(5, '\0'));
    auto parsed = parse_safetensors_header(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "x");
    ASSERT_EQ(parsed.entries.size(), 2u);
    EXPECT_TRUE(parsed.entries[0].aligned);
    EXPECT_FALSE(parsed.entries[1].aligned);
}

// Gaps between spans and zero-size tensors sharing an offset are not overlaps.
TEST(SafetensorsFile, GapsAndEmptyTensorsAreAccepted) {
    std::string bytes = testing::raw_safetensors(
        R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"e":{"dtype":"F32","shape":[0],"data_offsets":[1,1]},)"
        R"("b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}, "__metadata__": null})",
        "abcdefgh");
    auto parsed = parse_safetensors_header(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "x");
    EXPECT_EQ(parsed.entries.size(), 3u);
}

TEST(SafetensorsFile, WriterRejectsWrongByteCountAndDuplicates) {
    SafetensorsWriter writer;
    EXPECT_THROW(writer.add("w", DType::F32, {2}, std::vector<uint8_t>(7)), Error);
    writer.add_zeros("w", DType::F32, {2});
    EXPECT_THROW(writer.add_zeros("w", DType::F32, {2}), Error);
}

// A failed write leaves neither the target nor a temporary file behind.
TEST(SafetensorsFile, FailedWriteLeavesNothing) {
    ScratchDir dir;
    SafetensorsWriter writer;
    writer.add(TensorToWrite{"w", DType::F32, {4}, [](uint8_t*, uint64_t, size_t) { fail("generator broke"); }});
    EXPECT_THROW(writer.write(dir / "w.safetensors"), Error);
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace gavel
