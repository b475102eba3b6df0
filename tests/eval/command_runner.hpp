// Test helpers shared by the eval and arena tests: run the gavel binary or a Python reference
// script, capture what it prints, and compare JSON documents number by number.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gavel::testing {

struct CommandResult {
    int status = -1;
    std::string out;  // stdout and stderr together
};

inline std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

inline CommandResult run_command(const std::string& command) {
    CommandResult r;
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (!pipe) return r;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) r.out.append(buffer, n);
    const int raw = pclose(pipe);
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    return r;
}

inline std::string gavel_command(const std::string& args) { return shell_quote(GAVEL_BINARY) + " " + args; }

// The Python references run with Debian's interpreter, which has numpy, scipy and scikit-learn.
inline std::string python_reference(const std::string& script, const std::string& args) {
    return "/usr/bin/python3 " + shell_quote(std::string(GAVEL_SOURCE_DIR) + "/tools/reference/python/" + script) + " " + args;
}

inline std::string data_path(const std::string& relative) { return std::string(GAVEL_TEST_DATA) + "/" + relative; }

inline nlohmann::json read_json(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return nlohmann::json::parse(s.str());
}

// A fresh directory under the system temp dir, removed when the test ends.
class TempDir {
public:
    TempDir() {
        std::random_device rd;
        path_ = std::filesystem::temp_directory_path() / ("gavel_test_" + std::to_string(rd()) + std::to_string(rd()));
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

// Writes `lines` to a file in `dir`, one per line; returns its path.
inline std::string write_lines(const TempDir& dir, const std::string& name, const std::vector<std::string>& lines) {
    const std::string path = dir.file(name);
    std::ofstream out(path);
    for (const auto& l : lines) out << l << "\n";
    return path;
}

// Every number in `expected` must be in `actual` at the same place, within `tolerance`
// (absolute, or relative for large magnitudes); null must stay null. Returns the differences.
inline void collect_differences(const nlohmann::json& expected, const nlohmann::json& actual, const std::string& where,
                                double tolerance, std::vector<std::string>& out) {
    if (expected.is_object()) {
        for (auto it = expected.begin(); it != expected.end(); ++it) {
            if (!actual.is_object() || !actual.contains(it.key())) {
                out.push_back(where + "." + it.key() + ": missing");
                continue;
            }
            collect_differences(it.value(), actual[it.key()], where + "." + it.key(), tolerance, out);
        }
    } else if (expected.is_array()) {
        if (!actual.is_array() || actual.size() != expected.size()) {
            out.push_back(where + ": array size differs");
            return;
        }
        for (size_t i = 0; i < expected.size(); ++i)
            collect_differences(expected[i], actual[i], where + "[" + std::to_string(i) + "]", tolerance, out);
    } else if (expected.is_number()) {
        if (!actual.is_number()) {
            out.push_back(where + ": expected " + expected.dump() + ", got " + actual.dump());
            return;
        }
        const double e = expected.get<double>(), a = actual.get<double>();
        if (!(std::abs(e - a) <= tolerance * std::max(1.0, std::abs(e))))
            out.push_back(where + ": expected " + expected.dump() + ", got " + actual.dump());
    } else if (expected.is_null()) {
        if (!actual.is_null()) out.push_back(where + ": expected null, got " + actual.dump());
    }
}

inline std::string json_differences(const nlohmann::json& expected, const nlohmann::json& actual, double tolerance) {
    std::vector<std::string> diffs;
    collect_differences(expected, actual, "", tolerance, diffs);
    std::string out;
    for (size_t i = 0; i < diffs.size() && i < 20; ++i) out += diffs[i] + "\n";
    if (diffs.size() > 20) out += std::to_string(diffs.size() - 20) + " more\n";
    return out;
}

}  // namespace gavel::testing
