// --weights int8 for the models: a checkpoint matrix becomes a Q8_0 matrix the model owns.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/huge_page_allocator.hpp"
#include "core/tensor.hpp"
#include "core/thread_pool.hpp"
#include "io/checkpoint.hpp"

namespace gavel {

// Quantises `w` (named `name` in errors) into a new buffer appended to `owned`, letting the
// checkpoint's pages of `w` go slice by slice as they are read (Checkpoint::release), and returns
// the Q8_0 view linear() takes.
TensorView quantize_weight(ThreadPool& pool, const Checkpoint& checkpoint, const TensorView& w,
                           const std::string& name, std::vector<HugePageBytes>& owned);

}  // namespace gavel
