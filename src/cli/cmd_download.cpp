#include <cstdio>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "io/hub.hpp"

namespace gavel::cli {

int run_download(int argc, char** argv) {
    Options opts("download",
                 "Download a model from the Hugging Face hub into the Hugging Face cache (shared with Python tools)\n"
                 "and print the local snapshot directory. Files already in the cache are not downloaded again, and an\n"
                 "interrupted download resumes where it stopped.",
                 "MODEL [--include PATTERN ...] [--revision R]");
    opts.positional("MODEL", "repo id org/name or org/name@revision (an existing directory is printed as is)", 1, 1)
        .value("--include", "PATTERN",
               "download the files matching this glob, repeatable (default: *.json and *.safetensors, i.e. configs, "
               "tokenizer and weights; '*' for every file)")
        .value("--revision", "R", "branch, tag or commit to download", "main")
        .flag("--refresh", "ask the hub which commit the revision is now, even when the cache already has it")
        .epilog(
            "environment:\n"
            "  HF_HOME                  Hugging Face home (default ~/.cache/huggingface)\n"
            "  HF_HUB_CACHE             the cache of downloaded repos (default $HF_HOME/hub)\n"
            "  HF_ENDPOINT              the hub to download from (default https://huggingface.co)\n"
            "  HF_TOKEN                 access token for private and gated repos (else the file $HF_HOME/token,\n"
            "                           as written by 'huggingface-cli login')\n"
            "  HF_HUB_OFFLINE=1         never touch the network: use only what is in the cache\n"
            "  HF_HUB_DISABLE_PROGRESS_BARS=1  no progress bar\n"
            "  HF_HUB_ETAG_TIMEOUT      seconds to wait for a connection (default 10)\n"
            "  HF_HUB_DOWNLOAD_TIMEOUT  seconds a transfer may stall before it is abandoned (default 30)\n"
            "\n"
            "A repo whose revision is already in the cache with files matching every pattern is answered from the\n"
            "cache without any network request (use --refresh to look for a newer commit of a branch).\n"
            "\n"
            "examples:\n"
            "  gavel download ZiyiYe/Con-J-Qwen2-7B\n"
            "  gavel download kaleinaNyan/jina-v3-rullmarena-judge --include '*.json' --include model.safetensors\n");
    opts.parse(argc, argv);

    HubOptions hub = HubOptions::from_environment();
    std::string model = opts.args().front();
    if (opts.has("--revision")) {
        auto spec = parse_repo_spec(model);
        if (spec && spec->revision && *spec->revision != opts.get("--revision"))
            throw UsageError{"MODEL names revision '" + *spec->revision + "' and --revision says '" +
                             opts.get("--revision") + "': give one"};
        hub.revision = opts.get("--revision");
    }
    hub.refresh = opts.has("--refresh");
    std::vector<std::string> patterns = opts.get_all("--include");
    if (patterns.empty()) patterns = {"*.json", "*.safetensors"};
    std::printf("%s\n", resolve_model(model, patterns, hub).string().c_str());
    return 0;
}

}  // namespace gavel::cli
