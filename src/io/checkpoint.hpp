// A model's weights as one name -> tensor map, whether they sit in one .safetensors file or in
// shards listed by model.safetensors.index.json. Shards stay memory-mapped; tensors are views.
// Immutable after open: share one Checkpoint between threads freely.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.hpp"
#include "io/safetensors_file.hpp"
#include "io/safetensors_index.hpp"

namespace gavel {

class Checkpoint {
public:
    struct DTypeTotal {
        int64_t parameters = 0;
        uint64_t bytes = 0;
    };

    // `path` is a folder holding model.safetensors (preferred, as transformers does) or
    // model.safetensors.index.json plus its shards, an index file itself, or a single
    // .safetensors file. With an index, every shard must exist, every listed tensor must be in its
    // shard, and metadata.total_size (when present) must equal the tensors' bytes. A tensor found
    // in a shard but not listed in the index is an error too: the index and shards disagree, and
    // guessing which is right could load a stale tensor.
    static Checkpoint open(const std::filesystem::path& path);

    // What was opened: the .safetensors file or the index file.
    const std::filesystem::path& path() const { return path_; }
    bool sharded() const { return sharded_; }

    bool has(std::string_view name) const;
    // Fails naming the tensor and the checkpoint when absent.
    const TensorView& tensor(std::string_view name) const;
    // The shard file (name relative to the folder) holding `name`.
    const std::string& shard_of(std::string_view name) const;
    // Tensor names, sorted.
    std::vector<std::string> names() const;
    size_t size() const { return tensors_.size(); }

    // The one tensor whose name is `suffix` or ends with "." + `suffix` (checkpoints saved by
    // different wrappers add prefixes such as "model." or "encoder."); nullopt when none; fails
    // listing the candidates when several match.
    std::optional<std::string> find_suffix(std::string_view suffix) const;

    // Lets the memory of `view` (a tensor of this checkpoint) go: its pages are dropped from the
    // process's resident set and read back from the file only if touched again. For weights a
    // model has copied into another form (--weights int8). Views of other memory are left alone.
    void release(const TensorView& view) const;
    // Marks `view` (a tensor of this checkpoint) as read a row at a time (an embedding table): a
    // lookup maps the page it needs, not a huge page around it. Views of other memory are left alone.
    void read_sparsely(const TensorView& view) const;

    int64_t parameter_count() const;
    uint64_t byte_count() const;
    std::map<DType, DTypeTotal> dtype_totals() const;
    // Shard files (names relative to the folder), sorted.
    std::vector<std::string> shard_names() const;
    // Tensors whose data is not aligned to their element size (see SafetensorsEntry::aligned).
    size_t unaligned_count() const;

private:
    struct Stored {
        TensorView view;
        size_t shard = 0;
        bool aligned = true;
    };
    struct Shard {
        std::string name;
        std::shared_ptr<const SafetensorsFile> file;
    };
    const Stored& stored(std::string_view name) const;
    static Checkpoint open_single(const std::filesystem::path& file);
    static Checkpoint open_index(const std::filesystem::path& index_file);

    std::filesystem::path path_;
    bool sharded_ = false;
    std::vector<Shard> shards_;
    std::map<std::string, Stored, std::less<>> tensors_;
};

}  // namespace gavel
