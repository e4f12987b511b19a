// Listing a shared library's exported symbols without loading it (so no constructor of the
// library runs), and picking out the zzprobe entry points (zzp_plugin_entry_v<major>).
// Usage:
//   std::string error;
//   auto symbols = list_exported_symbols(path, &error);   // empty + error when unreadable
//   auto majors = entry_majors(*symbols);                  // {1} for an ABI v1 plugin
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace zzp::host {

// Exported (default-visibility, global or weak, defined) symbols of an ELF shared object.
// Uses boost::dll::library_info, which in Boost 1.74 reads only .symtab — a section `strip`
// removes, as Debian packaging does — so when that finds no entry point, the dynamic symbol
// table (.dynsym, what dlsym actually sees) is read as well. nullopt when the file is not a
// readable ELF shared object; *error then says why.
std::optional<std::vector<std::string>> list_exported_symbols(const std::filesystem::path& path, std::string* error);

// ABI majors of the zzp_plugin_entry_v<N> symbols among `symbols`, sorted, without duplicates.
std::vector<uint32_t> entry_majors(const std::vector<std::string>& symbols);

}  // namespace zzp::host
