// OpenGL plumbing: a surface to draw on (a GLFW window, or EGL surfaceless + FBO for headless
// runs), the plot shader, and a small ImGui draw-data renderer (our own, so one GL loader —
// libepoxy — serves both the window and the EGL context).
#pragma once

#include <epoxy/gl.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct ImDrawData;

namespace zzp::viewer {

struct InputEvent {
    enum Type { Move, Down, Up, Wheel, Key, Close } type = Move;
    float x = 0, y = 0;  // pixels, origin top-left
    int button = 0;      // 0 left, 1 right, 2 middle
    float delta = 0;     // wheel: + = zoom in
    int key = 0;         // ASCII upper-case letter/digit, or one of the Key* codes below
    bool shift = false, ctrl = false;
};
enum : int { KeyLeft = 1000, KeyRight, KeyUp, KeyDown, KeyHome, KeyEscape, KeyPageUp, KeyPageDown };

class Surface {
public:
    virtual ~Surface() = default;
    virtual int width() const = 0;
    virtual int height() const = 0;
    virtual GLuint framebuffer() const = 0;  // what to render into
    virtual void present() = 0;              // swap buffers (window) or nothing (FBO)
    // Sleep until an event, wake() or the timeout (seconds); deliver events to `sink`.
    virtual void wait(double timeout_s, const std::function<void(const InputEvent&)>& sink) = 0;
    // Thread-safe: make wait() return now.
    virtual void wake() = 0;
    virtual std::string describe() const = 0;  // "EGL surfaceless, llvmpipe ..." for logs
};

// Throw std::runtime_error with what failed.
std::unique_ptr<Surface> make_egl_surface(int width, int height);
std::unique_ptr<Surface> make_window(int width, int height, const std::string& title);

// Per column data uploaded for the plot shader, in pixels above the lane bottom.
struct ColumnTexels {
    float ymin, ymax, q25, q75;    // envelope and band
    float med_lo, med_hi, flags, loss;  // median segment (joins the previous column), flags, loss
};
inline constexpr float kFlagRtt = 1.f, kFlagClipped = 2.f;
inline constexpr float kLossNoData = -2.f, kLossErrorsOnly = -1.f;

struct Rgba {
    float r, g, b, a;
};

class Renderer {
public:
    Renderer();
    ~Renderer();
    void begin(GLuint fbo, int width, int height, Rgba background);
    // A lane: x0,y0 top-left in pixels (ImGui coordinates), w x h. mode 0 = plot, 1 = loss strip.
    void draw_lane(int slot, const std::vector<ColumnTexels>& cols, float x0, float y0, float w, float h, Rgba color,
                   int mode);
    void fill_rect(float x0, float y0, float w, float h, Rgba color);
    void draw_imgui(ImDrawData* data);
    // Read the current framebuffer as top-down RGBA rows.
    std::vector<uint8_t> read_pixels() const;
    uint64_t plot_vertices = 0;   // this frame: vertices of the plot draws
    uint64_t imgui_vertices = 0;  // this frame: vertices of the text/widget layer

private:
    GLuint plot_prog_ = 0, ui_prog_ = 0, vao_ = 0, ui_vao_ = 0, ui_vbo_ = 0, ui_ibo_ = 0, font_tex_ = 0;
    std::vector<GLuint> lane_tex_;
    int width_ = 0, height_ = 0;
    GLuint fbo_ = 0;
};

bool write_png(const std::string& path, int width, int height, const std::vector<uint8_t>& rgba);

}  // namespace zzp::viewer
