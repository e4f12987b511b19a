// Helpers shared by the viewer tests: temporary folders and pixel classification.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "app.hpp"

namespace zzp::viewer::test {

inline std::string temp_dir(const std::string& name) {
    auto p = std::filesystem::temp_directory_path() /
             ("zzp-viewer-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(p);
    std::filesystem::create_directories(p);
    return p.string();
}

struct Px {
    int r, g, b;
};
inline Px pixel(const std::vector<uint8_t>& img, int w, int x, int y) {
    size_t i = (size_t(y) * size_t(w) + size_t(x)) * 4;
    return {img[i], img[i + 1], img[i + 2]};
}
inline bool near(Px p, Rgba c, int tol = 3) {
    return std::abs(p.r - int(std::lround(c.r * 255))) <= tol && std::abs(p.g - int(std::lround(c.g * 255))) <= tol &&
           std::abs(p.b - int(std::lround(c.b * 255))) <= tol;
}
// Background, grid and reference lines: everything in a lane that is not data.
inline bool is_data(Px p) {
    return !near(p, kLaneBackground) && !near(p, kBackground) && !near(p, {0.3f, 0.32f, 0.36f, 1}) &&
           !near(p, {0.18f, 0.19f, 0.22f, 1});
}
inline bool is_loss_red(Px p) { return p.r > 140 && p.g < 60 && p.b < 60; }
inline bool is_no_data_gray(Px p) { return near(p, {0.24f, 0.24f, 0.26f, 1}); }

}  // namespace zzp::viewer::test
