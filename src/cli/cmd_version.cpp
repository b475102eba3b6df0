#include <cstdio>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/cpu_features.hpp"

namespace gavel::cli {

int run_version(int argc, char** argv) {
    Options opts("version", "Print gavel's version, build and the CPU features it will use.", "");
    opts.parse(argc, argv);
    std::printf("gavel %s\n", GAVEL_VERSION);
    std::printf("cpu: %s\n", cpu_features().describe().c_str());
#ifdef GAVEL_HAVE_CUDA
    std::printf("cuda backend: compiled\n");
#else
    std::printf("cuda backend: not compiled\n");
#endif
    return 0;
}

}  // namespace gavel::cli
