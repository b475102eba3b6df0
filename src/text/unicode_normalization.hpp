// Unicode normalization forms (NFC, NFD, NFKC, NFKD) with the reference's Unicode 9.0 tables. Runs
// of characters that a form never changes are copied as they are; only the stretches around the
// other characters are decomposed, reordered and recomposed, so normalized text costs one scan.
// Alignments to the original text follow the reference's rule: by position, not by character (the
// first normalized character of a stretch maps to its first original one even when canonical
// ordering moved another mark there), which Metaspace(prepend_scheme "first") depends on.
#pragma once

#include "text/normalized_string.hpp"

namespace gavel::text {

enum class NormalizationForm { NFC, NFD, NFKC, NFKD };

void normalize_unicode(NormalizedString& text, NormalizationForm form);

}  // namespace gavel::text
