// Reads text lines from a file, a gzip-compressed file (detected by its magic bytes), or stdin
// ("-"), keeping the line number for error messages. Used for every JSONL input.
#pragma once

#include <cstddef>
#include <string>

namespace gavel {

class LineReader {
public:
    explicit LineReader(const std::string& path);
    ~LineReader();
    LineReader(const LineReader&) = delete;
    LineReader& operator=(const LineReader&) = delete;

    // Reads the next line without its '\n' (and a '\r' before it); false at end of input.
    bool next(std::string& line);
    // 1-based number of the line last returned.
    size_t line_number() const { return line_number_; }
    const std::string& path() const { return path_; }
    // "pairs.jsonl:12", for messages.
    std::string where() const;

private:
    std::string path_;
    void* gz_ = nullptr;  // gzFile
    size_t line_number_ = 0;
    char buffer_[1 << 16];
};

}  // namespace gavel
