#include "loader/exported_symbols.hpp"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

// library_info.hpp in Boost 1.74 uses std::vector without including <vector>.
#include <zzprobe/version.h>

#include <boost/dll/library_info.hpp>

#include "common/log.hpp"

namespace zzp::host {
namespace {

// Reads `size` bytes at `offset`; false when the file is shorter (a truncated or corrupt ELF).
bool read_at(std::ifstream& in, uint64_t offset, void* out, uint64_t size) {
    in.clear();
    in.seekg(static_cast<std::streamoff>(offset));
    if (!in) return false;
    in.read(static_cast<char*>(out), static_cast<std::streamsize>(size));
    return static_cast<uint64_t>(in.gcount()) == size;
}

constexpr uint64_t kMaxTableBytes = 64ull << 20;  // refuse absurd section sizes from a corrupt file

template <class Ehdr, class Shdr, class Sym, unsigned char (*Bind)(unsigned char),
          unsigned char (*Visibility)(unsigned char)>
std::optional<std::vector<std::string>> read_dynsym(std::ifstream& in, std::string* error) {
    Ehdr eh{};
    if (!read_at(in, 0, &eh, sizeof eh)) {
        *error = "truncated ELF header";
        return std::nullopt;
    }
    if (eh.e_type != ET_DYN) {
        *error = "not a shared object (ELF type " + std::to_string(eh.e_type) + ")";
        return std::nullopt;
    }
    if (eh.e_shentsize != sizeof(Shdr) || eh.e_shnum == 0 || eh.e_shnum > 4096) {
        *error = "unreadable ELF section table";
        return std::nullopt;
    }
    std::vector<Shdr> sections(eh.e_shnum);
    if (!read_at(in, eh.e_shoff, sections.data(), sizeof(Shdr) * sections.size())) {
        *error = "truncated ELF section table";
        return std::nullopt;
    }
    std::vector<std::string> names;
    for (const Shdr& sh : sections) {
        if (sh.sh_type != SHT_DYNSYM) continue;
        if (sh.sh_link >= sections.size() || sh.sh_size > kMaxTableBytes) {
            *error = "corrupt .dynsym section";
            return std::nullopt;
        }
        const Shdr& strtab = sections[sh.sh_link];
        if (strtab.sh_size > kMaxTableBytes) {
            *error = "corrupt .dynstr section";
            return std::nullopt;
        }
        std::vector<Sym> syms(sh.sh_size / sizeof(Sym));
        std::vector<char> text(strtab.sh_size + 1, '\0');  // +1: always terminated
        if (!read_at(in, sh.sh_offset, syms.data(), syms.size() * sizeof(Sym)) ||
            !read_at(in, strtab.sh_offset, text.data(), strtab.sh_size)) {
            *error = "truncated dynamic symbol table";
            return std::nullopt;
        }
        for (const Sym& s : syms) {
            unsigned char bind = Bind(s.st_info);
            bool exported = s.st_shndx != SHN_UNDEF && (bind == STB_GLOBAL || bind == STB_WEAK) &&
                            Visibility(s.st_other) == STV_DEFAULT;
            if (!exported || s.st_name >= strtab.sh_size) continue;
            names.emplace_back(text.data() + s.st_name);
        }
    }
    return names;
}

unsigned char bind64(unsigned char info) {
    return ELF64_ST_BIND(info);
}
unsigned char vis64(unsigned char other) {
    return ELF64_ST_VISIBILITY(other);
}
unsigned char bind32(unsigned char info) {
    return ELF32_ST_BIND(info);
}
unsigned char vis32(unsigned char other) {
    return ELF32_ST_VISIBILITY(other);
}

std::optional<std::vector<std::string>> dynamic_symbols(const std::filesystem::path& path, std::string* error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        *error = "cannot open for reading";
        return std::nullopt;
    }
    unsigned char ident[EI_NIDENT] = {};
    if (!read_at(in, 0, ident, sizeof ident) || std::memcmp(ident, ELFMAG, SELFMAG) != 0) {
        *error = "not an ELF file";
        return std::nullopt;
    }
    if (ident[EI_CLASS] == ELFCLASS64) return read_dynsym<Elf64_Ehdr, Elf64_Shdr, Elf64_Sym, bind64, vis64>(in, error);
    if (ident[EI_CLASS] == ELFCLASS32) return read_dynsym<Elf32_Ehdr, Elf32_Shdr, Elf32_Sym, bind32, vis32>(in, error);
    *error = "unknown ELF class";
    return std::nullopt;
}

}  // namespace

std::optional<std::vector<std::string>> list_exported_symbols(const std::filesystem::path& path, std::string* error) {
    std::string ignored;
    if (error == nullptr) error = &ignored;
    std::vector<std::string> symbols;
    try {
        boost::dll::library_info info(path);
        symbols = info.symbols();
    } catch (const std::exception& e) {
        // Not fatal: .dynsym below decides (library_info also throws on a missing .symtab).
        log_debug("loader", "library_info could not list " + path.string() + ": " + e.what());
    }
    if (!entry_majors(symbols).empty()) return symbols;
    auto dynamic = dynamic_symbols(path, error);
    if (!dynamic) return std::nullopt;
    symbols.insert(symbols.end(), dynamic->begin(), dynamic->end());
    return symbols;
}

std::vector<uint32_t> entry_majors(const std::vector<std::string>& symbols) {
    static const std::string prefix = ZZP_ENTRY_SYMBOL_PREFIX;
    std::vector<uint32_t> majors;
    for (const std::string& s : symbols) {
        if (s.size() <= prefix.size() || s.compare(0, prefix.size(), prefix) != 0) continue;
        std::string digits = s.substr(prefix.size());
        if (digits.size() > 6 ||
            !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
            continue;
        majors.push_back(static_cast<uint32_t>(std::stoul(digits)));
    }
    std::sort(majors.begin(), majors.end());
    majors.erase(std::unique(majors.begin(), majors.end()), majors.end());
    return majors;
}

}  // namespace zzp::host
