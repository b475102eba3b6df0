#include "cli/model_arg.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "backend/cpu/attention_encoder.hpp"
#include "backend/cpu/matmul.hpp"
#include "core/cpu_features.hpp"
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

void add_precision_options(Options& opts, bool encoder_attention) {
    opts.value("--matmul", "PRECISION",
               "f32: BF16 weights multiply f32 activations, exactly (on AMX tiles as three bf16 parts of "
               "each activation); bf16: they multiply bf16-rounded activations on bf16 dot products where "
               "the CPU has them (AMX tiles, else AVX512-BF16), as llama.cpp does for BF16 models: prompts "
               "and encoders run 1.6-1.7x faster on AVX512-BF16 (Zen 5) and 1.3-2x on AMX (Xeon), within "
               "bf16 rounding (bench/RESULTS.md)",
               "f32");
    if (encoder_attention)
        opts.value("--attention", "PRECISION",
                   "the encoder's attention products: f32 (as llama.cpp) or bf16, on bf16 dot products where "
                   "the CPU has them (AMX tiles, else AVX512-BF16), within a few parts in a thousand",
                   "f32");
}

PrecisionNames apply_precision_options(const Options& opts, bool encoder_attention) {
    PrecisionNames names{opts.get("--matmul"), encoder_attention ? opts.get("--attention") : "f32"};
    const bool bf16_dots = cpu_features().avx512_bf16;
    if (names.matmul != "f32" && names.matmul != "bf16")
        throw UsageError{fmt::format("--matmul must be f32 or bf16, got '{}'", names.matmul)};
    if (names.attention != "f32" && names.attention != "bf16")
        throw UsageError{fmt::format("--attention must be f32 or bf16, got '{}'", names.attention)};
    if ((names.matmul == "bf16" || names.attention == "bf16") && !bf16_dots)
        std::fprintf(stderr, "gavel: warning: this CPU has no AVX512-BF16, so bf16 precision falls back to f32\n");
    cpu::set_matmul_precision(names.matmul == "bf16" ? cpu::MatmulPrecision::BF16 : cpu::MatmulPrecision::F32);
    cpu::set_attention_precision(names.attention == "bf16" ? cpu::AttentionPrecision::BF16
                                                           : cpu::AttentionPrecision::F32);
    return names;
}

}  // namespace gavel::cli
