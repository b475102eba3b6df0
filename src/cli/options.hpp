// Command-line options for one subcommand: declared with their help text, parsed once, and
// printed by --help. Every gavel subcommand uses this, so all behave alike.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gavel::cli {

// Thrown by Options::parse after printing --help; main() turns it into exit status 0.
struct HelpShown {};
// A usage error (unknown option, missing value); main() prints it with a hint and exits 2.
struct UsageError {
    std::string message;
};

class Options {
public:
    // `usage` is the synopsis after the command name, e.g. "MODEL [--json]".
    Options(std::string command, std::string summary, std::string usage);

    // A boolean switch such as --json.
    Options& flag(const std::string& name, const std::string& help);
    // An option taking a value (`--threads N`); `fallback` is shown in --help and used when absent.
    Options& value(const std::string& name, const std::string& metavar, const std::string& help,
                   std::optional<std::string> fallback = std::nullopt);
    // Names positional arguments for --help; `min`/`max` bound how many are accepted.
    Options& positional(const std::string& metavar, const std::string& help, size_t min, size_t max);
    // Free text printed at the end of --help (examples, notes).
    Options& epilog(const std::string& text);

    // Parses argv (argv[0] is the subcommand name). Throws HelpShown or UsageError.
    void parse(int argc, char** argv);

    bool has(const std::string& name) const;
    // The last value given (or the fallback); throws UsageError if neither exists.
    std::string get(const std::string& name) const;
    std::optional<std::string> get_optional(const std::string& name) const;
    // Every value given for a repeatable option, in order.
    std::vector<std::string> get_all(const std::string& name) const;
    long long get_int(const std::string& name) const;
    double get_double(const std::string& name) const;
    const std::vector<std::string>& args() const { return positionals_; }

    std::string help() const;

private:
    struct Spec {
        std::string name, metavar, help;
        bool takes_value = false;
        std::optional<std::string> fallback;
    };
    const Spec& spec(const std::string& name) const;

    std::string command_, summary_, usage_, epilog_;
    std::string positional_metavar_, positional_help_;
    size_t positional_min_ = 0, positional_max_ = 0;
    std::vector<Spec> specs_;
    std::map<std::string, std::vector<std::string>> given_;
    std::vector<std::string> positionals_;
};

}  // namespace gavel::cli
