#include <gtest/gtest.h>

#include <cstring>
#include <thread>

#include "core/error.hpp"
#include "io/checkpoint.hpp"
#include "io/safetensors_writer.hpp"
#include "io_test_support.hpp"

namespace gavel {
namespace {

using testing::error_of;
using testing::ScratchDir;

std::string checkpoint_open_error(const std::filesystem::path& path) {
    return error_of([&] { Checkpoint::open(path); });
}

// Tensors whose bytes encode their name, so a test can tell which file a view points into.
std::vector<TensorToWrite> named_tensors(int count, int64_t floats_each) {
    std::vector<TensorToWrite> out;
    for (int i = 0; i < count; ++i) {
        std::string name = "layers." + std::to_string(i) + ".weight";
        out.push_back({name, DType::F32, {floats_each}, [i](uint8_t* dst, uint64_t offset, size_t n) {
                           for (size_t k = 0; k < n; k += 4) {
                               float v = float(i) + float((offset + k) / 4) / 1000.0f;
                               std::memcpy(dst + k, &v, 4);
                           }
                       }});
    }
    return out;
}

void write_text(const std::filesystem::path& path, const std::string& text) { testing::write_bytes(path, text); }

TEST(Checkpoint, SingleFileFolder) {
    ScratchDir dir;
    auto written = write_safetensors_checkpoint(named_tensors(3, 4), dir.path(), 1u << 30);
    EXPECT_EQ(written, (std::vector<std::string>{"model.safetensors"}));
    for (const auto& path : {dir.path(), dir / "model.safetensors"}) {
        Checkpoint c = Checkpoint::open(path);
        EXPECT_FALSE(c.sharded());
        EXPECT_EQ(c.names(), (std::vector<std::string>{"layers.0.weight", "layers.1.weight", "layers.2.weight"}));
        EXPECT_TRUE(c.has("layers.1.weight"));
        EXPECT_FALSE(c.has("layers.3.weight"));
        EXPECT_EQ(c.tensor("layers.2.weight").as<float>()[3], 2.003f);
        EXPECT_EQ(c.shard_of("layers.2.weight"), "model.safetensors");
        EXPECT_EQ(c.parameter_count(), 12);
        EXPECT_EQ(c.byte_count(), 48u);
    }
}

TEST(Checkpoint, ShardedThroughTheIndex) {
    ScratchDir dir;
    // 16 bytes per tensor, 40-byte shards: two tensors per shard.
    auto written = write_safetensors_checkpoint(named_tensors(5, 4), dir.path(), 40);
    EXPECT_EQ(written, (std::vector<std::string>{"model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                                                 "model-00003-of-00003.safetensors", "model.safetensors.index.json"}));
    Checkpoint c = Checkpoint::open(dir.path());
    EXPECT_TRUE(c.sharded());
    EXPECT_EQ(c.path(), dir / "model.safetensors.index.json");
    EXPECT_EQ(c.size(), 5u);
    EXPECT_EQ(c.shard_names().size(), 3u);
    EXPECT_EQ(c.shard_of("layers.0.weight"), "model-00001-of-00003.safetensors");
    EXPECT_EQ(c.shard_of("layers.3.weight"), "model-00002-of-00003.safetensors");
    EXPECT_EQ(c.shard_of("layers.4.weight"), "model-00003-of-00003.safetensors");
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(c.tensor("layers." + std::to_string(i) + ".weight").as<float>()[1], float(i) + 0.001f);
    // The index file itself opens the same checkpoint.
    EXPECT_EQ(Checkpoint::open(dir / "model.safetensors.index.json").names(), c.names());
}

// The loader follows weight_map, whatever order the shards were filled in.
TEST(Checkpoint, IndexDecidesWhichShardHoldsWhat) {
    ScratchDir dir;
    SafetensorsWriter first, second;
    first.add_floats("z.last", DType::F32, {1}, std::vector<float>{1.0f});
    second.add_floats("a.first", DType::F32, {1}, std::vector<float>{2.0f});
    first.write(dir / "one.safetensors");
    second.write(dir / "two.safetensors");
    write_text(dir / "model.safetensors.index.json",
               R"({"metadata": {"total_size": 8}, "weight_map": {"a.first": "two.safetensors", "z.last": "one.safetensors"}})");
    Checkpoint c = Checkpoint::open(dir.path());
    EXPECT_EQ(c.tensor("a.first").as<float>()[0], 2.0f);
    EXPECT_EQ(c.tensor("z.last").as<float>()[0], 1.0f);
    EXPECT_EQ(c.shard_names(), (std::vector<std::string>{"one.safetensors", "two.safetensors"}));
}

class ShardedCorruption : public ::testing::Test {
protected:
    void SetUp() override { write_safetensors_checkpoint(named_tensors(4, 4), dir.path(), 40); }
    std::filesystem::path shard(int i) const { return dir / ("model-0000" + std::to_string(i) + "-of-00002.safetensors"); }
    void replace_in_index(const std::string& from, const std::string& to) {
        std::string text = testing::read_bytes(dir / "model.safetensors.index.json");
        auto at = text.find(from);
        ASSERT_NE(at, std::string::npos) << from;
        write_text(dir / "model.safetensors.index.json", text.replace(at, from.size(), to));
    }
    ScratchDir dir;
};

TEST_F(ShardedCorruption, MissingShard) {
    std::filesystem::remove(shard(2));
    EXPECT_EQ(checkpoint_open_error(dir.path()),
              (dir / "model.safetensors.index.json").string() +
                  ": shard 'model-00002-of-00002.safetensors' (holding tensor 'layers.2.weight' and maybe more) is "
                  "missing from " + dir.path().string());
}

TEST_F(ShardedCorruption, TensorListedButNotInShard) {
    SafetensorsWriter writer;
    for (auto& t : named_tensors(4, 4))
        if (t.name == "layers.2.weight") writer.add(t);
    writer.write(shard(2));  // layers.3 is gone from the shard, still in the index
    EXPECT_EQ(checkpoint_open_error(dir.path()),
              shard(2).string() +
                  ": tensor 'layers.3.weight' is listed in model.safetensors.index.json but is not in this shard");
}

TEST_F(ShardedCorruption, TensorInShardButNotListed) {
    write_text(dir / "model.safetensors.index.json",
               R"({"metadata": {"total_size": 48}, "weight_map": {)"
               R"("layers.0.weight": "model-00001-of-00002.safetensors", "layers.1.weight": "model-00001-of-00002.safetensors",)"
               R"("layers.2.weight": "model-00002-of-00002.safetensors"}})");
    EXPECT_EQ(checkpoint_open_error(dir.path()), shard(2).string() +
                                          ": tensor 'layers.3.weight' is not listed in model.safetensors.index.json "
                                          "(index and shards disagree)");
}

TEST_F(ShardedCorruption, TensorInTwoShards) {
    SafetensorsWriter writer;
    for (auto& t : named_tensors(4, 4))
        if (t.name != "layers.3.weight") writer.add(t);
    writer.write(shard(1));  // shard 1 now also holds layers.2, which the index puts in shard 2
    EXPECT_EQ(checkpoint_open_error(dir.path()),
              shard(1).string() +
                  ": tensor 'layers.2.weight' is also in this shard, but model.safetensors.index.json puts it in "
                  "'model-00002-of-00002.safetensors'");
}

TEST_F(ShardedCorruption, WrongTotalSize) {
    replace_in_index("\"total_size\": 64", "\"total_size\": 65");
    EXPECT_EQ(checkpoint_open_error(dir.path()), (dir / "model.safetensors.index.json").string() +
                                          ": metadata.total_size is 65 but the listed tensors hold 64 bytes");
}

TEST_F(ShardedCorruption, TotalSizeMayBeAbsent) {
    replace_in_index("\"total_size\": 64", "\"other\": 1");
    EXPECT_EQ(Checkpoint::open(dir.path()).size(), 4u);
}

TEST_F(ShardedCorruption, CorruptShardNamesTheShard) {
    testing::write_bytes(shard(1), "garbage");
    EXPECT_EQ(checkpoint_open_error(dir.path()), shard(1).string() +
                                          ": truncated: 7 bytes, a safetensors file starts with an 8-byte header length");
}

struct IndexCase {
    const char* name;
    std::string text;
    std::string expected;
};

class CorruptIndex : public ::testing::TestWithParam<IndexCase> {};

TEST_P(CorruptIndex, FailsNamingIndexAndValue) {
    ScratchDir dir;
    write_safetensors_checkpoint(named_tensors(1, 1), dir.path(), 1);  // single shard -> model.safetensors
    std::filesystem::rename(dir / "model.safetensors", dir / "s.safetensors");
    write_text(dir / "model.safetensors.index.json", GetParam().text);
    std::string message = checkpoint_open_error(dir.path());
    EXPECT_EQ(message.rfind((dir / "model.safetensors.index.json").string() + ": ", 0), 0u) << message;
    EXPECT_NE(message.find(GetParam().expected), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    Each, CorruptIndex,
    ::testing::Values(
        IndexCase{"NotJson", "{\"weight_map\": ", "invalid JSON at byte"},
        IndexCase{"NotObject", "[]", "expected a JSON object, got []"},
        IndexCase{"NumberOverflow", R"({"metadata": {"total_size": 1e400}, "weight_map": {}})",
                  "invalid JSON: [json.exception.out_of_range.406] number overflow parsing '1e400'"},
        IndexCase{"TooDeep", std::string(100, '[') + std::string(100, ']'), "JSON nested deeper than 32 levels"},
        IndexCase{"NoWeightMap", R"({"metadata": {}})", "missing field 'weight_map'"},
        IndexCase{"WeightMapNotObject", R"({"weight_map": ["s.safetensors"]})",
                  "field 'weight_map' must be an object, got [\"s.safetensors\"]"},
        IndexCase{"EmptyWeightMap", R"({"weight_map": {}})", "weight_map lists no tensors"},
        IndexCase{"ShardNotString", R"({"weight_map": {"layers.0.weight": 1}})",
                  "weight_map: tensor 'layers.0.weight' must map to a shard file name, got 1"},
        IndexCase{"ShardClimbsOut", R"({"weight_map": {"layers.0.weight": "../s.safetensors"}})",
                  "tensor 'layers.0.weight' names shard \"../s.safetensors\", which must be a file name inside"},
        IndexCase{"ShardAbsolute", R"({"weight_map": {"layers.0.weight": "/etc/passwd"}})",
                  "names shard \"/etc/passwd\""},
        IndexCase{"DuplicateTensor",
                  R"({"weight_map": {"layers.0.weight": "s.safetensors", "layers.0.weight": "s.safetensors"}})",
                  "duplicate key 'layers.0.weight' in 'weight_map'"},
        IndexCase{"TotalSizeNegative", R"({"metadata": {"total_size": -4}, "weight_map": {"layers.0.weight": "s.safetensors"}})",
                  "field 'metadata.total_size' must be a non-negative integer, got -4"},
        IndexCase{"TotalSizeString", R"({"metadata": {"total_size": "4"}, "weight_map": {"layers.0.weight": "s.safetensors"}})",
                  "field 'metadata.total_size' must be a non-negative integer, got \"4\""}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Checkpoint, FolderWithoutWeights) {
    ScratchDir dir;
    EXPECT_EQ(checkpoint_open_error(dir.path()),
              dir.path().string() + ": no model.safetensors or model.safetensors.index.json in this folder");
    EXPECT_EQ(checkpoint_open_error(dir / "absent"), (dir / "absent").string() + ": no such file or folder");
}

TEST(Checkpoint, MissingTensorNamesTensorAndCheckpoint) {
    ScratchDir dir;
    write_safetensors_checkpoint(named_tensors(1, 1), dir.path(), 1u << 20);
    Checkpoint c = Checkpoint::open(dir.path());
    EXPECT_EQ(error_of([&] { c.tensor("lm_head.weight"); }),
              (dir / "model.safetensors").string() + ": no tensor 'lm_head.weight'");
}

TEST(Checkpoint, SuffixLookup) {
    ScratchDir dir;
    SafetensorsWriter w;
    for (const char* name : {"encoder.roberta.emb_ln.weight", "decoder_input_embedding", "judge.decoder.layers.0.norm1.weight",
                             "judge.decoder.layers.1.norm1.weight", "xnorm1.weight"})
        w.add_zeros(name, DType::F32, {1});
    w.write(dir / "m.safetensors");
    Checkpoint c = Checkpoint::open(dir / "m.safetensors");
    EXPECT_EQ(c.find_suffix("roberta.emb_ln.weight"), "encoder.roberta.emb_ln.weight");
    EXPECT_EQ(c.find_suffix("decoder_input_embedding"), "decoder_input_embedding");
    EXPECT_EQ(c.find_suffix("layers.1.norm1.weight"), "judge.decoder.layers.1.norm1.weight");
    EXPECT_EQ(c.find_suffix("mb_ln.weight"), std::nullopt);  // only whole name components match
    EXPECT_EQ(c.find_suffix("pooler.dense.weight"), std::nullopt);
    std::string message = error_of([&] { c.find_suffix("norm1.weight"); });
    EXPECT_NE(message.find("2 tensors end with 'norm1.weight': 'judge.decoder.layers.0.norm1.weight', "
                           "'judge.decoder.layers.1.norm1.weight'"),
              std::string::npos)
        << message;
}

TEST(Checkpoint, DtypeTotals) {
    ScratchDir dir;
    SafetensorsWriter w;
    w.add_zeros("a", DType::BF16, {10, 3});
    w.add_zeros("b", DType::F32, {7});
    w.add_zeros("c", DType::BF16, {2});
    w.write(dir / "m.safetensors");
    Checkpoint c = Checkpoint::open(dir / "m.safetensors");
    auto totals = c.dtype_totals();
    ASSERT_EQ(totals.size(), 2u);
    EXPECT_EQ(totals[DType::BF16].parameters, 32);
    EXPECT_EQ(totals[DType::BF16].bytes, 64u);
    EXPECT_EQ(totals[DType::F32].parameters, 7);
    EXPECT_EQ(totals[DType::F32].bytes, 28u);
    EXPECT_EQ(c.parameter_count(), 39);
    EXPECT_EQ(c.unaligned_count(), 0u);
}

// One checkpoint read from several threads at once: no lazily built state, same data for all.
TEST(Checkpoint, SharedBetweenThreads) {
    ScratchDir dir;
    write_safetensors_checkpoint(named_tensors(8, 16), dir.path(), 200);
    const Checkpoint c = Checkpoint::open(dir.path());
    std::vector<std::thread> threads;
    std::vector<double> sums(4);
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (const auto& name : c.names()) {
                const TensorView& v = c.tensor(name);
                for (int64_t i = 0; i < v.numel(); ++i) sums[t] += v.as<float>()[i];
            }
        });
    for (auto& th : threads) th.join();
    for (int t = 1; t < 4; ++t) EXPECT_EQ(sums[t], sums[0]);
    EXPECT_GT(sums[0], 0.0);
}

// A checkpoint written sharded replaces a single-file one in the same folder, and back.
TEST(Checkpoint, RewritingSwitchesLayoutCleanly) {
    ScratchDir dir;
    write_safetensors_checkpoint(named_tensors(2, 4), dir.path(), 1u << 20);
    write_safetensors_checkpoint(named_tensors(3, 4), dir.path(), 20);
    EXPECT_FALSE(std::filesystem::exists(dir / "model.safetensors"));
    EXPECT_EQ(Checkpoint::open(dir.path()).size(), 3u);
    write_safetensors_checkpoint(named_tensors(1, 4), dir.path(), 1u << 20);
    EXPECT_FALSE(std::filesystem::exists(dir / "model.safetensors.index.json"));
    EXPECT_FALSE(std::filesystem::exists(dir / "model-00001-of-00003.safetensors"));
    EXPECT_EQ(Checkpoint::open(dir.path()).size(), 1u);
}

}  // namespace
}  // namespace gavel
