// The arena leaderboard: ranked models with score, confidence interval, rating, battle counts and
// average answer tokens, plus notes that explain every degenerate or dropped input; rendered as
// a terminal table, CSV, JSON and an HTML page with an SVG chart of scores and CI whiskers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "arena/answer_lengths.hpp"
#include "arena/arena_ratings.hpp"
#include "arena/battle_loader.hpp"
#include "core/json.hpp"

namespace gavel::arena {

struct LeaderboardSettings {
    RatingOptions rating;
    std::optional<std::string> baseline;
    int strong_weight = 3;
    bool length_control = false;
};

struct LeaderboardRow {
    size_t rank = 0;  // 0 for models that could not be rated
    std::string model;
    double rating = 0, rating_lower = 0, rating_upper = 0;
    double score = 0, score_lower = 0, score_upper = 0;  // percent against the baseline
    size_t battles = 0, wins = 0, losses = 0, ties = 0;  // battle rows (self-battles count as battles only)
    std::optional<double> avg_tokens;
    size_t rounds_present = 0;
};

struct Leaderboard {
    LeaderboardSettings settings;
    BattleLoadReport inputs;
    size_t battles = 0;
    std::vector<LeaderboardRow> rows;  // rated models by rating, then the others
    std::vector<std::string> notes;    // what was dropped, degenerate, or only a bound
    RatingResult ratings;
    std::vector<std::string> models;  // model names by id, for the bootstrap table
};

Leaderboard build_leaderboard(const BattleTable& table, RatingResult ratings, const LeaderboardSettings& settings,
                              const BattleLoadReport& inputs, const AnswerLengths* answers);

// x rounded to 2 decimals the way Python's round(x, 2) does (correctly rounded from the binary
// value), which is what the arenas print from.
double round2(double x);

std::string leaderboard_table(const Leaderboard& board);
std::string leaderboard_csv(const Leaderboard& board);
Json leaderboard_json(const Leaderboard& board);
std::string leaderboard_svg(const Leaderboard& board);
std::string leaderboard_html(const Leaderboard& board, const std::string& svg);

}  // namespace gavel::arena
