//! Inputs that `scripts/fuzz` found to crash a detector or to produce an unusable package, each
//! rebuilt here by hand so the test says what the input is (the fuzzer's own input is kept as a
//! seed under `fuzz/seeds/`). Each must now give a clear error or a usable package.

use crowsnest_analyzer::parse;

/// A little-endian ELF64 executable whose one loaded section sits at `addr`, claims `size`
/// bytes, and holds `data` (at file offset 64, right after the ELF header); a one-byte section
/// name table follows it.
fn elf_with_one_section(addr: u64, size: u64, data: &[u8]) -> Vec<u8> {
    let names_at = 64 + data.len() as u64;
    let shoff = (names_at + 1).next_multiple_of(8);
    let mut elf = Vec::new();
    elf.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
    elf.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    elf.extend_from_slice(&62u16.to_le_bytes()); // x86-64
    elf.extend_from_slice(&1u32.to_le_bytes());
    elf.extend_from_slice(&0u64.to_le_bytes()); // entry
    elf.extend_from_slice(&0u64.to_le_bytes()); // no program headers
    elf.extend_from_slice(&shoff.to_le_bytes());
    elf.extend_from_slice(&0u32.to_le_bytes());
    // Header size, program header size and count, section header size and count, and the
    // index of the section name table.
    for half in [64u16, 56, 0, 64, 3, 2] {
        elf.extend_from_slice(&half.to_le_bytes());
    }
    elf.extend_from_slice(data);
    elf.push(0); // the section name table: one empty name
    elf.resize(shoff as usize + 64, 0); // padding, then the null section header
    let mut section = |kind: u32, flags: u64, addr: u64, offset: u64, size: u64| {
        elf.extend_from_slice(&0u32.to_le_bytes()); // name: the empty one
        elf.extend_from_slice(&kind.to_le_bytes());
        elf.extend_from_slice(&flags.to_le_bytes());
        elf.extend_from_slice(&addr.to_le_bytes());
        elf.extend_from_slice(&offset.to_le_bytes());
        elf.extend_from_slice(&size.to_le_bytes());
        elf.extend_from_slice(&[0; 8]); // link, info
        elf.extend_from_slice(&1u64.to_le_bytes()); // alignment
        elf.extend_from_slice(&0u64.to_le_bytes()); // entry size
    };
    section(1, 2, addr, 64, size); // SHT_PROGBITS, SHF_ALLOC
    section(3, 0, 0, names_at, 1); // SHT_STRTAB
    elf
}

/// Go build info in the pre-1.18 layout points at its strings by address; a section placed near
/// the top of the address space made `address + size` overflow (a panic in debug builds, a
/// wrapped comparison in release ones) while resolving them.
#[test]
fn go_build_info_in_a_section_at_the_top_of_the_address_space() {
    let base = u64::MAX - 0xff;
    let mut info = b"\xff Go buildinf:".to_vec();
    info.push(8); // pointer size
    info.push(0); // little-endian, pointer layout
    info.extend_from_slice(&(base + 0x20).to_le_bytes()); // version string header
    info.extend_from_slice(&(base + 0x30).to_le_bytes()); // module info string header
    let elf = elf_with_one_section(base, 0x1000, &info);

    let err = parse::go_binary(&elf, "usr/local/bin/app").unwrap_err();
    assert!(err.to_string().contains("version pointer"), "{err}");
}

/// A gemspec assigning an empty name gave a package named "", which no advisory can match and
/// no report can name; an empty assignment now counts as none, so the real one after it wins.
#[test]
fn gemspec_with_an_empty_name_is_not_a_package() {
    let empty = b"Gem::Specification.new do |s|\n  s.name = \"\"\n  s.version = \"1.0\"\nend\n";
    assert_eq!(parse::ruby_gemspec(empty, "x.gemspec").unwrap(), None);

    let later = b"Gem::Specification.new do |s|\n  s.name = \"\"\n  s.name = \"rack\"\n  s.version = \"\"\n  s.version = \"2.2.3\"\nend\n";
    let p = parse::ruby_gemspec(later, "x.gemspec").unwrap().unwrap();
    assert_eq!((p.name.as_str(), p.version.as_str()), ("rack", "2.2.3"));
}

/// Go build info whose module list has a `dep` line with an empty module path (and one with an
/// empty version) gave packages without a name; such lines are now skipped, the others kept.
#[test]
fn go_module_lines_without_a_path_or_version_are_skipped() {
    let mut info = b"\xff Go buildinf:".to_vec();
    info.push(8); // pointer size
    info.push(2); // the Go 1.18+ inline layout: two length-prefixed strings after the header
    info.resize(32, 0);
    let modinfo = "path\texample.com/app\n\
                   mod\texample.com/app\t(devel)\t\n\
                   dep\t\tv1.0.0\th1:x=\n\
                   dep\tgolang.org/x/net\t\th1:y=\n\
                   dep\tgolang.org/x/text\tv0.3.7\th1:z=\n";
    for s in ["go1.21.5", modinfo] {
        // Lengths are unsigned LEB128 varints.
        let mut n = s.len();
        while n >= 0x80 {
            info.push((n & 0x7f) as u8 | 0x80);
            n >>= 7;
        }
        info.push(n as u8);
        info.extend_from_slice(s.as_bytes());
    }

    let packages = parse::go_binary(&info, "usr/local/bin/app").unwrap();
    let found: Vec<(&str, &str)> = packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect();
    assert_eq!(
        found,
        [("stdlib", "1.21.5"), ("golang.org/x/text", "v0.3.7")]
    );
}

/// An rpm SQLite database whose schema declares a column type that is not UTF-8: sqlx panicked
/// on its worker thread reading it. Found by the CI fuzz smoke; the input is the fuzzer's own
/// (its first byte picked the SQLite reader).
#[test]
fn rpm_sqlite_with_a_non_utf8_column_type_is_malformed() {
    let input = include_bytes!(
        "../../../../fuzz/seeds/rpm_db/crash-d8cd9ff615a67d804b62a4e41734c0afd9101676"
    );
    let e = parse::rpm_sqlite(&input[1..]).unwrap_err();
    assert!(e.to_string().contains("not UTF-8"), "{e}");
}
