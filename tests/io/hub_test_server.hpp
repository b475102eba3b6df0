// Test helpers for the hub downloads: a temporary directory, the stand-in hub server
// (tests/io/hub_server.py on 127.0.0.1, port chosen by the kernel), its request log, generated
// repo files, and running the gavel binary with a chosen environment.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/json.hpp"

extern char** environ;

namespace gavel::testing {

namespace fs = std::filesystem;

class TempDir {
public:
    TempDir() {
        std::string pattern = ::testing::TempDir() + "gavel-hub-XXXXXX";
        std::vector<char> buffer(pattern.begin(), pattern.end());
        buffer.push_back('\0');
        if (!::mkdtemp(buffer.data())) throw std::runtime_error("mkdtemp failed");
        path_ = buffer.data();
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

inline std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

inline void write_file(const fs::path& path, const std::string& data) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << data;
}

// `size` pseudo-random bytes from `seed`: stands in for a weights file.
inline std::string random_bytes(size_t size, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::string out(size, '\0');
    for (auto& c : out) c = char(rng() & 0xff);
    return out;
}

// The stand-in hub: started in the constructor with `config` (see hub_server.py), stopped in the
// destructor or by stop().
class HubTestServer {
public:
    HubTestServer(const fs::path& dir, Json config) : log_path_(dir / "requests.log") {
        // A proxy configured on the machine must not intercept requests to the local server.
        ::setenv("no_proxy", "127.0.0.1,localhost", 1);
        ::setenv("NO_PROXY", "127.0.0.1,localhost", 1);
        config["log_path"] = log_path_.string();
        config["manifest_path"] = (dir / "manifest.json").string();
        fs::path config_path = dir / "hub_config.json";
        write_file(config_path, config.dump(2));
        int pipe_fds[2];
        if (::pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
        std::string python = "/usr/bin/python3", script = std::string(GAVEL_SOURCE_DIR) + "/tests/io/hub_server.py",
                    config_arg = config_path.string();
        char* argv[] = {python.data(), script.data(), config_arg.data(), nullptr};
        int rc = ::posix_spawn(&pid_, python.c_str(), &actions, nullptr, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(pipe_fds[1]);
        if (rc != 0) {
            ::close(pipe_fds[0]);
            throw std::runtime_error("cannot start /usr/bin/python3: " + std::string(std::strerror(rc)));
        }
        // The server prints its port once listening; a broken server must not hang the test.
        std::string line;
        pollfd pfd{pipe_fds[0], POLLIN, 0};
        while (line.find('\n') == std::string::npos && ::poll(&pfd, 1, 30000) > 0) {
            char buffer[64];
            ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
            if (n <= 0) break;
            line.append(buffer, size_t(n));
        }
        ::close(pipe_fds[0]);
        port_ = std::atoi(line.c_str());
        if (port_ <= 0) {
            stop();
            throw std::runtime_error("hub_server.py did not report a port (got '" + line + "')");
        }
        manifest_ = Json::parse(read_file(dir / "manifest.json"));
    }
    ~HubTestServer() { stop(); }
    HubTestServer(const HubTestServer&) = delete;
    HubTestServer& operator=(const HubTestServer&) = delete;

    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }
    int port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

    // The ETag the server sends for a file (sha256 for LFS files, git blob sha1 otherwise).
    std::string etag(const std::string& repo, const std::string& file) const { return manifest_.at(repo).at(file); }

    // Every request the server has seen, oldest first.
    std::vector<Json> requests() const {
        std::vector<Json> out;
        std::ifstream in(log_path_);
        std::string line;
        while (std::getline(in, line))
            if (!line.empty()) out.push_back(Json::parse(line));
        return out;
    }

private:
    fs::path log_path_;
    Json manifest_;
    pid_t pid_ = -1;
    int port_ = 0;
};

struct ProcessResult {
    int exit_code = -1;
    std::string out, err;
};

// Runs `args` (args[0] is the program) with the environment less every HF_* variable, plus `env`.
inline ProcessResult run_process(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                                 const fs::path& scratch) {
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e)
        if (std::strncmp(*e, "HF_", 3) != 0 && std::strncmp(*e, "TRANSFORMERS_", 13) != 0) env_strings.push_back(*e);
    for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp, argv;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> arg_copies = args;
    for (auto& s : arg_copies) argv.push_back(s.data());
    argv.push_back(nullptr);
    fs::path out_path = scratch / "stdout.txt", err_path = scratch / "stderr.txt";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ProcessResult result;
    if (rc != 0) return result;
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = read_file(out_path);
    result.err = read_file(err_path);
    return result;
}

}  // namespace gavel::testing
