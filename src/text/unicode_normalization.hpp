// Unicode normalization forms (NFC, NFD, NFKC, NFKD) with the reference's Unicode 9.0 tables. Runs
// of characters that a form never changes are copied as they are; only the stretches around the
// other characters are decomposed, reordered and recomposed, so normalized text costs one scan.
#pragma once

#include "text/normalized_string.hpp"

namespace gavel::text {

enum class NormalizationForm { NFC, NFD, NFKC, NFKD };

void normalize_unicode(NormalizedString& text, NormalizationForm form);

}  // namespace gavel::text
