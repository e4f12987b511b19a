#include "gl.hpp"

#include <epoxy/egl.h>
#include <GLFW/glfw3.h>
#include <imgui.h>
#include <stb_image_write.h>

#include <chrono>
#include <stdexcept>

namespace zzp::viewer {
namespace {

// ---- EGL surfaceless ---------------------------------------------------------------------------

class EglSurface final : public Surface {
public:
    EglSurface(int w, int h) : w_(w), h_(h) {
        dpy_ = eglGetPlatformDisplayEXT(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, nullptr);
        if (dpy_ == EGL_NO_DISPLAY) throw std::runtime_error("EGL: no surfaceless display (Mesa's EGL is needed)");
        EGLint major = 0, minor = 0;
        if (!eglInitialize(dpy_, &major, &minor)) throw std::runtime_error("EGL: eglInitialize failed");
        if (!eglBindAPI(EGL_OPENGL_API)) throw std::runtime_error("EGL: desktop OpenGL is not available");
        const EGLint attrs[] = {EGL_CONTEXT_MAJOR_VERSION, 3, EGL_CONTEXT_MINOR_VERSION, 3,
                                EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT, EGL_NONE};
        ctx_ = eglCreateContext(dpy_, EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT, attrs);
        if (ctx_ == EGL_NO_CONTEXT) throw std::runtime_error("EGL: cannot create an OpenGL 3.3 core context");
        if (!eglMakeCurrent(dpy_, EGL_NO_SURFACE, EGL_NO_SURFACE, ctx_))
            throw std::runtime_error("EGL: eglMakeCurrent failed");
        glGenFramebuffers(1, &fbo_);
        glGenRenderbuffers(1, &rb_);
        glBindRenderbuffer(GL_RENDERBUFFER, rb_);
        glRenderbufferStorage(GL_RENDERBUFFER, GL_RGBA8, w, h);
        glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
        glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, rb_);
        if (glCheckFramebufferStatus(GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE)
            throw std::runtime_error("EGL: the offscreen framebuffer is incomplete");
    }
    ~EglSurface() override {
        glDeleteFramebuffers(1, &fbo_);
        glDeleteRenderbuffers(1, &rb_);
        eglMakeCurrent(dpy_, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
        eglDestroyContext(dpy_, ctx_);
        eglReleaseThread();
    }
    int width() const override { return w_; }
    int height() const override { return h_; }
    GLuint framebuffer() const override { return fbo_; }
    void present() override { glFlush(); }
    void wait(double timeout_s, const std::function<void(const InputEvent&)>&) override {
        std::unique_lock lock(m_);
        cv_.wait_for(lock, std::chrono::duration<double>(timeout_s), [&] { return woken_; });
        woken_ = false;
    }
    void wake() override {
        {
            std::lock_guard lock(m_);
            woken_ = true;
        }
        cv_.notify_all();
    }
    std::string describe() const override {
        const char* r = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
        return std::string("EGL surfaceless, ") + (r ? r : "?");
    }

private:
    int w_, h_;
    EGLDisplay dpy_ = EGL_NO_DISPLAY;
    EGLContext ctx_ = EGL_NO_CONTEXT;
    GLuint fbo_ = 0, rb_ = 0;
    std::mutex m_;
    std::condition_variable cv_;
    bool woken_ = false;
};

// ---- GLFW window -------------------------------------------------------------------------------

int map_key(int k) {
    if (k >= GLFW_KEY_A && k <= GLFW_KEY_Z) return 'A' + (k - GLFW_KEY_A);
    if (k >= GLFW_KEY_0 && k <= GLFW_KEY_9) return '0' + (k - GLFW_KEY_0);
    switch (k) {
    case GLFW_KEY_LEFT: return KeyLeft;
    case GLFW_KEY_RIGHT: return KeyRight;
    case GLFW_KEY_UP: return KeyUp;
    case GLFW_KEY_DOWN: return KeyDown;
    case GLFW_KEY_HOME: return KeyHome;
    case GLFW_KEY_ESCAPE: return KeyEscape;
    case GLFW_KEY_PAGE_UP: return KeyPageUp;
    case GLFW_KEY_PAGE_DOWN: return KeyPageDown;
    case GLFW_KEY_EQUAL: case GLFW_KEY_KP_ADD: return '+';
    case GLFW_KEY_MINUS: case GLFW_KEY_KP_SUBTRACT: return '-';
    case GLFW_KEY_LEFT_BRACKET: return '[';
    case GLFW_KEY_RIGHT_BRACKET: return ']';
    }
    return 0;
}

class GlfwSurface final : public Surface {
public:
    GlfwSurface(int w, int h, const std::string& title) {
        if (!glfwInit()) throw std::runtime_error("GLFW: cannot initialise (is DISPLAY set? use --headless egl)");
        glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
        glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
        glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
        glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
        win_ = glfwCreateWindow(w, h, title.c_str(), nullptr, nullptr);
        if (!win_) {
            glfwTerminate();
            throw std::runtime_error("GLFW: cannot open a window with OpenGL 3.3 core");
        }
        glfwMakeContextCurrent(win_);
        glfwSwapInterval(0);  // the viewer paces itself (at most ~30 redraws/s)
        glfwSetWindowUserPointer(win_, this);
        glfwSetCursorPosCallback(win_, [](GLFWwindow* wn, double x, double y) {
            self(wn)->push({InputEvent::Move, float(x), float(y)});
        });
        glfwSetMouseButtonCallback(win_, [](GLFWwindow* wn, int b, int action, int mods) {
            double x, y;
            glfwGetCursorPos(wn, &x, &y);
            InputEvent e{action == GLFW_PRESS ? InputEvent::Down : InputEvent::Up, float(x), float(y)};
            e.button = b == GLFW_MOUSE_BUTTON_RIGHT ? 1 : b == GLFW_MOUSE_BUTTON_MIDDLE ? 2 : 0;
            e.shift = mods & GLFW_MOD_SHIFT;
            self(wn)->push(e);
        });
        glfwSetScrollCallback(win_, [](GLFWwindow* wn, double, double dy) {
            double x, y;
            glfwGetCursorPos(wn, &x, &y);
            InputEvent e{InputEvent::Wheel, float(x), float(y)};
            e.delta = float(dy);
            self(wn)->push(e);
        });
        glfwSetKeyCallback(win_, [](GLFWwindow* wn, int key, int, int action, int mods) {
            if (action == GLFW_RELEASE) return;
            InputEvent e{InputEvent::Key};
            e.key = map_key(key);
            e.shift = mods & GLFW_MOD_SHIFT;
            e.ctrl = mods & GLFW_MOD_CONTROL;
            if (e.key) self(wn)->push(e);
        });
        glfwSetWindowRefreshCallback(win_, [](GLFWwindow* wn) { self(wn)->push({InputEvent::Move, -1, -1}); });
        glfwSetFramebufferSizeCallback(win_, [](GLFWwindow* wn, int, int) { self(wn)->push({InputEvent::Move, -1, -1}); });
    }
    ~GlfwSurface() override {
        glfwDestroyWindow(win_);
        glfwTerminate();
    }
    static GlfwSurface* self(GLFWwindow* w) { return static_cast<GlfwSurface*>(glfwGetWindowUserPointer(w)); }
    void push(const InputEvent& e) { pending_.push_back(e); }
    int width() const override {
        int w, h;
        glfwGetFramebufferSize(win_, &w, &h);
        return w;
    }
    int height() const override {
        int w, h;
        glfwGetFramebufferSize(win_, &w, &h);
        return h;
    }
    GLuint framebuffer() const override { return 0; }
    void present() override { glfwSwapBuffers(win_); }
    void wait(double timeout_s, const std::function<void(const InputEvent&)>& sink) override {
        if (timeout_s > 0) glfwWaitEventsTimeout(timeout_s);
        else glfwPollEvents();
        if (glfwWindowShouldClose(win_)) pending_.push_back({InputEvent::Close});
        auto events = std::move(pending_);
        pending_.clear();
        for (const auto& e : events) sink(e);
    }
    void wake() override { glfwPostEmptyEvent(); }
    std::string describe() const override {
        const char* r = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
        return std::string("GLFW window, ") + (r ? r : "?");
    }

private:
    GLFWwindow* win_ = nullptr;
    std::vector<InputEvent> pending_;
};

// ---- shaders -----------------------------------------------------------------------------------

GLuint compile(GLenum type, const char* src) {
    GLuint s = glCreateShader(type);
    glShaderSource(s, 1, &src, nullptr);
    glCompileShader(s);
    GLint ok = 0;
    glGetShaderiv(s, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        char log[2048];
        glGetShaderInfoLog(s, sizeof log, nullptr, log);
        throw std::runtime_error(std::string("shader: ") + log);
    }
    return s;
}

GLuint link(const char* vs, const char* fs) {
    GLuint p = glCreateProgram();
    GLuint a = compile(GL_VERTEX_SHADER, vs), b = compile(GL_FRAGMENT_SHADER, fs);
    glAttachShader(p, a);
    glAttachShader(p, b);
    glLinkProgram(p);
    glDeleteShader(a);
    glDeleteShader(b);
    GLint ok = 0;
    glGetProgramiv(p, GL_LINK_STATUS, &ok);
    if (!ok) throw std::runtime_error("shader program does not link");
    return p;
}

// One quad per lane or strip (4 vertices, no buffers); the fragment shader reads its column.
const char* kPlotVs = R"(#version 330 core
uniform vec4 uRect;   // x0, y0 (GL, bottom), w, h in pixels
uniform vec2 uView;   // framebuffer size
void main() {
    vec2 c = vec2(gl_VertexID & 1, gl_VertexID >> 1);
    vec2 p = uRect.xy + c * uRect.zw;
    gl_Position = vec4(p / uView * 2.0 - 1.0, 0.0, 1.0);
})";

const char* kPlotFs = R"(#version 330 core
uniform sampler2D uCols;
uniform vec4 uRect;
uniform vec4 uColor;
uniform int uMode;
uniform int uFill;
out vec4 o;
void main() {
    if (uFill == 1) { o = uColor; return; }
    int c = int(gl_FragCoord.x - uRect.x);
    float y = gl_FragCoord.y - uRect.y;
    vec4 a = texelFetch(uCols, ivec2(c, 0), 0);
    vec4 b = texelFetch(uCols, ivec2(c, 1), 0);
    if (uMode == 1) {
        if (b.w < -1.5) o = vec4(0.24, 0.24, 0.26, 1.0);                 // no data
        else if (b.w < -0.5) o = vec4(0.95, 0.60, 0.10, 1.0);            // send/net errors only
        else if (b.w > 0.0) {                                            // loss
            // Brightness on a log scale from 0.01 % to 100 %: at a month's zoom nearly every
            // column holds some loss, and a burst must still stand out from the background.
            float s = clamp((log(b.w) / log(10.0) + 4.0) / 4.0, 0.0, 1.0);
            o = vec4(0.56 + 0.44 * s, 0.04 + 0.16 * s, 0.04 + 0.16 * s, 1.0);
        }
        else o = vec4(0.13, 0.30, 0.16, 1.0);                            // all replied
        return;
    }
    if (b.z < 0.5) discard;  // no RTT in this column: a gap, never data
    bool clipped = b.z > 1.5;
    if (clipped && y > uRect.w - 4.0) { o = vec4(1.0, 0.95, 0.3, 1.0); return; }
    if (y >= b.x - 0.5 && y <= b.y + 0.5) { o = vec4(mix(uColor.rgb, vec3(1.0), 0.35), 1.0); return; }
    if (y >= a.z - 0.5 && y <= a.w + 0.5) { o = vec4(uColor.rgb, 0.70); return; }
    if (y >= a.x - 0.5 && y <= a.y + 0.5) { o = vec4(uColor.rgb, 0.32); return; }
    discard;
})";

const char* kUiVs = R"(#version 330 core
layout(location = 0) in vec2 pos;
layout(location = 1) in vec2 uv;
layout(location = 2) in vec4 col;
uniform vec2 uView;
out vec2 vUv;
out vec4 vCol;
void main() {
    vUv = uv;
    vCol = col;
    gl_Position = vec4(pos.x / uView.x * 2.0 - 1.0, 1.0 - pos.y / uView.y * 2.0, 0.0, 1.0);
})";

const char* kUiFs = R"(#version 330 core
uniform sampler2D uTex;
in vec2 vUv;
in vec4 vCol;
out vec4 o;
void main() { o = vCol * texture(uTex, vUv); })";

}  // namespace

std::unique_ptr<Surface> make_egl_surface(int width, int height) { return std::make_unique<EglSurface>(width, height); }
std::unique_ptr<Surface> make_window(int width, int height, const std::string& title) {
    return std::make_unique<GlfwSurface>(width, height, title);
}

Renderer::Renderer() {
    plot_prog_ = link(kPlotVs, kPlotFs);
    ui_prog_ = link(kUiVs, kUiFs);
    glGenVertexArrays(1, &vao_);
    glGenVertexArrays(1, &ui_vao_);
    glGenBuffers(1, &ui_vbo_);
    glGenBuffers(1, &ui_ibo_);
    glBindVertexArray(ui_vao_);
    glBindBuffer(GL_ARRAY_BUFFER, ui_vbo_);
    glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, ui_ibo_);
    glEnableVertexAttribArray(0);
    glEnableVertexAttribArray(1);
    glEnableVertexAttribArray(2);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, sizeof(ImDrawVert), reinterpret_cast<void*>(IM_OFFSETOF(ImDrawVert, pos)));
    glVertexAttribPointer(1, 2, GL_FLOAT, GL_FALSE, sizeof(ImDrawVert), reinterpret_cast<void*>(IM_OFFSETOF(ImDrawVert, uv)));
    glVertexAttribPointer(2, 4, GL_UNSIGNED_BYTE, GL_TRUE, sizeof(ImDrawVert), reinterpret_cast<void*>(IM_OFFSETOF(ImDrawVert, col)));
    glBindVertexArray(0);
    // The font atlas of the current ImGui context.
    ImGuiIO& io = ImGui::GetIO();
    unsigned char* pixels = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    glGenTextures(1, &font_tex_);
    glBindTexture(GL_TEXTURE_2D, font_tex_);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, pixels);
    io.Fonts->SetTexID(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(font_tex_)));
}

Renderer::~Renderer() {
    if (!lane_tex_.empty()) glDeleteTextures(static_cast<GLsizei>(lane_tex_.size()), lane_tex_.data());
    glDeleteTextures(1, &font_tex_);
    glDeleteBuffers(1, &ui_vbo_);
    glDeleteBuffers(1, &ui_ibo_);
    glDeleteVertexArrays(1, &vao_);
    glDeleteVertexArrays(1, &ui_vao_);
    glDeleteProgram(plot_prog_);
    glDeleteProgram(ui_prog_);
}

void Renderer::begin(GLuint fbo, int width, int height, Rgba bg) {
    fbo_ = fbo;
    width_ = width;
    height_ = height;
    plot_vertices = imgui_vertices = 0;
    glBindFramebuffer(GL_FRAMEBUFFER, fbo);
    glViewport(0, 0, width, height);
    glDisable(GL_SCISSOR_TEST);
    glClearColor(bg.r, bg.g, bg.b, bg.a);
    glClear(GL_COLOR_BUFFER_BIT);
    glEnable(GL_BLEND);
    glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
}

void Renderer::fill_rect(float x0, float y0, float w, float h, Rgba c) {
    // Opaque fills are scissored clears: llvmpipe fills whole tiles with no shader and no blending
    // (lane backgrounds as shaded quads cost ~2.5 ms a frame at 1280x720).
    if (c.a >= 1.f) {
        glEnable(GL_SCISSOR_TEST);
        glScissor(int(x0), int(float(height_) - y0 - h), int(w), int(h));
        glClearColor(c.r, c.g, c.b, c.a);
        glClear(GL_COLOR_BUFFER_BIT);
        glDisable(GL_SCISSOR_TEST);
        return;
    }
    glUseProgram(plot_prog_);
    glUniform4f(glGetUniformLocation(plot_prog_, "uRect"), x0, float(height_) - y0 - h, w, h);
    glUniform2f(glGetUniformLocation(plot_prog_, "uView"), float(width_), float(height_));
    glUniform4f(glGetUniformLocation(plot_prog_, "uColor"), c.r, c.g, c.b, c.a);
    glUniform1i(glGetUniformLocation(plot_prog_, "uFill"), 1);
    glBindVertexArray(vao_);
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
    plot_vertices += 4;
}

void Renderer::draw_lane(int slot, const std::vector<ColumnTexels>& cols, float x0, float y0, float w, float h,
                         Rgba c, int mode) {
    if (cols.empty()) return;
    while (static_cast<int>(lane_tex_.size()) <= slot) {
        GLuint t;
        glGenTextures(1, &t);
        glBindTexture(GL_TEXTURE_2D, t);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
        lane_tex_.push_back(t);
    }
    // Two rows of RGBA32F texels: row 0 = first vec4 of every column, row 1 = the second.
    std::vector<float> data(cols.size() * 8);
    for (size_t i = 0; i < cols.size(); ++i) {
        const ColumnTexels& t = cols[i];
        float* r0 = &data[i * 4];
        float* r1 = &data[(cols.size() + i) * 4];
        r0[0] = t.ymin, r0[1] = t.ymax, r0[2] = t.q25, r0[3] = t.q75;
        r1[0] = t.med_lo, r1[1] = t.med_hi, r1[2] = t.flags, r1[3] = t.loss;
    }
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, lane_tex_[static_cast<size_t>(slot)]);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA32F, static_cast<GLsizei>(cols.size()), 2, 0, GL_RGBA, GL_FLOAT, data.data());
    // One quad per lane, whatever the data: per-column quads (1 px wide) were tried and cost 2x,
    // since llvmpipe shades 4x4 blocks and a 1-px-wide quad wastes 3/4 of each.
    GLuint prog = plot_prog_;
    glUseProgram(prog);
    glUniform4f(glGetUniformLocation(prog, "uRect"), x0, float(height_) - y0 - h, w, h);
    glUniform2f(glGetUniformLocation(prog, "uView"), float(width_), float(height_));
    glUniform4f(glGetUniformLocation(prog, "uColor"), c.r, c.g, c.b, c.a);
    glUniform1i(glGetUniformLocation(prog, "uMode"), mode);
    glUniform1i(glGetUniformLocation(prog, "uFill"), 0);
    glUniform1i(glGetUniformLocation(prog, "uCols"), 0);
    glBindVertexArray(vao_);
    if (mode == 1) glDisable(GL_BLEND);  // the loss strip is opaque: no read-back of the tiles
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
    glEnable(GL_BLEND);
    plot_vertices += 4;
}

void Renderer::draw_imgui(ImDrawData* d) {
    if (!d) return;
    glEnable(GL_SCISSOR_TEST);
    glUseProgram(ui_prog_);
    glUniform2f(glGetUniformLocation(ui_prog_, "uView"), float(width_), float(height_));
    glUniform1i(glGetUniformLocation(ui_prog_, "uTex"), 0);
    glActiveTexture(GL_TEXTURE0);
    glBindVertexArray(ui_vao_);
    glBindBuffer(GL_ARRAY_BUFFER, ui_vbo_);
    glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, ui_ibo_);
    for (int n = 0; n < d->CmdListsCount; ++n) {
        const ImDrawList* cl = d->CmdLists[n];
        glBufferData(GL_ARRAY_BUFFER, cl->VtxBuffer.Size * static_cast<GLsizeiptr>(sizeof(ImDrawVert)), cl->VtxBuffer.Data,
                     GL_STREAM_DRAW);
        glBufferData(GL_ELEMENT_ARRAY_BUFFER, cl->IdxBuffer.Size * static_cast<GLsizeiptr>(sizeof(ImDrawIdx)),
                     cl->IdxBuffer.Data, GL_STREAM_DRAW);
        imgui_vertices += static_cast<uint64_t>(cl->VtxBuffer.Size);
        for (const ImDrawCmd& cmd : cl->CmdBuffer) {
            if (cmd.UserCallback) continue;
            const ImVec4& r = cmd.ClipRect;
            if (r.z <= r.x || r.w <= r.y) continue;
            glScissor(int(r.x), int(float(height_) - r.w), int(r.z - r.x), int(r.w - r.y));
            glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(reinterpret_cast<intptr_t>(cmd.GetTexID())));
            glDrawElements(GL_TRIANGLES, static_cast<GLsizei>(cmd.ElemCount),
                           sizeof(ImDrawIdx) == 2 ? GL_UNSIGNED_SHORT : GL_UNSIGNED_INT,
                           reinterpret_cast<void*>(cmd.IdxOffset * sizeof(ImDrawIdx)));
        }
    }
    glDisable(GL_SCISSOR_TEST);
}

std::vector<uint8_t> Renderer::read_pixels() const {
    std::vector<uint8_t> raw(static_cast<size_t>(width_) * height_ * 4), out(raw.size());
    glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, width_, height_, GL_RGBA, GL_UNSIGNED_BYTE, raw.data());
    size_t row = static_cast<size_t>(width_) * 4;
    for (int y = 0; y < height_; ++y)
        std::copy_n(&raw[static_cast<size_t>(height_ - 1 - y) * row], row, &out[static_cast<size_t>(y) * row]);
    for (size_t i = 3; i < out.size(); i += 4) out[i] = 255;
    return out;
}

bool write_png(const std::string& path, int width, int height, const std::vector<uint8_t>& rgba) {
    return stbi_write_png(path.c_str(), width, height, 4, rgba.data(), width * 4) != 0;
}

}  // namespace zzp::viewer
