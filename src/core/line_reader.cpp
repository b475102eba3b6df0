#include "core/line_reader.hpp"

#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace gavel {

LineReader::LineReader(const std::string& path) : path_(path == "-" ? "stdin" : path) {
    // gzdopen/gzopen read plain files unchanged, so one code path serves both.
    gzFile f = path == "-" ? gzdopen(dup(STDIN_FILENO), "rb") : gzopen(path.c_str(), "rb");
    if (!f) fail("{}: cannot open: {}", path_, std::strerror(errno));
    gzbuffer(f, 1 << 17);
    gz_ = f;
}

LineReader::~LineReader() {
    if (gz_) gzclose(static_cast<gzFile>(gz_));
}

bool LineReader::next(std::string& line) {
    line.clear();
    auto f = static_cast<gzFile>(gz_);
    bool any = false;
    while (gzgets(f, buffer_, sizeof buffer_)) {
        any = true;
        size_t n = std::strlen(buffer_);
        // A raw NUL byte (never valid in JSON text) cuts the line short; the parser then rejects it.
        line.append(buffer_, n);
        if (n > 0 && buffer_[n - 1] == '\n') break;
        if (n < sizeof buffer_ - 1 && gzeof(f)) break;
    }
    int err = 0;
    const char* msg = gzerror(f, &err);
    if (err != Z_OK && err != Z_STREAM_END) fail("{}: read error after line {}: {}", path_, line_number_, msg);
    if (!any) return false;
    ++line_number_;
    if (!line.empty() && line.back() == '\n') line.pop_back();
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
}

std::string LineReader::where() const { return path_ + ":" + std::to_string(line_number_); }

}  // namespace gavel
