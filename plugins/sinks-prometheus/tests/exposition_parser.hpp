// A strict parser for the Prometheus text format 0.0.4 and OpenMetrics 1.0.0, for tests: it
// reports every rule a scrape could trip over (syntax, escapes, family grouping and order,
// sample names per type, duplicate series, histogram and summary invariants, # EOF), instead
// of being lenient like a real scraper.
#pragma once

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace zzp::prom::test {

struct Sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

struct MetricFamily {
    std::string name, type, help, unit;
    std::vector<Sample> samples;
};

struct Exposition {
    std::vector<MetricFamily> families;
    std::vector<std::string> errors;  // empty: valid

    const MetricFamily* family(const std::string& name) const {
        for (const auto& f : families)
            if (f.name == name) return &f;
        return nullptr;
    }
    // The value of the one sample named `name` whose labels include `match`; NaN if none, and
    // an error is noted in `ambiguous` when several match.
    double value(const std::string& name, const std::map<std::string, std::string>& match) const {
        double out = std::nan("");
        int found = 0;
        for (const auto& f : families)
            for (const auto& s : f.samples) {
                if (s.name != name) continue;
                bool ok = true;
                for (const auto& [k, v] : match) {
                    auto it = s.labels.find(k);
                    if (it == s.labels.end() || it->second != v) ok = false;
                }
                if (ok) {
                    out = s.value;
                    ++found;
                }
            }
        return found == 1 ? out : std::nan("");
    }
};

namespace detail {

inline bool metric_name_ok(const std::string& n) {
    if (n.empty()) return false;
    for (size_t i = 0; i < n.size(); ++i) {
        char c = n[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                  (i > 0 && c >= '0' && c <= '9');
        if (!ok) return false;
    }
    return true;
}
inline bool label_name_ok(const std::string& n) {
    if (n.empty()) return false;
    for (size_t i = 0; i < n.size(); ++i) {
        char c = n[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
        if (!ok) return false;
    }
    return true;
}
inline bool parse_number(const std::string& s, double* out) {
    if (s == "NaN") return *out = std::nan(""), true;
    if (s == "+Inf" || s == "Inf") return *out = INFINITY, true;
    if (s == "-Inf") return *out = -INFINITY, true;
    if (s.empty()) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) return false;
    char* end = nullptr;
    *out = std::strtod(s.c_str(), &end);
    return end && *end == '\0';
}
inline std::string series_key(const Sample& s, const std::string& skip = "") {
    std::string k = s.name + "{";
    for (const auto& [n, v] : s.labels)
        if (n != skip) k += n + "=" + v + ",";
    return k + "}";
}
inline std::string base_name(const std::string& family, const std::string& type, const std::string& sample,
                             bool om, bool* ok) {
    auto is = [&](const std::string& suffix) { return sample == family + suffix; };
    *ok = true;
    if (type == "counter") {
        if (om) *ok = is("_total") || is("_created");
        else *ok = is("");
    } else if (type == "histogram") {
        *ok = is("_bucket") || is("_sum") || is("_count") || (om && is("_created"));
    } else if (type == "summary") {
        *ok = is("") || is("_sum") || is("_count") || (om && is("_created"));
    } else if (type == "info") {
        *ok = om && is("_info");
    } else {
        *ok = is("");
    }
    return family;
}

}  // namespace detail

inline Exposition parse_exposition(const std::string& text, bool om) {
    using namespace detail;
    Exposition out;
    auto err = [&](size_t line, const std::string& m) { out.errors.push_back("line " + std::to_string(line) + ": " + m); };
    if (text.empty() || text.back() != '\n') err(0, "the exposition must end with a newline");
    std::set<std::string> families_seen, series_seen;
    MetricFamily* current = nullptr;
    bool eof = false;
    size_t lineno = 0, pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        pos = nl == std::string::npos ? text.size() : nl + 1;
        ++lineno;
        if (eof) {
            err(lineno, "content after # EOF");
            break;
        }
        if (line.empty()) {
            if (om) err(lineno, "empty line (not allowed in OpenMetrics)");
            continue;
        }
        if (line[0] == '#') {
            if (om && line == "# EOF") {
                eof = true;
                continue;
            }
            // "# KEYWORD name rest"
            size_t a = line.find(' ', 2);
            std::string keyword = line.substr(2, a == std::string::npos ? std::string::npos : a - 2);
            if (line.size() < 2 || line[1] != ' ' || (keyword != "HELP" && keyword != "TYPE" && keyword != "UNIT")) {
                if (om) err(lineno, "unknown comment in OpenMetrics: " + line);
                continue;
            }
            if (keyword == "UNIT" && !om) continue;  // just a comment in the text format
            if (a == std::string::npos) {
                err(lineno, keyword + " without a metric name");
                continue;
            }
            size_t b = line.find(' ', a + 1);
            std::string name = line.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
            std::string rest = b == std::string::npos ? "" : line.substr(b + 1);
            if (!metric_name_ok(name)) err(lineno, "bad metric name '" + name + "'");
            if (!current || current->name != name) {
                if (families_seen.count(name)) err(lineno, "family " + name + " appears twice (not contiguous)");
                families_seen.insert(name);
                out.families.push_back(MetricFamily{name, "", "", "", {}});
                current = &out.families.back();
            } else if (!current->samples.empty()) {
                err(lineno, keyword + " for " + name + " after its samples");
            }
            if (keyword == "HELP") {
                if (!current->help.empty()) err(lineno, "second HELP for " + name);
                for (size_t i = 0; i < rest.size(); ++i)
                    if (rest[i] == '\\' && (i + 1 >= rest.size() || (rest[i + 1] != '\\' && rest[i + 1] != 'n' &&
                                                                       !(om && rest[i + 1] == '"'))))
                        err(lineno, "bad escape in HELP");
                current->help = rest.empty() ? " " : rest;
            } else if (keyword == "TYPE") {
                if (!current->type.empty()) err(lineno, "second TYPE for " + name);
                static const std::set<std::string> text_types = {"counter", "gauge", "histogram", "summary", "untyped"};
                static const std::set<std::string> om_types = {"counter", "gauge",    "histogram", "summary",
                                                               "info",    "stateset", "gaugehistogram", "unknown"};
                if (!(om ? om_types : text_types).count(rest)) err(lineno, "unknown type '" + rest + "'");
                current->type = rest;
            } else {
                if (rest.empty() || name.size() < rest.size() + 1 || name.substr(name.size() - rest.size() - 1) != "_" + rest)
                    err(lineno, "UNIT " + rest + " is not a suffix of " + name);
                current->unit = rest;
            }
            continue;
        }
        // name[{labels}] value [timestamp]
        Sample s;
        size_t i = 0;
        while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
        s.name = line.substr(0, i);
        if (!metric_name_ok(s.name)) err(lineno, "bad metric name '" + s.name + "'");
        if (i < line.size() && line[i] == '{') {
            ++i;
            bool first = true;
            while (i < line.size() && line[i] != '}') {
                if (!first) {
                    if (line[i] != ',') {
                        err(lineno, "expected ',' between labels");
                        break;
                    }
                    ++i;
                    if (i < line.size() && line[i] == '}' && !om) break;  // trailing comma: text format allows it
                }
                first = false;
                size_t eq = line.find('=', i);
                if (eq == std::string::npos) {
                    err(lineno, "label without '='");
                    break;
                }
                std::string lname = line.substr(i, eq - i);
                if (!label_name_ok(lname)) err(lineno, "bad label name '" + lname + "'");
                i = eq + 1;
                if (i >= line.size() || line[i] != '"') {
                    err(lineno, "label value not quoted");
                    break;
                }
                ++i;
                std::string value;
                bool closed = false;
                while (i < line.size()) {
                    char c = line[i++];
                    if (c == '"') {
                        closed = true;
                        break;
                    }
                    if (c == '\\') {
                        if (i >= line.size()) break;
                        char e = line[i++];
                        if (e == '\\') value += '\\';
                        else if (e == '"') value += '"';
                        else if (e == 'n') value += '\n';
                        else err(lineno, std::string("bad escape \\") + e + " in a label value");
                    } else {
                        value += c;
                    }
                }
                if (!closed) {
                    err(lineno, "unterminated label value");
                    break;
                }
                if (s.labels.count(lname)) err(lineno, "label " + lname + " given twice");
                s.labels[lname] = value;
            }
            if (i >= line.size() || line[i] != '}') err(lineno, "labels not closed");
            ++i;
        }
        if (i >= line.size() || line[i] != ' ') {
            err(lineno, "expected one space before the value");
            continue;
        }
        ++i;
        size_t sp = line.find(' ', i);
        std::string value = line.substr(i, sp == std::string::npos ? std::string::npos : sp - i);
        if (!parse_number(value, &s.value)) err(lineno, "bad value '" + value + "'");
        if (sp != std::string::npos) {
            std::string ts = line.substr(sp + 1);
            double t = 0;
            if (!parse_number(ts, &t)) err(lineno, "bad timestamp '" + ts + "'");
        }
        if (!current || current->type.empty()) {
            err(lineno, "sample " + s.name + " without a preceding TYPE");
            continue;
        }
        bool ok = true;
        base_name(current->name, current->type, s.name, om, &ok);
        if (!ok) err(lineno, "sample " + s.name + " does not belong to " + current->type + " family " + current->name);
        if (current->type == "histogram" && s.name == current->name + "_bucket" && !s.labels.count("le"))
            err(lineno, "bucket without le");
        if (current->type == "summary" && s.name == current->name) {
            double q = 0;
            if (!s.labels.count("quantile") || !parse_number(s.labels["quantile"], &q) || q < 0 || q > 1)
                err(lineno, "summary quantile label missing or outside [0, 1]");
        }
        if (current->type == "counter" && om && !(s.value >= 0) && !std::isnan(s.value))
            err(lineno, "negative counter");
        std::string key = series_key(s);
        if (!series_seen.insert(key).second) err(lineno, "duplicate series " + key);
        current->samples.push_back(std::move(s));
    }
    if (om && !eof) err(lineno, "missing # EOF");

    // Histogram invariants: per series, le increasing, counts non-decreasing, +Inf == _count.
    for (const auto& f : out.families) {
        if (f.type != "histogram") continue;
        std::map<std::string, std::vector<std::pair<double, double>>> buckets;
        std::map<std::string, double> counts;
        for (const auto& s : f.samples) {
            if (s.name == f.name + "_bucket") {
                double le = 0;
                if (!parse_number(s.labels.at("le"), &le)) out.errors.push_back(f.name + ": bad le");
                Sample copy = s;
                copy.name = f.name;
                buckets[series_key(copy, "le")].push_back({le, s.value});
            } else if (s.name == f.name + "_count") {
                Sample copy = s;
                copy.name = f.name;
                counts[series_key(copy)] = s.value;
            }
        }
        for (const auto& [k, b] : buckets) {
            for (size_t i = 1; i < b.size(); ++i) {
                if (!(b[i].first > b[i - 1].first)) out.errors.push_back(k + ": le not increasing");
                if (b[i].second < b[i - 1].second) out.errors.push_back(k + ": bucket counts decrease");
            }
            if (b.empty() || !std::isinf(b.back().first)) out.errors.push_back(k + ": no +Inf bucket");
            else if (!counts.count(k) || counts[k] != b.back().second)
                out.errors.push_back(k + ": +Inf bucket differs from _count");
        }
    }
    return out;
}

}  // namespace zzp::prom::test
