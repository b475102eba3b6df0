// Counts the heap allocations (operator new, any thread) made while a counter is alive: this test
// binary replaces the global operator new and delete (allocation_count.cpp) with malloc and free plus
// a count. For checking that a hot path allocates nothing.
#pragma once

#include <cstdint>

namespace gavel::testing {

class AllocationCount {
public:
    AllocationCount();   // starts counting from zero
    ~AllocationCount();  // stops
    AllocationCount(const AllocationCount&) = delete;
    AllocationCount& operator=(const AllocationCount&) = delete;
    int64_t allocations() const;  // operator new calls since construction
};

}  // namespace gavel::testing
