#include "cli/model_arg.hpp"

#include "io/hub.hpp"
#include "io/model_dir.hpp"

namespace gavel::cli {

const std::vector<std::string>& model_file_patterns() {
    static const std::vector<std::string> patterns = {"*.json", "*.safetensors"};
    return patterns;
}

std::filesystem::path resolve_model_arg(const std::string& spec, const std::vector<std::string>& patterns) {
    return resolve_local_model(resolve_model(spec, patterns, HubOptions::from_environment()).string());
}

}  // namespace gavel::cli
