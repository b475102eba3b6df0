// gavel make-model (developer): writes a deterministic random-weight test model with the real
// tensor names, dtypes, shapes and config files of Qwen2 / Con-J or JinaJudge.
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "io/checkpoint.hpp"
#include "io/test_model_writer.hpp"

namespace gavel::cli {

int run_make_model(int argc, char** argv) {
    Options opts("make-model",
                 "Write a random-weight test model (real names, shapes, dtypes and config files) from a seed.",
                 "--arch qwen2|jina-judge --size SIZE --out DIR [options]");
    opts.value("--arch", "ARCH", "qwen2 or jina-judge");
    opts.value("--size", "SIZE", "qwen2: tiny, 0.5b, 7b; jina-judge: tiny, full, full-512");
    opts.value("--seed", "S", "seed of the weight values", "0");
    opts.value("--out", "DIR", "folder to write (created; earlier weight files in it are replaced)");
    opts.value("--dtype", "DTYPE", "bf16, f32 or f16: Qwen2 weights / the judge's encoder (its head is always f32)",
               "bf16");
    opts.value("--fill", "FILL", "random, or zeros: header only, data left as a sparse hole (no disk, no time)",
               "random");
    opts.value("--tokenizer", "TOKENIZER_JSON", "tokenizer.json to copy beside the config (jina-judge: into encoder/)");
    opts.epilog(
        "Sizes: qwen2 tiny (vocab 151936, hidden 64, 2 layers, 4 heads, 2 kv heads, untied), 0.5b (Qwen2-0.5B,\n"
        "tied, 494,032,768 parameters), 7b (Con-J-Qwen2-7B, 7,615,616,512 parameters in 4 shards);\n"
        "jina-judge tiny (vocab 250002, hidden 64, 2+2 layers), full (614,323,071), full-512 (588,609,407).\n"
        "Values: see src/io/test_model_writer.hpp. Example:\n"
        "  gavel make-model --arch qwen2 --size 7b --fill zeros --out /tmp/conj-shape");
    opts.parse(argc, argv);

    std::string arch = opts.get("--arch"), size = opts.get("--size");
    TestModelSpec spec;
    if (arch == "qwen2") spec = qwen2_test_spec(size);
    else if (arch == "jina-judge") spec = jina_judge_test_spec(size);
    else throw UsageError{fmt::format("--arch must be qwen2 or jina-judge, got '{}'", arch)};
    std::string seed = opts.get("--seed");
    try {
        size_t used = 0;
        spec.seed = std::stoull(seed, &used);
        if (used != seed.size() || seed[0] == '-') throw std::invalid_argument(seed);
    } catch (const std::exception&) {
        throw UsageError{fmt::format("--seed needs a non-negative integer, got '{}'", seed)};
    }
    std::string dtype = opts.get("--dtype");
    if (dtype == "bf16") spec.dtype = DType::BF16;
    else if (dtype == "f32") spec.dtype = DType::F32;
    else if (dtype == "f16") spec.dtype = DType::F16;
    else throw UsageError{fmt::format("--dtype must be bf16, f32 or f16, got '{}'", dtype)};
    std::string fill = opts.get("--fill");
    if (fill == "random") spec.fill = TestFill::Random;
    else if (fill == "zeros") spec.fill = TestFill::Zeros;
    else throw UsageError{fmt::format("--fill must be random or zeros, got '{}'", fill)};
    if (auto tokenizer = opts.get_optional("--tokenizer")) spec.tokenizer_json = *tokenizer;

    std::filesystem::path out = opts.get("--out");
    std::vector<std::string> files = write_test_model(spec, out);
    Checkpoint written = Checkpoint::open(out);
    std::printf("wrote %s: %s %s, %zu tensors, %lld parameters, %llu bytes of weights\n", out.c_str(), arch.c_str(),
                size.c_str(), written.size(), (long long)written.parameter_count(),
                (unsigned long long)written.byte_count());
    for (const auto& f : files) std::printf("  %s\n", f.c_str());
    return 0;
}

}  // namespace gavel::cli
