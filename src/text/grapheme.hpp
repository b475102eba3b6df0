// Extended grapheme cluster boundaries (UAX #29). The Precompiled normalizer looks characters up
// one grapheme cluster at a time, as the reference does (it uses the unicode-segmentation crate).
#pragma once

#include <cstddef>
#include <string_view>

namespace gavel::text {

// End of the grapheme cluster that starts at byte `begin` of valid UTF-8 text `s` (begin < size).
size_t next_grapheme_boundary(std::string_view s, size_t begin);

}  // namespace gavel::text
