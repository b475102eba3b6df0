// A one-line progress bar on stderr (items/s and ETA), drawn only when stderr is a terminal.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace gavel {

class Progress {
public:
    // total == 0 means unknown (no bar, no ETA). `unit` names the items ("pairs", "MB").
    // Nothing is drawn when `show` is false or stderr is not a terminal.
    Progress(std::string label, size_t total, std::string unit, bool show = true);
    ~Progress();
    void advance(size_t n = 1);
    void finish();
    bool enabled() const { return enabled_; }

private:
    void draw(bool final);
    std::string label_, unit_;
    size_t total_, done_ = 0;
    bool enabled_, finished_ = false;
    std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace gavel
