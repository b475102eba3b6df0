// The gavel subcommands. Each lives in cmd_<name>.cpp, parses its own Options, and returns the
// process exit status; errors are thrown as gavel::Error and reported by main().
#pragma once

#include <string_view>

namespace gavel::cli {

using CommandFn = int (*)(int argc, char** argv);

struct Command {
    std::string_view name;
    std::string_view summary;
    CommandFn run;
    bool developer = false;  // listed under "developer commands" in `gavel --help`
};

int run_version(int argc, char** argv);
int run_judge(int argc, char** argv);
int run_demo(int argc, char** argv);
int run_inspect(int argc, char** argv);
int run_generate(int argc, char** argv);
int run_verdict(int argc, char** argv);
int run_make_model(int argc, char** argv);
int run_download(int argc, char** argv);
int run_eval(int argc, char** argv);
int run_arena(int argc, char** argv);
int run_tokenize(int argc, char** argv);
int run_embed(int argc, char** argv);
int run_bench(int argc, char** argv);

}  // namespace gavel::cli
