// Finding a model on the local disk. The CLI's MODEL argument goes through here; hub resolution
// (downloading into the cache) sits in front of it and hands over a local path.
#pragma once

#include <filesystem>
#include <string>

namespace gavel {

// Checks that `model` names a model on disk: a folder with config.json or .safetensors files, a
// .safetensors file, or a model.safetensors.index.json; fails saying which of these is missing.
std::filesystem::path resolve_local_model(const std::string& model);

}  // namespace gavel
