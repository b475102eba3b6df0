// A non-owning, typed view of a row-major tensor (usually bytes inside an mmap'd checkpoint).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/dtype.hpp"

namespace gavel {

struct TensorView {
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    const void* data = nullptr;

    int64_t numel() const {
        int64_t n = 1;
        for (auto d : shape) n *= d;
        return n;
    }
    size_t nbytes() const { return size_t(numel()) * dtype_size(dtype); }
    int rank() const { return int(shape.size()); }
    int64_t dim(int i) const { return shape.at(i < 0 ? shape.size() + i : i); }
    template <typename T>
    const T* as() const { return static_cast<const T*>(data); }
    // Rows [r0, r1) along the first dimension, as a view of the same bytes (any rank >= 1; a
    // checkpoint dtype, whose elements have whole byte sizes).
    TensorView rows(int64_t r0, int64_t r1) const {
        TensorView v = *this;
        v.shape.at(0) = r1 - r0;
        v.data = static_cast<const uint8_t*>(data) + size_t(r0 * (numel() / std::max<int64_t>(1, dim(0)))) * dtype_size(dtype);
        return v;
    }
};

// "[3584, 512]" for messages and tables.
std::string shape_string(const std::vector<int64_t>& shape);

}  // namespace gavel
