// One .safetensors file, memory-mapped: the header is parsed and checked on open, tensor data is
// used in place. Format: u64 little-endian header length N, N bytes of JSON, then the raw data;
// `data_offsets` are relative to the end of the header.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.hpp"
#include "core/mapped_file.hpp"
#include "core/tensor.hpp"

namespace gavel {

// The safetensors reference implementation refuses headers above 100 MB; so does gavel, so that a
// garbage length prefix gets a clear message instead of an attempt to parse gigabytes.
inline constexpr uint64_t kSafetensorsMaxHeaderBytes = 100'000'000;

struct SafetensorsEntry {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0;  // byte span relative to the start of the data section
    // Whether the data starts at a multiple of the element size within the file. The format does
    // not require it (files written by the reference library always are: it pads the header and
    // orders tensors by alignment), so code reading elements must not assume it.
    bool aligned = true;

    uint64_t nbytes() const { return end - begin; }
    int64_t numel() const;
};

struct SafetensorsHeader {
    std::vector<SafetensorsEntry> entries;        // ordered by position in the file
    std::map<std::string, std::string> metadata;  // the "__metadata__" object
    uint64_t header_bytes = 0;                    // N
    uint64_t data_offset() const { return 8 + header_bytes; }
};

// Parses and checks the header of a whole safetensors file held in `data` (`size` bytes);
// `where` names the file in errors. Pure, for the fuzzer; checks that every tensor's span lies in
// the file, matches shape x dtype, and overlaps no other. Gaps between spans are accepted.
SafetensorsHeader parse_safetensors_header(const uint8_t* data, size_t size, const std::string& where);

class SafetensorsFile {
public:
    // Maps and checks `path`; every error names the path.
    static SafetensorsFile open(const std::string& path);

    const std::string& path() const { return file_.path(); }
    uint64_t file_size() const { return file_.size(); }
    const std::vector<SafetensorsEntry>& entries() const { return header_.entries; }
    const std::map<std::string, std::string>& metadata() const { return header_.metadata; }
    // nullptr when the file holds no tensor of that name.
    const SafetensorsEntry* find(std::string_view name) const;
    // A zero-copy view into the map, valid while this object lives.
    TensorView view(const SafetensorsEntry& entry) const;
    // MappedFile::release / read_sparsely for the bytes of a view into this file; false when it is
    // not one.
    bool release(const TensorView& view) const { return file_.release(view.data, view.nbytes()); }
    bool read_sparsely(const TensorView& view) const { return file_.read_sparsely(view.data, view.nbytes()); }

private:
    SafetensorsFile(MappedFile file, SafetensorsHeader header);

    MappedFile file_;
    SafetensorsHeader header_;
    std::map<std::string, size_t, std::less<>> by_name_;  // index into header_.entries
};

}  // namespace gavel
