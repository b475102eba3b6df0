#include "arena/online_elo.hpp"

#include <cmath>

namespace gavel::arena {
namespace {

double finite_or_zero(double x) { return std::isfinite(x) ? x : 0.0; }

}  // namespace

std::vector<double> online_elo(const BattleTable& table, std::span<const uint32_t> rows, const EloParams& params) {
    std::vector<double> r(table.models.size(), params.initial);
    auto play = [&](size_t row) {
        const uint32_t x = table.a[row], y = table.b[row];
        // Expected scores from q = base^(rating / scale), guarded against overflow as Evalica does.
        const double qx = finite_or_zero(std::pow(params.base, r[x] / params.scale));
        const double qy = finite_or_zero(std::pow(params.base, r[y] / params.scale));
        const double q = finite_or_zero(qx + qy);
        const double ex = finite_or_zero(qx / q), ey = finite_or_zero(qy / q);
        const double w = table.weight[row];
        double sx = 0, sy = 0;
        switch (table.outcome[row]) {
            case BattleOutcome::a_wins: sx = w * params.win_weight; break;
            case BattleOutcome::b_wins: sy = w * params.win_weight; break;
            case BattleOutcome::tie: sx = sy = w * params.tie_weight; break;
        }
        r[x] += params.k * (sx - ex);
        r[y] += params.k * (sy - ey);
    };
    if (rows.empty())
        for (size_t row = 0; row < table.size(); ++row) play(row);
    else
        for (uint32_t row : rows) play(row);
    for (double& x : r) x = finite_or_zero(x);
    return r;
}

}  // namespace gavel::arena
