#include "io/safetensors_index.hpp"

#include <filesystem>

#include "core/error.hpp"
#include "io/json_unique_keys.hpp"

namespace gavel {

namespace {

void check_shard_name(const std::string& shard, const std::string& tensor, const std::string& where) {
    std::filesystem::path p(shard);
    bool climbs = false;
    for (const auto& part : p)
        if (part == "..") climbs = true;
    if (shard.empty() || p.is_absolute() || climbs || shard.find('\0') != std::string::npos)
        fail("{}: weight_map: tensor '{}' names shard {}, which must be a file name inside the checkpoint folder",
             where, tensor, json_excerpt(Json(shard)));
}

}  // namespace

SafetensorsIndex parse_safetensors_index(const uint8_t* data, size_t size, const std::string& where) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    Json json = parse_json_unique_keys(text, where);
    if (!json.is_object()) fail("{}: expected a JSON object, got {}", where, json_excerpt(json));
    SafetensorsIndex index;
    if (auto it = json.find("metadata"); it != json.end() && !it->is_null()) {
        if (!it->is_object()) fail("{}: field 'metadata' must be an object, got {}", where, json_excerpt(*it));
        if (auto total = it->find("total_size"); total != it->end() && !total->is_null()) {
            if (!total->is_number_unsigned())
                fail("{}: field 'metadata.total_size' must be a non-negative integer, got {}", where,
                     json_excerpt(*total));
            index.total_size = total->get<uint64_t>();
        }
    }
    auto map = json.find("weight_map");
    if (map == json.end()) fail("{}: missing field 'weight_map'", where);
    if (!map->is_object()) fail("{}: field 'weight_map' must be an object, got {}", where, json_excerpt(*map));
    for (const auto& [tensor, shard] : map->items()) {
        if (!shard.is_string())
            fail("{}: weight_map: tensor '{}' must map to a shard file name, got {}", where, tensor,
                 json_excerpt(shard));
        std::string name = shard.get<std::string>();
        check_shard_name(name, tensor, where);
        index.weight_map.emplace(tensor, std::move(name));
    }
    return index;
}

std::string format_safetensors_index(const SafetensorsIndex& index) {
    Json json = Json::object();
    json["metadata"] = Json::object();
    if (index.total_size) json["metadata"]["total_size"] = *index.total_size;
    json["weight_map"] = Json::object();
    for (const auto& [tensor, shard] : index.weight_map) json["weight_map"][tensor] = shard;
    return json.dump(2) + "\n";
}

}  // namespace gavel
