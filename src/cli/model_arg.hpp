// The MODEL argument of every command: a local folder or file, a Hugging Face cache snapshot, or a
// hub repo id (org/name[@revision]) fetched into the cache on first use.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace gavel::cli {

// Files a command needs from a hub repo: configs, tokenizer and weights.
const std::vector<std::string>& model_file_patterns();

// Resolves `spec` (downloading what is missing) and checks that a model is there.
std::filesystem::path resolve_model_arg(const std::string& spec,
                                        const std::vector<std::string>& patterns = model_file_patterns());

}  // namespace gavel::cli
