#include "io/safetensors_writer.hpp"

#include <algorithm>
#include <cstring>
#include <memory>

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/tensor.hpp"
#include "io/atomic_file.hpp"
#include "io/safetensors_index.hpp"

namespace gavel {

namespace {

constexpr size_t kChunkBytes = size_t(4) << 20;  // a multiple of every element size

uint64_t shape_bytes(DType dtype, const std::vector<int64_t>& shape) {
    uint64_t n = dtype_size(dtype);
    for (int64_t d : shape) {
        if (d < 0) fail("tensor shape {} has a negative dimension", shape_string(shape));
        n *= uint64_t(d);
    }
    return n;
}

}  // namespace

uint64_t TensorToWrite::nbytes() const { return shape_bytes(dtype, shape); }

void encode_floats(std::span<const float> values, DType dtype, uint8_t* out) {
    switch (dtype) {
        case DType::F32:
            std::memcpy(out, values.data(), values.size() * 4);
            return;
        case DType::F64:
            for (size_t i = 0; i < values.size(); ++i) {
                double d = values[i];
                std::memcpy(out + 8 * i, &d, 8);
            }
            return;
        case DType::BF16:
            for (size_t i = 0; i < values.size(); ++i) {
                uint16_t h = f32_to_bf16(values[i]);
                std::memcpy(out + 2 * i, &h, 2);
            }
            return;
        case DType::F16:
            for (size_t i = 0; i < values.size(); ++i) {
                uint16_t h = f32_to_f16(values[i]);
                std::memcpy(out + 2 * i, &h, 2);
            }
            return;
        default:
            fail("cannot encode float values as {}: write the raw bytes instead", dtype_name(dtype));
    }
}

void SafetensorsWriter::add(TensorToWrite tensor) {
    for (const auto& t : tensors_)
        if (t.name == tensor.name) fail("safetensors writer: tensor '{}' added twice", tensor.name);
    tensor.nbytes();  // rejects negative dimensions now rather than at write time
    tensors_.push_back(std::move(tensor));
}

void SafetensorsWriter::add(std::string name, DType dtype, std::vector<int64_t> shape, std::vector<uint8_t> bytes) {
    uint64_t needed = shape_bytes(dtype, shape);
    if (needed != bytes.size())
        fail("safetensors writer: tensor '{}' {} x {} needs {} bytes, got {}", name, shape_string(shape),
             dtype_name(dtype), needed, bytes.size());
    auto data = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
    add(TensorToWrite{std::move(name), dtype, std::move(shape), [data](uint8_t* out, uint64_t offset, size_t n) {
                          std::memcpy(out, data->data() + offset, n);
                      }});
}

void SafetensorsWriter::add_floats(std::string name, DType dtype, std::vector<int64_t> shape,
                                   std::span<const float> values) {
    uint64_t needed = shape_bytes(dtype, shape);
    if (needed != values.size() * dtype_size(dtype))
        fail("safetensors writer: tensor '{}' {} needs {} values, got {}", name, shape_string(shape),
             needed / dtype_size(dtype), values.size());
    std::vector<uint8_t> bytes(needed);
    encode_floats(values, dtype, bytes.data());
    add(std::move(name), dtype, std::move(shape), std::move(bytes));
}

void SafetensorsWriter::add_zeros(std::string name, DType dtype, std::vector<int64_t> shape) {
    add(TensorToWrite{std::move(name), dtype, std::move(shape), {}});
}

uint64_t SafetensorsWriter::data_bytes() const {
    uint64_t total = 0;
    for (const auto& t : tensors_) total += t.nbytes();
    return total;
}

void SafetensorsWriter::write(const std::filesystem::path& path) const {
    std::vector<const TensorToWrite*> layout;
    for (const auto& t : tensors_) layout.push_back(&t);
    std::stable_sort(layout.begin(), layout.end(), [](const TensorToWrite* a, const TensorToWrite* b) {
        return dtype_size(a->dtype) > dtype_size(b->dtype);
    });

    OrderedJson header = OrderedJson::object();
    if (!metadata_.empty()) header["__metadata__"] = metadata_;
    uint64_t offset = 0;
    for (const auto* t : layout) {
        uint64_t n = t->nbytes();
        header[t->name] = {{"dtype", std::string(dtype_name(t->dtype))}, {"shape", t->shape}, {"data_offsets", {offset, offset + n}}};
        offset += n;
    }
    std::string text = header.dump();
    // Padding the header with spaces to a multiple of 8 keeps the data section 8-byte aligned.
    text.append((8 - text.size() % 8) % 8, ' ');
    uint8_t prefix[8];
    for (int i = 0; i < 8; ++i) prefix[i] = uint8_t(uint64_t(text.size()) >> (8 * i));

    AtomicFile file(path);
    file.write_at(0, prefix, 8);
    file.write_at(8, text.data(), text.size());
    uint64_t data_start = 8 + text.size();
    std::vector<uint8_t> chunk;
    offset = 0;
    for (const auto* t : layout) {
        uint64_t n = t->nbytes();
        if (t->produce) {
            chunk.resize(size_t(std::min<uint64_t>(kChunkBytes, n)));
            for (uint64_t done = 0; done < n;) {
                size_t step = size_t(std::min<uint64_t>(chunk.size(), n - done));
                t->produce(chunk.data(), done, step);
                file.write_at(data_start + offset + done, chunk.data(), step);
                done += step;
            }
        }
        offset += n;
    }
    file.resize(data_start + offset);
    file.commit();
}

std::vector<std::string> write_safetensors_checkpoint(const std::vector<TensorToWrite>& tensors,
                                                      const std::filesystem::path& dir, uint64_t max_shard_bytes,
                                                      const std::map<std::string, std::string>& metadata) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) fail("{}: cannot create the folder: {}", dir.string(), ec.message());
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        std::string name = entry.path().filename().string();
        bool old_shard = name.rfind("model-", 0) == 0 && name.find("-of-") != std::string::npos &&
                         name.size() > 12 && name.ends_with(".safetensors");
        if (name == kSafetensorsSingleName || name == kSafetensorsIndexName || old_shard)
            std::filesystem::remove(entry.path());
    }

    // Greedy, in order, like transformers' shard_checkpoint: a tensor that would push the shard
    // past the cap starts the next one (a tensor larger than the cap gets a shard of its own).
    std::vector<std::vector<const TensorToWrite*>> shards(1);
    uint64_t shard_bytes = 0;
    for (const auto& t : tensors) {
        uint64_t n = t.nbytes();
        if (!shards.back().empty() && shard_bytes + n > max_shard_bytes) {
            shards.emplace_back();
            shard_bytes = 0;
        }
        shards.back().push_back(&t);
        shard_bytes += n;
    }

    auto write_shard = [&](const std::vector<const TensorToWrite*>& members, const std::filesystem::path& path) {
        SafetensorsWriter writer;
        for (const auto& [k, v] : metadata) writer.set_metadata(k, v);
        for (const auto* t : members) writer.add(*t);
        writer.write(path);
    };
    if (shards.size() == 1) {
        write_shard(shards[0], dir / kSafetensorsSingleName);
        return {std::string(kSafetensorsSingleName)};
    }
    std::vector<std::string> written;
    SafetensorsIndex index;
    index.total_size = 0;
    for (size_t i = 0; i < shards.size(); ++i) {
        std::string name = fmt::format("model-{:05d}-of-{:05d}.safetensors", i + 1, shards.size());
        write_shard(shards[i], dir / name);
        for (const auto* t : shards[i]) {
            index.weight_map[t->name] = name;
            *index.total_size += t->nbytes();
        }
        written.push_back(name);
    }
    write_file_atomically(dir / kSafetensorsIndexName, format_safetensors_index(index));
    written.emplace_back(kSafetensorsIndexName);
    return written;
}

}  // namespace gavel
