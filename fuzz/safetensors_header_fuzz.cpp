// Fuzzes the safetensors header parser (whole-file bytes in): it must either accept the input with
// every invariant the loader relies on, or throw gavel::Error; anything else is a bug.
#include <cstdint>
#include <cstdlib>

#include "core/error.hpp"
#include "io/safetensors_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    gavel::SafetensorsHeader header;
    try {
        header = gavel::parse_safetensors_header(data, size, "fuzz.safetensors");
    } catch (const gavel::Error&) {
        return 0;
    }
    const uint64_t data_bytes = size - header.data_offset();
    uint64_t previous_end = 0;
    for (const auto& e : header.entries) {
        if (e.begin > e.end || e.end > data_bytes) std::abort();
        if (e.nbytes() != uint64_t(e.numel()) * gavel::dtype_size(e.dtype)) std::abort();
        if (e.nbytes() > 0) {
            if (e.begin < previous_end) std::abort();  // overlap slipped through
            previous_end = e.end;
        }
    }
    return 0;
}
