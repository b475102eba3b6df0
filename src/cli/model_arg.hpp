// The MODEL argument of every command: a local folder or file, a Hugging Face cache snapshot, or a
// hub repo id (org/name[@revision]) fetched into the cache on first use.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "backend/cpu/quantize.hpp"
#include "cli/options.hpp"

namespace gavel::cli {

// Files a command needs from a hub repo: configs, tokenizer and weights.
const std::vector<std::string>& model_file_patterns();

// Resolves `spec` (downloading what is missing) and checks that a model is there.
std::filesystem::path resolve_model_arg(const std::string& spec,
                                        const std::vector<std::string>& patterns = model_file_patterns());

// --weights, for the commands that load a model: its help text, and its value as a WeightFormat
// (a usage error for anything but checkpoint or int8).
inline constexpr const char* kWeightsHelp =
    "checkpoint: multiply by the weights as stored, in place; int8: quantise the matrices to 8 bits "
    "at load (Q8_0 blocks of 32, as llama.cpp's) and take int8 dot products: less memory and faster, at a "
    "small accuracy cost (bench/RESULTS.md)";
cpu::WeightFormat weight_format_option(const Options& opts);

// --matmul and --attention, for the commands that run a model: declares them on `opts` (--attention
// only where the model may have an encoder: `encoder_attention`, the same in both calls), and sets
// the process-wide precisions (cpu::set_matmul_precision, cpu::set_attention_precision) from them,
// a usage error for anything but f32 or bf16. Returns the two names, as given ("f32" for an
// undeclared --attention).
void add_precision_options(Options& opts, bool encoder_attention);
struct PrecisionNames {
    std::string matmul, attention;
};
PrecisionNames apply_precision_options(const Options& opts, bool encoder_attention);

}  // namespace gavel::cli
