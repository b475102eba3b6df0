// Test peer: llama.cpp (node-llama-cpp's prebuilt CPU libraries) evaluating a GGUF decoder on given
// token ids. Prints the logits of every prompt position as a float32 .npy [tokens, vocab], then greedy
// decodes N tokens (eos ignored) and prints them as one JSON line per prompt, so gavel's numbers can be
// compared with it. The model is loaded once for all prompts.
//   usage: llama_logits MODEL.gguf N_GREEDY THREADS IDS_FILE LOGITS_OUT.npy [IDS_FILE LOGITS_OUT.npy ...]
// An IDS_FILE holds the prompt token ids separated by spaces, commas or newlines.
#include <ggml-backend.h>
#include <llama.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

std::vector<llama_token> read_ids(const char* path) {
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (char& c : text)
        if (c == ',' || c == '[' || c == ']') c = ' ';
    std::vector<llama_token> ids;
    size_t pos = 0;
    while (pos < text.size()) {
        char* end = nullptr;
        long v = std::strtol(text.c_str() + pos, &end, 10);
        if (end == text.c_str() + pos) {
            ++pos;
            continue;
        }
        ids.push_back(llama_token(v));
        pos = size_t(end - text.c_str());
    }
    return ids;
}

bool write_npy(const char* path, const std::vector<float>& data, size_t rows, size_t cols) {
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                         std::to_string(cols) + "), }";
    size_t total = 10 + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header += '\n';
    std::FILE* f = std::fopen(path, "wb");
    if (!f) return false;
    const unsigned char magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    std::fwrite(magic, 1, 8, f);
    unsigned short len = (unsigned short)header.size();
    std::fwrite(&len, 2, 1, f);
    std::fwrite(header.data(), 1, header.size(), f);
    std::fwrite(data.data(), sizeof(float), data.size(), f);
    return std::fclose(f) == 0;
}

void quiet_log(ggml_log_level level, const char* text, void*) {
    if (level >= GGML_LOG_LEVEL_ERROR) std::fputs(text, stderr);
}

// Evaluates one prompt in a fresh context; false (after a message) on failure.
bool evaluate(llama_model* model, const char* ids_path, const char* npy_path, int n_greedy, int threads) {
    std::vector<llama_token> prompt = read_ids(ids_path);
    if (prompt.empty()) {
        std::fprintf(stderr, "llama_logits: no token ids in %s\n", ids_path);
        return false;
    }
    const int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
    const int n_prompt = int(prompt.size());
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = uint32_t(n_prompt + n_greedy + 16);
    cp.n_batch = uint32_t(std::max(n_prompt, 512));
    cp.n_ubatch = cp.n_batch;
    cp.n_seq_max = 1;
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    cp.type_k = GGML_TYPE_F32;  // f32 cache and no flash attention: the reference must not round
    cp.type_v = GGML_TYPE_F32;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    cp.no_perf = true;
    llama_context* ctx = llama_init_from_model(model, cp);
    if (!ctx) {
        std::fprintf(stderr, "llama_logits: cannot create a context\n");
        return false;
    }
    llama_batch batch = llama_batch_init(n_prompt, 0, 1);
    for (int i = 0; i < n_prompt; ++i) {
        batch.token[i] = prompt[size_t(i)];
        batch.pos[i] = i;
        batch.n_seq_id[i] = 1;
        batch.seq_id[i][0] = 0;
        batch.logits[i] = 1;
    }
    batch.n_tokens = n_prompt;
    bool ok = llama_decode(ctx, batch) == 0;
    llama_batch_free(batch);
    if (!ok) {
        std::fprintf(stderr, "llama_logits: llama_decode failed on the prompt of %s\n", ids_path);
        llama_free(ctx);
        return false;
    }
    std::vector<float> logits(size_t(n_prompt) * size_t(n_vocab));
    for (int i = 0; i < n_prompt; ++i) {
        const float* row = llama_get_logits_ith(ctx, i);
        std::copy(row, row + n_vocab, logits.begin() + ptrdiff_t(i) * n_vocab);
    }
    if (!write_npy(npy_path, logits, size_t(n_prompt), size_t(n_vocab))) {
        std::fprintf(stderr, "llama_logits: cannot write %s\n", npy_path);
        llama_free(ctx);
        return false;
    }
    std::vector<llama_token> generated;
    std::vector<float> last(logits.end() - n_vocab, logits.end());
    for (int step = 0; step < n_greedy && ok; ++step) {
        llama_token next = llama_token(std::max_element(last.begin(), last.end()) - last.begin());
        generated.push_back(next);
        if (step + 1 == n_greedy) break;
        llama_batch one = llama_batch_init(1, 0, 1);
        one.token[0] = next;
        one.pos[0] = n_prompt + step;
        one.n_seq_id[0] = 1;
        one.seq_id[0][0] = 0;
        one.logits[0] = 1;
        one.n_tokens = 1;
        ok = llama_decode(ctx, one) == 0;
        llama_batch_free(one);
        if (ok) {
            const float* row = llama_get_logits_ith(ctx, 0);
            last.assign(row, row + n_vocab);
        } else {
            std::fprintf(stderr, "llama_logits: llama_decode failed at step %d\n", step);
        }
    }
    llama_free(ctx);
    if (!ok) return false;
    std::printf("{\"ids\": \"%s\", \"n_vocab\": %d, \"prompt_tokens\": %d, \"greedy\": [", ids_path, n_vocab, n_prompt);
    for (size_t i = 0; i < generated.size(); ++i) std::printf("%s%d", i ? ", " : "", generated[i]);
    std::printf("]}\n");
    std::fflush(stdout);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 6 || (argc - 4) % 2) {
        std::fprintf(stderr, "usage: %s MODEL.gguf N_GREEDY THREADS IDS_FILE LOGITS_OUT.npy [IDS_FILE LOGITS_OUT.npy ...]\n",
                     argv[0]);
        return 2;
    }
    const int n_greedy = std::atoi(argv[2]);
    const int threads = std::atoi(argv[3]);
    llama_log_set(quiet_log, nullptr);
    ggml_backend_load_all_from_path(LLAMA_BINS_DIR);  // the CPU variants are separate shared libraries
    llama_backend_init();
    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    llama_model* model = llama_model_load_from_file(argv[1], mp);
    if (!model) {
        std::fprintf(stderr, "llama_logits: cannot load %s\n", argv[1]);
        return 1;
    }
    int status = 0;
    for (int i = 4; i + 1 < argc && status == 0; i += 2)
        if (!evaluate(model, argv[i], argv[i + 1], n_greedy, threads)) status = 1;
    llama_model_free(model);
    llama_backend_free();
    return status;
}
