#include "io/model_dir.hpp"

#include "core/error.hpp"

namespace gavel {

std::filesystem::path resolve_local_model(const std::string& model) {
    std::filesystem::path path(model);
    std::error_code ec;
    auto status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status)) fail("{}: no such file or folder", model);
    if (std::filesystem::is_directory(status)) {
        if (std::filesystem::exists(path / "config.json", ec)) return path;
        for (const auto& entry : std::filesystem::directory_iterator(path, ec))
            if (entry.path().extension() == ".safetensors") return path;
        fail("{}: not a model folder: it has no config.json and no .safetensors file", model);
    }
    std::string name = path.filename().string();
    if (name.ends_with(".safetensors") || name.ends_with(".safetensors.index.json")) return path;
    fail("{}: not a model: expected a folder, a .safetensors file or a .safetensors.index.json", model);
}

}  // namespace gavel
