#include "cli/options.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

namespace gavel::cli {

Options::Options(std::string command, std::string summary, std::string usage)
    : command_(std::move(command)), summary_(std::move(summary)), usage_(std::move(usage)) {
    flag("--help", "show this help and exit");
}

Options& Options::flag(const std::string& name, const std::string& help) {
    specs_.push_back({name, "", help, false, std::nullopt});
    return *this;
}

Options& Options::value(const std::string& name, const std::string& metavar, const std::string& help,
                        std::optional<std::string> fallback) {
    specs_.push_back({name, metavar, help, true, std::move(fallback)});
    return *this;
}

Options& Options::positional(const std::string& metavar, const std::string& help, size_t min, size_t max) {
    positional_metavar_ = metavar;
    positional_help_ = help;
    positional_min_ = min;
    positional_max_ = max;
    return *this;
}

Options& Options::epilog(const std::string& text) {
    epilog_ = text;
    return *this;
}

const Options::Spec& Options::spec(const std::string& name) const {
    for (const auto& s : specs_)
        if (s.name == name) return s;
    // A programming error in a subcommand, not a user error.
    std::fprintf(stderr, "gavel: internal error: option %s was never declared\n", name.c_str());
    std::abort();
}

void Options::parse(int argc, char** argv) {
    bool only_positionals = false;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (only_positionals || arg.size() < 2 || arg[0] != '-' || arg == "-") {
            positionals_.push_back(arg);
            continue;
        }
        if (arg == "--") {
            only_positionals = true;
            continue;
        }
        std::string name = arg, inline_value;
        bool has_inline = false;
        if (auto eq = arg.find('='); eq != std::string::npos && arg.rfind("--", 0) == 0) {
            name = arg.substr(0, eq);
            inline_value = arg.substr(eq + 1);
            has_inline = true;
        }
        const Spec* found = nullptr;
        for (const auto& s : specs_)
            if (s.name == name) found = &s;
        if (!found) throw UsageError{fmt::format("unknown option '{}'", name)};
        if (name == "--help") {
            std::fputs(help().c_str(), stdout);
            throw HelpShown{};
        }
        if (!found->takes_value) {
            if (has_inline) throw UsageError{fmt::format("option '{}' takes no value", name)};
            given_[name].push_back("");
            continue;
        }
        if (!has_inline) {
            if (i + 1 >= argc) throw UsageError{fmt::format("option '{}' needs a value ({})", name, found->metavar)};
            inline_value = argv[++i];
        }
        given_[name].push_back(inline_value);
    }
    if (positionals_.size() < positional_min_ || positionals_.size() > positional_max_) {
        if (positional_max_ == 0)
            throw UsageError{fmt::format("unexpected argument '{}'", positionals_.front())};
        throw UsageError{fmt::format("expected {} {} argument{}, got {}",
                                     positional_min_ == positional_max_ ? fmt::format("{}", positional_min_)
                                                                        : fmt::format("{} to {}", positional_min_,
                                                                                      positional_max_),
                                     positional_metavar_, positional_max_ == 1 ? "" : "s", positionals_.size())};
    }
}

bool Options::has(const std::string& name) const {
    spec(name);
    return given_.count(name) > 0;
}

std::optional<std::string> Options::get_optional(const std::string& name) const {
    const Spec& s = spec(name);
    if (auto it = given_.find(name); it != given_.end()) return it->second.back();
    return s.fallback;
}

std::string Options::get(const std::string& name) const {
    auto v = get_optional(name);
    if (!v) throw UsageError{fmt::format("option '{}' is required", name)};
    return *v;
}

std::vector<std::string> Options::get_all(const std::string& name) const {
    spec(name);
    if (auto it = given_.find(name); it != given_.end()) return it->second;
    return {};
}

long long Options::get_int(const std::string& name) const {
    std::string v = get(name);
    char* end = nullptr;
    errno = 0;
    long long x = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || errno) throw UsageError{fmt::format("option '{}' needs an integer, got '{}'", name, v)};
    return x;
}

double Options::get_double(const std::string& name) const {
    std::string v = get(name);
    char* end = nullptr;
    errno = 0;
    double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || errno) throw UsageError{fmt::format("option '{}' needs a number, got '{}'", name, v)};
    return x;
}

std::string Options::help() const {
    std::string out = fmt::format("usage: gavel {} {}\n\n{}\n", command_, usage_, summary_);
    if (!positional_metavar_.empty()) out += fmt::format("\narguments:\n  {:<28} {}\n", positional_metavar_, positional_help_);
    out += "\noptions:\n";
    for (const auto& s : specs_) {
        std::string left = s.takes_value ? s.name + " " + s.metavar : s.name;
        std::string right = s.help;
        if (s.fallback && !s.fallback->empty()) right += fmt::format(" (default: {})", *s.fallback);
        out += fmt::format("  {:<28} {}\n", left, right);
    }
    if (!epilog_.empty()) out += "\n" + epilog_ + (epilog_.back() == '\n' ? "" : "\n");
    return out;
}

}  // namespace gavel::cli
