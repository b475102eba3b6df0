#include "cli/model_arg.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "backend/cpu/matmul.hpp"
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

cpu::WeightFormat weight_format_option(const Options& opts) {
    const std::string name = opts.get("--weights");
    const auto format = cpu::weight_format_from_name(name);
    if (!format) throw UsageError{fmt::format("--weights must be checkpoint or int8, got '{}'", name)};
    if (*format == cpu::WeightFormat::Int8 && !cpu::q8_kernels_vectorised())
        std::fprintf(stderr, "gavel: warning: this CPU has no AVX512-VNNI, so --weights int8 runs on portable scalar "
                             "code, slower than the checkpoint weights\n");
    return *format;
}

}  // namespace gavel::cli
