// model.safetensors.index.json of a sharded checkpoint: which shard file holds each tensor
// ("weight_map") and the total tensor bytes ("metadata.total_size").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace gavel {

inline constexpr std::string_view kSafetensorsIndexName = "model.safetensors.index.json";
inline constexpr std::string_view kSafetensorsSingleName = "model.safetensors";

struct SafetensorsIndex {
    std::optional<uint64_t> total_size;             // metadata.total_size when present
    std::map<std::string, std::string> weight_map;  // tensor name -> shard file, relative to the index
};

// Parses an index file's bytes; `where` names it in errors. Pure, for the fuzzer. Rejects a
// tensor listed twice, shard names that are absolute or climb out of the folder with "..", and
// anything but a string shard name.
SafetensorsIndex parse_safetensors_index(const uint8_t* data, size_t size, const std::string& where);

// The index as transformers writes it (indent 2, sorted keys), for the writers.
std::string format_safetensors_index(const SafetensorsIndex& index);

}  // namespace gavel
