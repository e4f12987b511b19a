// `zzprobe plugins [ID]`: what is installed, and everything a user needs to configure one.
#include <cstdio>
#include <iostream>

#include "cli/command_table.hpp"
#include "config/schema_validate.hpp"
#include "loader/catalog.hpp"

namespace zzp::host {

namespace po = boost::program_options;

namespace {

void list_plugins(const PluginCatalog& catalog) {
    std::printf("%-26s %-7s %-9s %-5s %s\n", "ID", "KIND", "VERSION", "ABI", "LIBRARY");
    for (const CatalogEntry& e : catalog.entries()) {
        std::string abi = std::to_string(e.abi_major) + "." + std::to_string(e.abi_minor);
        std::printf("%-26s %-7s %-9s %-5s %s\n", e.plugin_id.c_str(), kind_name(e.kind), e.version.c_str(), abi.c_str(),
                    e.library_path.c_str());
    }
    if (catalog.entries().empty()) std::printf("(no plugins found)\n");
    std::printf("\nsearched:");
    for (const SearchDir& d : catalog.search_dirs())
        std::printf(" %s [%s]%s", d.path.c_str(), d.origin.c_str(), d.exists ? "" : " (missing)");
    std::printf("\n");
}

void describe_plugin(const CatalogEntry& e) {
    const zzp_plugin_descriptor& d = *e.descriptor;
    std::printf("%s — %s\n\n", d.id, d.name ? d.name : "");
    std::printf("  kind:     %s\n", kind_name(d.kind));
    std::printf("  version:  %s\n", d.version ? d.version : "?");
    if (d.vendor) std::printf("  vendor:   %s\n", d.vendor);
    if (d.url) std::printf("  url:      %s\n", d.url);
    std::printf("  library:  %s (%s %s, ABI %u.%u)\n", e.library_path.c_str(), e.library->name().c_str(),
                e.library->version().c_str(), e.abi_major, e.abi_minor);
    if (d.description) std::printf("\n%s\n", d.description);
    std::printf("\nconfiguration keys:\n%s\n", format_schema(d).c_str());
    if (d.sample_config && *d.sample_config) std::printf("sample configuration:\n\n%s\n", d.sample_config);
}

}  // namespace

int plugins_command(const std::vector<std::string>& args) {
    po::options_description options("zzprobe plugins options");
    options.add_options()("plugin-dir,P", po::value<std::vector<std::string>>()->composing(),
                          "also search this folder (repeatable; before ZZPROBE_PLUGIN_PATH)")(
        "id", po::value<std::string>(), "the plugin to describe");
    po::positional_options_description positional;
    positional.add("id", 1);
    po::variables_map vm;
    int code = 0;
    if (!parse_command_line("plugins", "zzprobe plugins [ID] [--plugin-dir DIR]...", args, options, positional, vm, &code))
        return code;

    PluginCatalog catalog = PluginCatalog::scan(plugin_dirs_option(vm));
    for (const LoadError& p : catalog.problems()) std::fprintf(stderr, "zzprobe: warning: skipped %s", p.text().c_str());

    if (!vm.count("id")) {
        list_plugins(catalog);
        return kExitOk;
    }
    const std::string id = vm["id"].as<std::string>();
    const CatalogEntry* e = catalog.find(id);
    if (!e) {
        std::fprintf(stderr, "zzprobe plugins: no plugin '%s' found (zzprobe plugins lists them)\n", id.c_str());
        return kExitUsage;
    }
    describe_plugin(*e);
    return kExitOk;
}

}  // namespace zzp::host
