// Internal to backend/cpu: what the AMX kernels (matmul_amx.cpp, attention_tile.cpp) share. Each
// uses all eight tiles at their full 16 rows of 64 bytes.
#pragma once

#include <cstdint>

namespace gavel::cpu::detail {

// Whether the bf16 products may run on AMX tiles: the CPU has AMX-BF16 and AVX512-BF16 (which
// rounds their activations), GAVEL_CPU leaves them on, and Linux granted this process the tile
// state (asked once, on the first call). Both the GEMM and the attention go by it.
bool amx_bf16_usable();

// The operand of LDTILECFG: palette 1, each tile's rows and bytes per row.
struct alignas(64) AmxTileConfig {
    uint8_t palette = 1;
    uint8_t start_row = 0;
    uint8_t reserved[14] = {};
    uint16_t colsb[16] = {};
    uint8_t rows[16] = {};
};

constexpr AmxTileConfig eight_full_tiles() {
    AmxTileConfig c;
    for (int t = 0; t < 8; ++t) {
        c.rows[t] = 16;
        c.colsb[t] = 64;
    }
    return c;
}

// A constant in read-only data: a config built on the stack just before _tile_loadconfig can lose
// its stores to the optimiser, which does not see the instruction read them (llama.cpp PR #26954).
inline constexpr AmxTileConfig kEightFullTiles = eight_full_tiles();

}  // namespace gavel::cpu::detail
