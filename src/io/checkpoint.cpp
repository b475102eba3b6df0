#include "io/checkpoint.hpp"


#include "core/error.hpp"

namespace gavel {

namespace {

bool is_regular(const std::filesystem::path& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec);
}

}  // namespace

Checkpoint Checkpoint::open(const std::filesystem::path& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        if (is_regular(path / kSafetensorsSingleName)) return open_single(path / kSafetensorsSingleName);
        if (is_regular(path / kSafetensorsIndexName)) return open_index(path / kSafetensorsIndexName);
        fail("{}: no {} or {} in this folder", path.string(), kSafetensorsSingleName, kSafetensorsIndexName);
    }
    if (!std::filesystem::exists(path, ec)) fail("{}: no such file or folder", path.string());
    if (path.string().ends_with(".index.json")) return open_index(path);
    return open_single(path);
}

Checkpoint Checkpoint::open_single(const std::filesystem::path& file) {
    Checkpoint c;
    c.path_ = file;
    auto shard = std::make_shared<const SafetensorsFile>(SafetensorsFile::open(file.string()));
    for (const auto& e : shard->entries()) c.tensors_.emplace(e.name, Stored{shard->view(e), 0, e.aligned});
    c.shards_.push_back({file.filename().string(), std::move(shard)});
    return c;
}

Checkpoint Checkpoint::open_index(const std::filesystem::path& index_file) {
    Checkpoint c;
    c.path_ = index_file;
    c.sharded_ = true;
    const std::string where = index_file.string();
    MappedFile text(where);
    SafetensorsIndex index = parse_safetensors_index(text.data(), text.size(), where);
    if (index.weight_map.empty()) fail("{}: weight_map lists no tensors", where);
    const std::filesystem::path dir = index_file.parent_path();
    const std::string index_name = index_file.filename().string();

    // Shards in file-name order (model-00001-of-... first), each with one tensor it should hold
    // so that a missing shard's message says what is lost.
    std::map<std::string, std::string> shard_examples;
    for (const auto& [tensor, shard_name] : index.weight_map) shard_examples.emplace(shard_name, tensor);
    std::map<std::string, size_t> shard_numbers;
    for (const auto& [shard_name, tensor] : shard_examples) {
        std::filesystem::path shard_path = dir / shard_name;
        if (!is_regular(shard_path))
            fail("{}: shard '{}' (holding tensor '{}' and maybe more) is missing from {}", where, shard_name, tensor,
                 dir.empty() ? std::string(".") : dir.string());
        shard_numbers[shard_name] = c.shards_.size();
        c.shards_.push_back({shard_name, std::make_shared<const SafetensorsFile>(
                                             SafetensorsFile::open(shard_path.string()))});
    }

    uint64_t total_bytes = 0;
    for (const auto& [tensor, shard_name] : index.weight_map) {
        size_t number = shard_numbers.at(shard_name);
        const SafetensorsFile& shard = *c.shards_[number].file;
        const SafetensorsEntry* entry = shard.find(tensor);
        if (!entry)
            fail("{}: tensor '{}' is listed in {} but is not in this shard", shard.path(), tensor, index_name);
        c.tensors_.emplace(tensor, Stored{shard.view(*entry), number, entry->aligned});
        total_bytes += entry->nbytes();
    }
    for (const auto& shard : c.shards_) {
        for (const auto& e : shard.file->entries()) {
            auto listed = index.weight_map.find(e.name);
            if (listed == index.weight_map.end())
                fail("{}: tensor '{}' is not listed in {} (index and shards disagree)", shard.file->path(), e.name,
                     index_name);
            if (listed->second != shard.name)
                fail("{}: tensor '{}' is also in this shard, but {} puts it in '{}'", shard.file->path(), e.name,
                     index_name, listed->second);
        }
    }
    if (index.total_size && *index.total_size != total_bytes)
        fail("{}: metadata.total_size is {} but the listed tensors hold {} bytes", where, *index.total_size,
             total_bytes);
    return c;
}

const Checkpoint::Stored& Checkpoint::stored(std::string_view name) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) fail("{}: no tensor '{}'", path_.string(), name);
    return it->second;
}

bool Checkpoint::has(std::string_view name) const { return tensors_.find(name) != tensors_.end(); }

const TensorView& Checkpoint::tensor(std::string_view name) const { return stored(name).view; }

const std::string& Checkpoint::shard_of(std::string_view name) const { return shards_[stored(name).shard].name; }

std::vector<std::string> Checkpoint::names() const {
    std::vector<std::string> out;
    out.reserve(tensors_.size());
    for (const auto& [name, _] : tensors_) out.push_back(name);
    return out;
}

std::optional<std::string> Checkpoint::find_suffix(std::string_view suffix) const {
    std::vector<std::string> matches;
    for (const auto& [name, _] : tensors_) {
        std::string_view n = name;
        if (n == suffix || (n.size() > suffix.size() && n.ends_with(suffix) && n[n.size() - suffix.size() - 1] == '.'))
            matches.push_back(name);
    }
    if (matches.empty()) return std::nullopt;
    if (matches.size() > 1) {
        std::string list;
        for (size_t i = 0; i < matches.size() && i < 4; ++i) list += (i ? ", '" : "'") + matches[i] + "'";
        if (matches.size() > 4) list += fmt::format(" and {} more", matches.size() - 4);
        fail("{}: {} tensors end with '{}': {}", path_.string(), matches.size(), suffix, list);
    }
    return matches.front();
}

int64_t Checkpoint::parameter_count() const {
    int64_t n = 0;
    for (const auto& [_, s] : tensors_) n += s.view.numel();
    return n;
}

void Checkpoint::release(const TensorView& view) const {
    for (const Shard& s : shards_)
        if (s.file->release(view)) return;
}

void Checkpoint::read_sparsely(const TensorView& view) const {
    for (const Shard& s : shards_)
        if (s.file->read_sparsely(view)) return;
}

uint64_t Checkpoint::byte_count() const {
    uint64_t n = 0;
    for (const auto& [_, s] : tensors_) n += s.view.nbytes();
    return n;
}

std::map<DType, Checkpoint::DTypeTotal> Checkpoint::dtype_totals() const {
    std::map<DType, DTypeTotal> totals;
    for (const auto& [_, s] : tensors_) {
        totals[s.view.dtype].parameters += s.view.numel();
        totals[s.view.dtype].bytes += s.view.nbytes();
    }
    return totals;
}

std::vector<std::string> Checkpoint::shard_names() const {
    std::vector<std::string> out;
    for (const auto& s : shards_) out.push_back(s.name);
    return out;
}

size_t Checkpoint::unaligned_count() const {
    size_t n = 0;
    for (const auto& [_, s] : tensors_) n += !s.aligned;
    return n;
}

}  // namespace gavel
