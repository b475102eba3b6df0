// Fuzzes the model.safetensors.index.json parser: accept with safe shard names, or throw
// gavel::Error; anything else is a bug.
#include <cstdint>
#include <cstdlib>
#include <filesystem>

#include "core/error.hpp"
#include "io/safetensors_index.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    gavel::SafetensorsIndex index;
    try {
        index = gavel::parse_safetensors_index(data, size, "fuzz.index.json");
    } catch (const gavel::Error&) {
        return 0;
    }
    for (const auto& [tensor, shard] : index.weight_map) {
        std::filesystem::path p(shard);
        if (shard.empty() || p.is_absolute()) std::abort();
        for (const auto& part : p)
            if (part == "..") std::abort();  // would let an index point outside its folder
    }
    // What the writer formats, the parser reads back unchanged.
    std::string text = gavel::format_safetensors_index(index);
    auto again = gavel::parse_safetensors_index(reinterpret_cast<const uint8_t*>(text.data()), text.size(), "again");
    if (again.weight_map != index.weight_map || again.total_size != index.total_size) std::abort();
    return 0;
}
