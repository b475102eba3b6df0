// Runs the built gavel binary (GAVEL_BINARY) for CLI tests: exit status, stdout and stderr.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace gavel::testing {

struct CliResult {
    int status = -1;
    std::string out, err;
};

inline std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) {
        if (c == '\'') q += "'\\''";
        else q += c;
    }
    q += '\'';
    return q;
}

// `args` are quoted one by one; stderr goes through a file beside `scratch`.
inline CliResult run_gavel(const std::vector<std::string>& args, const std::filesystem::path& scratch) {
    std::string cmd = shell_quote(GAVEL_BINARY);
    for (const auto& a : args) {
        cmd += ' ';
        cmd += shell_quote(a);
    }
    std::filesystem::path err_file = scratch / "stderr.txt";
    cmd += " 2>";
    cmd += shell_quote(err_file.string());
    CliResult r;
    FILE* pipe = ::popen(cmd.c_str(), "r");
    if (!pipe) return r;
    char buffer[65536];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.out.append(buffer, n);
    int raw = ::pclose(pipe);
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    std::ifstream in(err_file);
    r.err.assign(std::istreambuf_iterator<char>(in), {});
    return r;
}

}  // namespace gavel::testing
