#include "tool/commands.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include "recording/file_reader.hpp"
#include "recording/file_writer.hpp"
#include "recording/legacy.hpp"
#include "recording/recording.hpp"

namespace zzp::file_tool {
namespace {

using namespace zzp::rec;

struct Parsed {
    std::map<std::string, std::string> options;
    std::set<std::string> flags;
    std::vector<std::string> inputs;
};

// Options with a value (--name VALUE or --name=VALUE), boolean flags, then input paths.
Parsed parse(const Args& args, const std::set<std::string>& with_value, const std::set<std::string>& flags) {
    Parsed p;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.size() > 1 && a[0] == '-') {
            std::string name = a, value;
            bool inline_value = false;
            if (auto eq = a.find('='); eq != std::string::npos) {
                name = a.substr(0, eq);
                value = a.substr(eq + 1);
                inline_value = true;
            }
            if (with_value.count(name)) {
                if (!inline_value) {
                    if (i + 1 >= args.size()) throw std::runtime_error("option " + name + " needs a value");
                    value = args[++i];
                }
                p.options[name] = value;
            } else if (flags.count(name)) {
                p.flags.insert(name);
            } else {
                throw std::runtime_error("unknown option '" + a + "' (see zzprobe-file --help)");
            }
        } else {
            p.inputs.push_back(a);
        }
    }
    return p;
}

void need_inputs(const Parsed& p, const char* what) {
    if (p.inputs.empty()) throw std::runtime_error(std::string("give ") + what + " (see zzprobe-file --help)");
}

int64_t parse_duration(const std::string& text) {
    size_t i = 0;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    static const std::map<std::string, double> units = {{"ns", 1},   {"us", 1e3},  {"ms", 1e6},   {"s", 1e9},
                                                        {"m", 60e9}, {"h", 3600e9}, {"d", 86400e9}};
    auto u = units.find(text.substr(i));
    if (i == 0 || u == units.end())
        throw std::runtime_error("'" + text + "' is not a duration such as 100ms, 1s, 5m or 1h");
    return std::llround(std::stod(text.substr(0, i)) * u->second);
}

double parse_precision(const Parsed& p, double fallback) {
    auto it = p.options.find("--precision");
    if (it == p.options.end()) return fallback;
    double v = std::stod(it->second);
    if (!(v >= 0.0001 && v <= 1)) throw std::runtime_error("--precision must be between 0.0001 and 1");
    return v;
}

std::string json_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\', out += c;
        else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else out += c;
    }
    return out;
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

const char* status_name(uint16_t s) {
    static const char* const names[] = {"sent", "reply", "lost", "send_error", "net_error", "late", "duplicate"};
    return s < ZZP_SAMPLE_STATUS_COUNT ? names[s] : "unknown";
}

// Frames of the chosen target(s), time ordered, from every file of the recording.
struct SeriesFrames {
    TargetMeta meta;
    std::vector<zzp_frame> frames;
};

std::vector<SeriesFrames> collect_frames(const Recording& r, const std::string& target_filter) {
    std::vector<SeriesFrames> out;
    for (const auto& s : r.series()) {
        if (!target_filter.empty() && s.meta.name != target_filter && s.meta.address != target_filter) continue;
        SeriesFrames sf{s.meta, {}};
        for (const auto& [fi, id] : s.parts) {
            const FileReader& f = *r.files()[fi];
            for (const auto& c : f.chunks()) {
                if (c.type != RecordType::frames) continue;
                for (const auto& fr : f.read_frames(c))
                    if (fr.target_id == id) sf.frames.push_back(fr);
            }
        }
        std::stable_sort(sf.frames.begin(), sf.frames.end(),
                         [](const zzp_frame& a, const zzp_frame& b) { return a.start_wall_ns < b.start_wall_ns; });
        out.push_back(std::move(sf));
    }
    if (out.empty() && !target_filter.empty())
        throw std::runtime_error("no target named '" + target_filter + "' in the recording (see `zzprobe-file info`)");
    return out;
}

}  // namespace

int cmd_info(const Args& args) {
    Parsed p = parse(args, {}, {});
    need_inputs(p, "recording files or folders");
    for (const auto& input : p.inputs)
        for (const auto& path : recording_files(input)) {
            FileReader f(path);
            const FileHeader& h = f.header();
            uint64_t frames = 0, samples = 0, frame_chunks = 0, sample_chunks = 0;
            std::set<std::string> writers;
            for (const auto& c : f.chunks()) {
                ChunkOrigin o;
                if (c.type == RecordType::frames) {
                    frames += f.read_frames(c, &o).size();
                    ++frame_chunks;
                } else {
                    samples += f.read_samples(c, &o).size();
                    ++sample_chunks;
                }
                writers.insert(o.writer);
            }
            std::printf("%s\n", path.c_str());
            std::printf("  format     %s v%u, written by %s (instance '%s')\n", h.schema.c_str(), h.version,
                        h.writer.c_str(), h.instance.c_str());
            std::printf("  created    %s   period start %s\n", rfc3339_micros(h.created_wall_ns).c_str(),
                        rfc3339_micros(h.period_start_ns).c_str());
            std::printf("  precision  %g (RTT relative error <= %g)   samples stored: %s\n", h.precision,
                        h.precision / 2, h.has_samples ? "yes" : "no");
            const OpenStats& os = f.open_stats();
            std::string state = f.closed() ? "closed (footer index present)"
                                : os.mode == OpenStats::Mode::checkpoint
                                    ? "open or unclosed (no footer: read from its checkpoint at byte " +
                                          std::to_string(os.checkpoint_offset) + " and " +
                                          std::to_string(os.records_scanned) + " records after it)"
                                    : "open or unclosed (no footer, no checkpoint: scanned)";
            std::printf("  state      %s, %" PRIu64 " bytes%s\n", state.c_str(), f.file_size(),
                        f.torn() ? (", TORN TAIL after byte " + std::to_string(f.valid_end()) + " — run recover").c_str()
                                 : "");
            if (!f.chunks().empty())
                std::printf("  time       %s .. %s\n", rfc3339_micros(f.t_first()).c_str(),
                            rfc3339_micros(f.t_last()).c_str());
            std::printf("  data       %" PRIu64 " frames in %" PRIu64 " chunks, %" PRIu64 " samples in %" PRIu64
                        " chunks\n",
                        frames, frame_chunks, samples, sample_chunks);
            std::string w;
            for (const auto& s : writers) w += (w.empty() ? "" : ", ") + s;
            if (!w.empty()) std::printf("  chunks by  %s\n", w.c_str());
            std::printf("  targets    %zu\n", f.targets().size());
            for (const auto& t : f.targets())
                std::printf("    #%u %s (%s) via %s/%s, frames every %g ms\n", t.id, t.name.c_str(), t.address.c_str(),
                            t.method.c_str(), t.probe.c_str(), static_cast<double>(t.interval_ns) / 1e6);
        }
    return 0;
}

int cmd_dump(const Args& args) {
    Parsed p = parse(args, {"--format", "--target"}, {"--samples"});
    need_inputs(p, "recording files or folders");
    std::string format = p.options.count("--format") ? p.options["--format"] : "text";
    if (format != "text" && format != "csv" && format != "jsonl")
        throw std::runtime_error("--format must be text, csv or jsonl");
    std::string filter = p.options.count("--target") ? p.options["--target"] : "";
    Recording r(p.inputs);
    if (p.flags.count("--samples")) {
        if (format == "csv") std::printf("target,seq,sent_ns,status,rtt_ns,flags,detail\n");
        for (const auto& s : r.series()) {
            if (!filter.empty() && s.meta.name != filter && s.meta.address != filter) continue;
            for (const auto& [fi, id] : s.parts) {
                const FileReader& f = *r.files()[fi];
                for (const auto& c : f.chunks()) {
                    if (c.type != RecordType::samples) continue;
                    for (const auto& x : f.read_samples(c)) {
                        if (x.target_id != id) continue;
                        if (format == "csv")
                            std::printf("%s,%" PRIu64 ",%" PRId64 ",%s,%" PRId64 ",%u,%u\n", csv_field(s.meta.name).c_str(),
                                        x.seq, x.sent_wall_ns, status_name(x.status), x.rtt_ns, x.flags, x.detail);
                        else if (format == "jsonl")
                            std::printf("{\"target\":\"%s\",\"seq\":%" PRIu64 ",\"sent_ns\":%" PRId64
                                        ",\"status\":\"%s\",\"rtt_ns\":%" PRId64 ",\"flags\":%u,\"detail\":%u}\n",
                                        json_escape(s.meta.name).c_str(), x.seq, x.sent_wall_ns, status_name(x.status),
                                        x.rtt_ns, x.flags, x.detail);
                        else
                            std::printf("%s  %-12s seq %-8" PRIu64 " %-10s rtt %.3f ms\n",
                                        rfc3339_micros(x.sent_wall_ns).c_str(), s.meta.name.c_str(), x.seq,
                                        status_name(x.status), x.rtt_ns < 0 ? -1.0 : static_cast<double>(x.rtt_ns) / 1e6);
                    }
                }
            }
        }
        return 0;
    }
    if (format == "csv")
        std::printf("target,address,start_ns,interval_ns,sent,received,lost,errors,late,duplicates,reordered,pending,flags,"
                    "min_ns,p12_ns,p25_ns,p50_ns,p75_ns,p87_ns,max_ns,mean_ns,jitter_ns\n");
    for (const auto& sf : collect_frames(r, filter)) {
        for (const auto& f : sf.frames) {
            if (format == "csv") {
                std::printf("%s,%s,%" PRId64 ",%" PRId64 ",%u,%u,%u,%u,%u,%u,%u,%u,%u", csv_field(sf.meta.name).c_str(),
                            csv_field(sf.meta.address).c_str(), f.start_wall_ns, f.interval_ns, f.sent, f.received,
                            f.lost, f.errors, f.late, f.duplicates, f.reordered, f.pending, f.flags);
                for (int64_t v : f.rtt_ns) std::printf(",%" PRId64, v);
                std::printf(",%" PRId64 ",%" PRId64 "\n", f.rtt_mean_ns, f.rtt_jitter_ns);
            } else if (format == "jsonl") {
                std::printf("{\"target\":\"%s\",\"address\":\"%s\",\"start_ns\":%" PRId64 ",\"interval_ns\":%" PRId64
                            ",\"sent\":%u,\"received\":%u,\"lost\":%u,\"errors\":%u,\"late\":%u,\"duplicates\":%u,"
                            "\"reordered\":%u,\"pending\":%u,\"flags\":%u,\"rtt_ns\":[",
                            json_escape(sf.meta.name).c_str(), json_escape(sf.meta.address).c_str(), f.start_wall_ns,
                            f.interval_ns, f.sent, f.received, f.lost, f.errors, f.late, f.duplicates, f.reordered,
                            f.pending, f.flags);
                for (int i = 0; i < ZZP_QUANTILE_COUNT; ++i) std::printf("%s%" PRId64, i ? "," : "", f.rtt_ns[i]);
                std::printf("],\"mean_ns\":%" PRId64 ",\"jitter_ns\":%" PRId64 "}\n", f.rtt_mean_ns, f.rtt_jitter_ns);
            } else {
                std::printf("%s  %-12s sent %3u recv %3u lost %3u err %u", rfc3339_micros(f.start_wall_ns).c_str(),
                            sf.meta.name.c_str(), f.sent, f.received, f.lost, f.errors);
                if (f.rtt_ns[0] >= 0)
                    std::printf("  rtt min %.3f p50 %.3f max %.3f mean %.3f ms", f.rtt_ns[0] / 1e6, f.rtt_ns[3] / 1e6,
                                f.rtt_ns[6] / 1e6, f.rtt_mean_ns / 1e6);
                std::printf("\n");
            }
        }
    }
    return 0;
}

int cmd_verify(const Args& args) {
    Parsed p = parse(args, {}, {});
    need_inputs(p, "recording files");
    int status = 0;
    for (const auto& input : p.inputs)
        for (const auto& path : recording_files(input)) {
            ScanReport s = scan_file(path, true);
            if (s.clean) {
                std::printf("%s: ok, %zu records, %" PRIu64 " bytes\n", path.c_str(), s.records.size(), s.file_size);
            } else {
                std::printf("%s: BAD at byte %" PRIu64 ": %s; %" PRIu64 " bytes from there on are unreadable, the %zu "
                            "records before are intact (`zzprobe-file recover` cuts the tail)\n",
                            path.c_str(), s.bad_offset, s.problem.c_str(), s.file_size - s.bad_offset, s.records.size());
                status = 1;
            }
        }
    return status;
}

int cmd_recover(const Args& args) {
    Parsed p = parse(args, {}, {});
    need_inputs(p, "recording files");
    for (const auto& path : p.inputs) {
        ScanReport s = scan_file(path, true);
        bool ends_closed = !s.records.empty() && s.records.back().type == RecordType::end;
        if (s.clean && ends_closed) {
            std::printf("%s: intact and closed, nothing to do\n", path.c_str());
            continue;
        }
        // reopen() cuts the tail at the last valid record; close() writes pyramid + index.
        auto w = FileWriter::reopen(path, 3);
        w->close();
        std::printf("%s: %s; index rewritten, now %" PRIu64 " bytes\n", path.c_str(),
                    s.clean ? "no torn tail"
                            : ("cut " + std::to_string(s.file_size - s.valid_end) + " bytes at byte " +
                               std::to_string(s.valid_end) + " (" + s.problem + ")")
                                  .c_str(),
                    w->size());
    }
    return 0;
}

int cmd_aggregate(const Args& args) {
    Parsed p = parse(args, {"--interval", "-o"}, {});
    need_inputs(p, "recording files or folders");
    if (!p.options.count("-o") || !p.options.count("--interval"))
        throw std::runtime_error("aggregate needs --interval DURATION and -o OUT.zzr");
    int64_t interval = parse_duration(p.options["--interval"]);
    if (interval <= 0) throw std::runtime_error("--interval must be positive");
    Recording r(p.inputs);
    FileHeader h;
    h.writer = "zzprobe-file aggregate";
    h.instance = "aggregate";
    h.precision = r.files().empty() ? 0.01 : r.files().front()->header().precision;
    h.frame_interval_ns = interval;
    uint32_t id = 0;
    std::vector<std::pair<TargetMeta, std::vector<zzp_frame>>> outputs;
    for (auto& sf : collect_frames(r, "")) {
        TargetMeta m = sf.meta;
        m.id = ++id;
        m.interval_ns = interval;
        std::vector<zzp_frame> out;
        // Counts add up; min and max are exact; the inner quantiles, mean and jitter are
        // averages weighted by replies (quantiles of merged frames cannot be recomputed).
        std::map<int64_t, std::pair<zzp_frame, std::array<double, 8>>> buckets;
        for (const auto& f : sf.frames) {
            int64_t start = floor_div(f.start_wall_ns, interval) * interval;
            auto [it, fresh] = buckets.try_emplace(start);
            zzp_frame& b = it->second.first;
            auto& wsum = it->second.second;
            if (fresh) {
                b = zzp_frame{};
                b.start_wall_ns = start;
                b.interval_ns = interval;
                b.target_id = m.id;
                b.flags = ZZP_FRAME_F_FINAL;
                b.rtt_ns[0] = INT64_MAX;
                b.rtt_ns[6] = INT64_MIN;
                wsum.fill(0);
            }
            b.flags |= f.flags;
            b.sent += f.sent, b.received += f.received, b.lost += f.lost, b.errors += f.errors, b.late += f.late;
            b.duplicates += f.duplicates, b.reordered += f.reordered, b.pending += f.pending;
            if (f.rtt_ns[0] >= 0 && f.received) {
                b.rtt_ns[0] = std::min(b.rtt_ns[0], f.rtt_ns[0]);
                b.rtt_ns[6] = std::max(b.rtt_ns[6], f.rtt_ns[6]);
                for (int q = 1; q < 6; ++q) wsum[static_cast<size_t>(q)] += static_cast<double>(f.rtt_ns[q]) * f.received;
                if (f.rtt_mean_ns >= 0) wsum[6] += static_cast<double>(f.rtt_mean_ns) * f.received;
                if (f.rtt_jitter_ns >= 0) wsum[7] += static_cast<double>(f.rtt_jitter_ns) * f.received;
                wsum[0] += f.received;
            }
        }
        for (auto& [start, bw] : buckets) {
            zzp_frame b = bw.first;
            const auto& wsum = bw.second;
            if (wsum[0] > 0) {
                for (int q = 1; q < 6; ++q) b.rtt_ns[q] = std::llround(wsum[static_cast<size_t>(q)] / wsum[0]);
                b.rtt_mean_ns = std::llround(wsum[6] / wsum[0]);
                b.rtt_jitter_ns = std::llround(wsum[7] / wsum[0]);
            } else {
                for (auto& v : b.rtt_ns) v = -1;
                b.rtt_mean_ns = b.rtt_jitter_ns = -1;
            }
            out.push_back(b);
        }
        h.targets.push_back(m);
        outputs.emplace_back(m, std::move(out));
    }
    if (!outputs.empty()) h.period_start_ns = outputs.front().second.empty() ? 0 : outputs.front().second.front().start_wall_ns;
    auto w = FileWriter::create(p.options["-o"], h, 3);
    uint64_t total = 0;
    for (const auto& [m, frames] : outputs)
        for (size_t i = 0; i < frames.size(); i += 4096) {
            std::span<const zzp_frame> part(frames.data() + i, std::min<size_t>(4096, frames.size() - i));
            w->append_frames(ChunkOrigin{"zzprobe-file aggregate", 0, 0}, part);
            total += part.size();
        }
    w->close();
    std::printf("%s: %" PRIu64 " frames of %s for %zu targets\n", p.options["-o"].c_str(), total,
                p.options["--interval"].c_str(), outputs.size());
    return 0;
}

int cmd_export(const Args& args) {
    Parsed p = parse(args, {"--target", "--precision", "-o"}, {"--no-quantize"});
    need_inputs(p, "recording files or folders");
    if (!p.options.count("-o")) throw std::runtime_error("export needs -o OUT.fdq");
    Recording r(p.inputs);
    std::string target = p.options.count("--target") ? p.options["--target"] : "";
    auto series = collect_frames(r, target);
    if (series.size() != 1) {
        std::string names;
        for (const auto& s : series) names += " " + s.meta.name;
        throw std::runtime_error("FrameDataQ holds one target; choose one with --target NAME (found:" + names + ")");
    }
    std::optional<double> precision;
    if (!p.flags.count("--no-quantize")) precision = parse_precision(p, 0.01);
    std::string bytes = write_fdq(series.front().frames, precision);
    int fd = ::open(p.options["-o"].c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) throw IoError(errno, p.options["-o"], "cannot create the export (it must not exist yet)");
    Fd owned(fd);
    pwrite_all(fd, p.options["-o"], bytes.data(), bytes.size(), 0);
    std::printf("%s: %zu frames of %s as FrameDataQ (%zu bytes)\n", p.options["-o"].c_str(),
                series.front().frames.size(), series.front().meta.name.c_str(), bytes.size());
    return 0;
}

int cmd_import(const Args& args) {
    Parsed p = parse(args, {"--target", "--precision", "-o"}, {});
    if (p.inputs.size() != 1 || !p.options.count("-o"))
        throw std::runtime_error("import needs one input file and -o OUT.zzr");
    const std::string& in = p.inputs.front();
    LegacyImport imp = read_legacy(read_whole_file(in), in);
    std::string host = p.options.count("--target") ? p.options["--target"] : imp.host;
    if (host.empty())
        throw std::runtime_error(in + ": the file name does not say which host it recorded "
                                      "(pingd-log-<addr>-<YYYYMMDD>T<HH>.log); give --target NAME");
    FileHeader h;
    h.writer = "zzprobe-file import";
    h.instance = "import";
    h.precision = parse_precision(p, 0.01);
    h.frame_interval_ns = imp.interval_ns;
    h.period_start_ns = imp.frames.empty() ? 0 : imp.frames.front().start_wall_ns;
    TargetMeta m{1, host, host, "icmp", "zzping-" + imp.kind, imp.interval_ns};
    h.targets.push_back(m);
    auto w = FileWriter::create(p.options["-o"], h, 3);
    for (size_t i = 0; i < imp.frames.size(); i += 4096) {
        std::span<const zzp_frame> part(imp.frames.data() + i, std::min<size_t>(4096, imp.frames.size() - i));
        w->append_frames(ChunkOrigin{"zzprobe-file import", 0, 0}, part);
    }
    w->close();
    std::printf("%s: %zu frames of %s from %s (%s)%s\n", p.options["-o"].c_str(), imp.frames.size(), host.c_str(),
                in.c_str(), imp.kind.c_str(), imp.truncated_tail ? "; a frame cut short at the end was dropped" : "");
    return 0;
}

}  // namespace zzp::file_tool
