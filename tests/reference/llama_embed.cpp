// Test peer: mean-pooled embeddings from llama.cpp (node-llama-cpp's prebuilt library) for token
// id sequences, one decode per sequence, so gavel's encoder can be compared with it.
//   usage: llama_embed MODEL.gguf IDS.txt OUT.f32 [THREADS]
// IDS.txt holds one sequence per line (ids separated by spaces); OUT.f32 receives
// [sequences, n_embd] little-endian f32, unnormalised. Flash attention is off so attention runs
// in f32 like gavel's.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ggml-backend.h"
#include "llama.h"

namespace {

void quiet_log(ggml_log_level level, const char* text, void*) {
    if (level == GGML_LOG_LEVEL_ERROR) std::fputs(text, stderr);
}

int fail(const std::string& message) {
    std::fprintf(stderr, "llama_embed: %s\n", message.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) return fail("usage: llama_embed MODEL.gguf IDS.txt OUT.f32 [THREADS]");
    const int threads = argc > 4 ? std::atoi(argv[4]) : 2;

    std::vector<std::vector<llama_token>> sequences;
    {
        std::ifstream in(argv[2]);
        if (!in) return fail(std::string("cannot read ") + argv[2]);
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            std::vector<llama_token> ids;
            long id;
            while (fields >> id) ids.push_back(llama_token(id));
            if (!ids.empty()) sequences.push_back(std::move(ids));
        }
    }
    size_t longest = 1;
    for (const auto& s : sequences) longest = std::max(longest, s.size());

    llama_log_set(quiet_log, nullptr);
    ggml_backend_load_all_from_path(LLAMA_BINS_DIR);
    llama_backend_init();

    llama_model_params mp = llama_model_default_params();
    llama_model* model = llama_model_load_from_file(argv[1], mp);
    if (!model) return fail(std::string("cannot load ") + argv[1]);

    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = uint32_t(longest);
    cp.n_batch = uint32_t(longest);
    cp.n_ubatch = uint32_t(longest);  // an encoder needs the whole sequence in one micro-batch
    cp.n_seq_max = 1;
    cp.embeddings = true;
    cp.pooling_type = LLAMA_POOLING_TYPE_MEAN;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    llama_context* ctx = llama_init_from_model(model, cp);
    if (!ctx) return fail("cannot create a context");

    const int n_embd = llama_model_n_embd(model);
    std::vector<float> out;
    for (const auto& ids : sequences) {
        llama_batch batch = llama_batch_init(int32_t(ids.size()), 0, 1);
        for (size_t i = 0; i < ids.size(); ++i) {
            batch.token[i] = ids[i];
            batch.pos[i] = llama_pos(i);
            batch.n_seq_id[i] = 1;
            batch.seq_id[i][0] = 0;
            batch.logits[i] = 1;
        }
        batch.n_tokens = int32_t(ids.size());
        if (llama_encode(ctx, batch) != 0) return fail("llama_encode failed");
        const float* e = llama_get_embeddings_seq(ctx, 0);
        if (!e) return fail("no pooled embedding");
        out.insert(out.end(), e, e + n_embd);
        llama_batch_free(batch);
    }

    FILE* f = std::fopen(argv[3], "wb");
    if (!f || std::fwrite(out.data(), sizeof(float), out.size(), f) != out.size()) return fail("cannot write output");
    std::fclose(f);
    std::printf("%zu %d\n", sequences.size(), n_embd);

    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    return 0;
}
