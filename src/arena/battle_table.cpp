#include "arena/battle_table.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace gavel::arena {

uint32_t BattleTable::model_id(const std::string& name) {
    auto [it, inserted] = model_index.try_emplace(name, static_cast<uint32_t>(models.size()));
    if (inserted) models.push_back(name);
    return it->second;
}

std::optional<uint32_t> BattleTable::find_model(const std::string& name) const {
    auto it = model_index.find(name);
    if (it == model_index.end()) return std::nullopt;
    return it->second;
}

void BattleTable::add(uint32_t model_a, uint32_t model_b, BattleOutcome result, double w) {
    if (model_a >= models.size() || model_b >= models.size()) fail("battle names model id {} of {}", std::max(model_a, model_b), models.size());
    a.push_back(model_a);
    b.push_back(model_b);
    outcome.push_back(result);
    weight.push_back(w);
}

bool BattleTable::unit_weights() const {
    return std::all_of(weight.begin(), weight.end(), [](double w) { return w == 1.0; });
}

}  // namespace gavel::arena
