// Writes .safetensors files and sharded checkpoints, for tests and the test-model generator.
// Tensor data is produced in chunks while writing, so a 15 GB checkpoint never sits in memory,
// and all-zero tensors become holes in a sparse file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/dtype.hpp"

namespace gavel {

struct TensorToWrite {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    // Fills `out` with `nbytes` bytes of the tensor starting at byte `offset`. Called in order of
    // increasing offset (restarting at 0 for each file written); chunks hold whole elements.
    // Empty: the tensor is all zeros and is left as a hole in the file.
    std::function<void(uint8_t* out, uint64_t offset, size_t nbytes)> produce;

    uint64_t nbytes() const;
};

// Encodes f32 values as `dtype` (F64, F32, F16 or BF16, round-to-nearest-even); other dtypes are
// an error (write their raw bytes instead).
void encode_floats(std::span<const float> values, DType dtype, uint8_t* out);

class SafetensorsWriter {
public:
    // Raw little-endian bytes; their count must match shape x dtype.
    void add(std::string name, DType dtype, std::vector<int64_t> shape, std::vector<uint8_t> bytes);
    // f32 values stored as `dtype` (see encode_floats).
    void add_floats(std::string name, DType dtype, std::vector<int64_t> shape, std::span<const float> values);
    void add_zeros(std::string name, DType dtype, std::vector<int64_t> shape);
    void add(TensorToWrite tensor);
    void set_metadata(std::string key, std::string value) { metadata_[std::move(key)] = std::move(value); }

    const std::vector<TensorToWrite>& tensors() const { return tensors_; }
    uint64_t data_bytes() const;

    // Writes the file atomically: into a temporary file in the same folder, renamed to `path` when
    // complete, so a reader never sees half a file. Tensors are laid out by decreasing element size
    // (as the reference writer does) so every tensor is aligned; header order follows the layout.
    void write(const std::filesystem::path& path) const;

private:
    std::vector<TensorToWrite> tensors_;
    std::map<std::string, std::string> metadata_;
};

// Writes `tensors` into `dir` as Hugging Face save_pretrained does: one model.safetensors when
// they fit in `max_shard_bytes`, else model-0000i-of-0000n.safetensors shards filled greedily in
// the given order plus model.safetensors.index.json. Weight files of an earlier checkpoint in
// `dir` (model.safetensors, the index, model-*-of-*.safetensors) are removed first so they cannot
// be mistaken for part of this one. Returns the names of the files written.
std::vector<std::string> write_safetensors_checkpoint(const std::vector<TensorToWrite>& tensors,
                                                      const std::filesystem::path& dir,
                                                      uint64_t max_shard_bytes,
                                                      const std::map<std::string, std::string>& metadata = {
                                                          {"format", "pt"}});

}  // namespace gavel
