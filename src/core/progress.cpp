#include "core/progress.hpp"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

namespace gavel {

Progress::Progress(std::string label, size_t total, std::string unit, bool show)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total),
      enabled_(show && isatty(STDERR_FILENO) != 0), start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() { finish(); }

void Progress::advance(size_t n) {
    done_ += n;
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_draw_ > std::chrono::milliseconds(100)) {
        last_draw_ = now;
        draw(false);
    }
}

void Progress::finish() {
    if (finished_) return;
    finished_ = true;
    if (enabled_) draw(true);
}

void Progress::draw(bool final) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    double rate = secs > 0 ? double(done_) / secs : 0.0;
    std::string line;
    if (total_ > 0) {
        constexpr int kWidth = 30;
        int filled = int(kWidth * double(done_) / double(total_));
        if (filled > kWidth) filled = kWidth;
        double eta = rate > 0 ? double(total_ - std::min(done_, total_)) / rate : 0.0;
        line = fmt::format("\r{} [{}{}] {}/{} {} {:.2f} {}/s ETA {:.0f}s ", label_, std::string(filled, '#'),
                           std::string(kWidth - filled, '.'), done_, total_, unit_, rate, unit_, eta);
    } else {
        line = fmt::format("\r{} {} {} {:.2f} {}/s ", label_, done_, unit_, rate, unit_);
    }
    std::fputs(line.c_str(), stderr);
    if (final) std::fputs("\n", stderr);
    std::fflush(stderr);
}

}  // namespace gavel
