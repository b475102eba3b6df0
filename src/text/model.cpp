#include "text/model.hpp"

#include "core/error.hpp"
#include "text/bpe_model.hpp"
#include "text/unigram_model.hpp"

namespace gavel::text {

std::unique_ptr<Model> make_model(const Json& config, const std::string& where) {
    if (!config.is_object()) fail("{}: must be an object", where);
    std::string type;
    if (config.contains("type")) {
        type = require_string(config, "type", where);
    } else if (config.contains("merges")) {
        type = "BPE";  // old files leave the type out; HF recognises the model by its fields
    } else if (config.contains("vocab") && config["vocab"].is_array()) {
        type = "Unigram";
    }
    if (type == "BPE") return std::make_unique<BpeModel>(config, where);
    if (type == "Unigram") return std::make_unique<UnigramModel>(config, where);
    if (type.empty()) fail("{}: missing field 'type'", where);
    fail("{}: model type '{}' is not supported (gavel supports BPE and Unigram)", where, type);
}

}  // namespace gavel::text
