#include "models/int8_weights.hpp"

#include "backend/cpu/quantize.hpp"

namespace gavel {

TensorView quantize_weight(ThreadPool& pool, const Checkpoint& checkpoint, const TensorView& w,
                           const std::string& name, std::vector<HugePageBytes>& owned) {
    owned.push_back(cpu::quantize_q8_0(pool, w, name, [&](const TensorView& rows) { checkpoint.release(rows); }));
    return cpu::q8_0_view(owned.back(), w.dim(0), w.dim(1));
}

}  // namespace gavel
