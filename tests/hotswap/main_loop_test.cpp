// MainLoop: tasks and timers run on the thread that runs the loop; call() answers even when the
// loop closes under it.
#include <gtest/gtest.h>

#include <thread>

#include "control/main_loop.hpp"

using zzp::host::MainLoop;

TEST(MainLoop, RunsPostedTasksAndTimersOnItsThreadInOrder) {
    MainLoop loop;
    std::vector<int> order;
    const int64_t now = MainLoop::mono_now_ns();
    loop.post_at(now + 30'000'000, [&] { order.push_back(3); loop.quit("done"); });
    loop.post_at(now + 10'000'000, [&] { order.push_back(2); });
    loop.post([&] { order.push_back(1); });
    uint64_t cancelled = loop.post_at(now + 20'000'000, [&] { order.push_back(99); });
    loop.cancel(cancelled);
    EXPECT_EQ(loop.run(now + 5'000'000'000), "done");
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
    EXPECT_GE(MainLoop::mono_now_ns() - now, 30'000'000);
}

TEST(MainLoop, CallFromAnotherThreadGetsTheReply) {
    MainLoop loop;
    std::string reply;
    std::thread client([&] {
        reply = loop.call([] { return std::string("ok\nhello\n"); });
        loop.quit("client done");
    });
    EXPECT_EQ(loop.run(MainLoop::mono_now_ns() + 5'000'000'000), "client done");
    client.join();
    EXPECT_EQ(reply, "ok\nhello\n");
}

TEST(MainLoop, CallAfterCloseAnswersStoppingInsteadOfHanging) {
    MainLoop loop;
    loop.close();
    EXPECT_EQ(loop.call([] { return std::string("ok\n"); }).rfind("error\n", 0), 0u);
}

TEST(MainLoop, DeadlineEndsRunWithAnEmptyReason) {
    MainLoop loop;
    const int64_t t0 = MainLoop::mono_now_ns();
    EXPECT_EQ(loop.run(t0 + 20'000'000), "");
    EXPECT_GE(MainLoop::mono_now_ns() - t0, 20'000'000);
}
