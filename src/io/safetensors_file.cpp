#include "io/safetensors_file.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "io/json_unique_keys.hpp"

namespace gavel {

namespace {

std::string known_dtypes() {
    std::string out;
    for (int i = 0; i <= int(DType::BOOL); ++i) {
        if (i) out += ' ';
        out += dtype_name(DType(i));
    }
    return out;
}

uint64_t read_u64_le(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
    return v;
}

std::vector<int64_t> parse_shape(const Json& shape, const std::string& tensor, const std::string& where) {
    if (!shape.is_array())
        fail("{}: tensor '{}': shape must be a list of integers, got {}", where, tensor, json_excerpt(shape));
    std::vector<int64_t> dims;
    dims.reserve(shape.size());
    for (size_t i = 0; i < shape.size(); ++i) {
        const Json& d = shape[i];
        if (d.is_number_unsigned() && d.get<uint64_t>() <= uint64_t(INT64_MAX)) {
            dims.push_back(d.get<int64_t>());
        } else if (d.is_number_integer() && !d.is_number_unsigned()) {
            fail("{}: tensor '{}': shape entry {} is {}, must not be negative", where, tensor, i, d.get<int64_t>());
        } else {
            fail("{}: tensor '{}': shape entry {} is {}, must be a non-negative integer", where, tensor, i,
                 json_excerpt(d));
        }
    }
    return dims;
}

// Bytes a tensor of this shape needs; fails if the count does not fit in 64 bits.
uint64_t shape_bytes(const std::vector<int64_t>& shape, DType dtype, const std::string& tensor,
                     const std::string& where) {
    unsigned __int128 bytes = dtype_size(dtype);
    for (int64_t d : shape) {
        bytes *= uint64_t(d);
        if (bytes > UINT64_MAX)
            fail("{}: tensor '{}': shape {} x {} does not fit in 64 bits", where, tensor, shape_string(shape),
                 dtype_name(dtype));
    }
    return uint64_t(bytes);
}

std::pair<uint64_t, uint64_t> parse_offsets(const Json& offsets, const std::string& tensor,
                                            const std::string& where) {
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
        fail("{}: tensor '{}': data_offsets must be [begin, end] with non-negative integers, got {}", where,
             tensor, json_excerpt(offsets));
    return {offsets[0].get<uint64_t>(), offsets[1].get<uint64_t>()};
}

SafetensorsEntry parse_entry(const std::string& name, const Json& info, uint64_t data_bytes,
                             const std::string& where) {
    if (!info.is_object())
        fail("{}: tensor '{}': expected an object with dtype, shape and data_offsets, got {}", where, name,
             json_excerpt(info));
    SafetensorsEntry e;
    e.name = name;
    for (const char* field : {"dtype", "shape", "data_offsets"})
        if (!info.contains(field)) fail("{}: tensor '{}': missing field '{}'", where, name, field);
    const Json& dtype = info["dtype"];
    if (!dtype.is_string())
        fail("{}: tensor '{}': dtype must be a string, got {}", where, name, json_excerpt(dtype));
    auto parsed = dtype_from_name(dtype.get<std::string>());
    if (!parsed)
        fail("{}: tensor '{}': unknown dtype {} (known: {})", where, name, json_excerpt(dtype), known_dtypes());
    e.dtype = *parsed;
    e.shape = parse_shape(info["shape"], name, where);
    std::tie(e.begin, e.end) = parse_offsets(info["data_offsets"], name, where);
    if (e.begin > e.end)
        fail("{}: tensor '{}': data_offsets [{}, {}] end is before begin", where, name, e.begin, e.end);
    uint64_t needed = shape_bytes(e.shape, e.dtype, name, where);
    if (e.end > data_bytes)
        fail("{}: tensor '{}' ends at data byte {}, but the file holds only {} bytes of data (truncated?)", where,
             name, e.end, data_bytes);
    if (needed != e.nbytes())
        fail("{}: tensor '{}' needs {} bytes (shape {} x {}), data_offsets [{}, {}] span {}", where, name, needed,
             shape_string(e.shape), dtype_name(e.dtype), e.begin, e.end, e.nbytes());
    return e;
}

}  // namespace

int64_t SafetensorsEntry::numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

SafetensorsHeader parse_safetensors_header(const uint8_t* data, size_t size, const std::string& where) {
    if (size < 8)
        fail("{}: truncated: {} bytes, a safetensors file starts with an 8-byte header length", where, size);
    SafetensorsHeader header;
    header.header_bytes = read_u64_le(data);
    if (header.header_bytes > kSafetensorsMaxHeaderBytes)
        fail("{}: header length {} is beyond the {}-byte limit (not a safetensors file?)", where,
             header.header_bytes, kSafetensorsMaxHeaderBytes);
    if (header.header_bytes > size - 8)
        fail("{}: header length {} is beyond the end of the file ({} bytes after the length prefix; truncated?)",
             where, header.header_bytes, size - 8);
    std::string_view text(reinterpret_cast<const char*>(data + 8), header.header_bytes);
    Json json = parse_json_unique_keys(text, where + ": header");
    if (!json.is_object()) fail("{}: header is not a JSON object, got {}", where, json_excerpt(json));

    uint64_t data_bytes = size - header.data_offset();
    header.entries.reserve(json.size());
    for (const auto& [key, value] : json.items()) {
        if (key == "__metadata__") {
            if (value.is_null()) continue;
            if (!value.is_object())
                fail("{}: __metadata__ must be an object of strings, got {}", where, json_excerpt(value));
            for (const auto& [mkey, mvalue] : value.items()) {
                if (!mvalue.is_string())
                    fail("{}: __metadata__ field '{}' must be a string, got {}", where, mkey, json_excerpt(mvalue));
                header.metadata[mkey] = mvalue.get<std::string>();
            }
            continue;
        }
        header.entries.push_back(parse_entry(key, value, data_bytes, where));
    }

    std::stable_sort(header.entries.begin(), header.entries.end(),
                     [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
                         return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
                     });
    // Empty tensors occupy no bytes and overlap nothing; the rest, sorted by start, must each end
    // before the next starts.
    const SafetensorsEntry* previous = nullptr;
    for (auto& e : header.entries) {
        e.aligned = (header.data_offset() + e.begin) % dtype_size(e.dtype) == 0;
        if (e.nbytes() == 0) continue;
        if (previous && previous->end > e.begin)
            fail("{}: tensors '{}' [{}, {}] and '{}' [{}, {}] overlap", where, previous->name, previous->begin,
                 previous->end, e.name, e.begin, e.end);
        previous = &e;
    }
    return header;
}

SafetensorsFile::SafetensorsFile(MappedFile file, SafetensorsHeader header)
    : file_(std::move(file)), header_(std::move(header)) {
    for (size_t i = 0; i < header_.entries.size(); ++i) by_name_.emplace(header_.entries[i].name, i);
}

SafetensorsFile SafetensorsFile::open(const std::string& path) {
    MappedFile file(path);
    SafetensorsHeader header = parse_safetensors_header(file.data(), file.size(), path);
    return SafetensorsFile(std::move(file), std::move(header));
}

const SafetensorsEntry* SafetensorsFile::find(std::string_view name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : &header_.entries[it->second];
}

TensorView SafetensorsFile::view(const SafetensorsEntry& entry) const {
    TensorView v;
    v.dtype = entry.dtype;
    v.shape = entry.shape;
    v.data = file_.data() + header_.data_offset() + entry.begin;
    return v;
}

}  // namespace gavel
