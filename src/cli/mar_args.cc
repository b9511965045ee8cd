#include "cli/mar_args.h"

#include <charconv>

#include <fmt/format.h>

namespace bh::cli {
namespace {

bool is_command_letter(std::string_view arg) {
  return arg.size() == 2 && arg[0] == '-' && std::string_view("ctTxvsirXI").find(arg[1]) != std::string_view::npos;
}

Result<std::uint64_t> parse_count(std::string_view flag, std::string_view text) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
    return fail(invalid_argument(fmt::format("{} wants a non-negative integer, not '{}'", flag, text)));
  }
  return v;
}

// "--name=value" or "--name value".
class LongOption {
 public:
  LongOption(const std::vector<std::string_view>& args, std::size_t& i) : args_(args), i_(i) {
    const std::string_view arg = args[i];
    const std::size_t eq = arg.find('=');
    name_ = arg.substr(0, eq);
    if (eq != std::string_view::npos) inline_value_ = arg.substr(eq + 1);
  }
  std::string_view name() const { return name_; }
  bool has_inline_value() const { return inline_value_.has_value(); }
  Result<std::string_view> value() {
    if (inline_value_) return *inline_value_;
    if (i_ + 1 >= args_.size()) return fail(invalid_argument(fmt::format("{} needs a value", name_)));
    return args_[++i_];
  }

 private:
  const std::vector<std::string_view>& args_;
  std::size_t& i_;
  std::string_view name_;
  std::optional<std::string_view> inline_value_;
};

Status parse_long_option(const std::vector<std::string_view>& args, std::size_t& i, MarArgs& out) {
  LongOption opt(args, i);
  const std::string_view name = opt.name();
  auto flag_only = [&]() -> Status {
    if (opt.has_inline_value()) return invalid_argument(fmt::format("{} takes no value", name));
    return {};
  };
  if (name == "--help") {
    out.show_help = true;
    return flag_only();
  }
  if (name == "--version") {
    out.show_version = true;
    return flag_only();
  }
  if (name == "--decompress") {
    out.decompress = true;
    return flag_only();
  }
  if (name == "--json") {
    out.json = true;
    return flag_only();
  }
  if (name == "--x86") {
    out.xz.x86_bcj = true;
    return flag_only();
  }
  if (name == "--unpadded-product-info") {
    out.pad_product_information = false;
    return flag_only();
  }
  if (name == "--key") {
    BH_ASSIGN_OR_RETURN(std::string_view v, opt.value());
    out.private_keys.emplace_back(v);
    return {};
  }
  if (name == "--signature-algorithm") {
    BH_ASSIGN_OR_RETURN(std::string_view v, opt.value());
    if (v == "sha384") {
      out.signature_algorithm = mar::SignatureAlgorithm::kRsaPkcs1Sha384;
    } else if (v == "sha1") {
      out.signature_algorithm = mar::SignatureAlgorithm::kRsaPkcs1Sha1;
    } else {
      return invalid_argument(fmt::format("--signature-algorithm is sha384 or sha1, not '{}'", v));
    }
    return {};
  }
  if (name == "--compress") {
    BH_ASSIGN_OR_RETURN(std::string_view v, opt.value());
    if (v == "xz") {
      out.compression = compress::Compression::kXz;
    } else if (v == "bzip2" || v == "bz2") {
      out.compression = compress::Compression::kBzip2;
    } else if (v == "none") {
      out.compression = compress::Compression::kNone;
    } else {
      return invalid_argument(fmt::format("--compress is xz, bzip2 or none, not '{}'", v));
    }
    return {};
  }
  if (name == "--xz-preset") {
    BH_ASSIGN_OR_RETURN(std::string_view v, opt.value());
    const bool extreme = !v.empty() && v.back() == 'e';
    BH_ASSIGN_OR_RETURN(std::uint64_t preset, parse_count(name, extreme ? v.substr(0, v.size() - 1) : v));
    if (preset > 9) return invalid_argument(fmt::format("--xz-preset is 0-9, optionally followed by 'e', not '{}'", v));
    out.xz.preset = static_cast<std::uint32_t>(preset);
    out.xz.extreme = extreme;
    return {};
  }
  if (name == "--jobs") {
    BH_ASSIGN_OR_RETURN(std::string_view v, opt.value());
    BH_ASSIGN_OR_RETURN(std::uint64_t jobs, parse_count(name, v));
    if (jobs > 1024) return invalid_argument("--jobs is at most 1024");
    out.jobs = static_cast<unsigned>(jobs);
    return {};
  }
  if (name == "--max-entry-size") {
    BH_ASSIGN_OR_RETURN(std::string_view v, opt.value());
    BH_ASSIGN_OR_RETURN(out.max_entry_size, parse_count(name, v));
    return {};
  }
  if (name == "--max-mar-size") {
    BH_ASSIGN_OR_RETURN(std::string_view v, opt.value());
    BH_ASSIGN_OR_RETURN(out.max_mar_size, parse_count(name, v));
    if (out.max_mar_size > UINT32_MAX) return invalid_argument("--max-mar-size is at most 4294967295 (32-bit offsets)");
    return {};
  }
  return invalid_argument(fmt::format("unknown option '{}'", name));
}

}  // namespace

Result<MarArgs> parse_mar_args(const std::vector<std::string_view>& args) {
  MarArgs out;
  bool options_done = false;  // after "--" every argument is an operand
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "-h") {
      out.show_help = true;
      continue;
    }
    if (!options_done && arg == "--") {
      options_done = true;
      continue;
    }
    if (!options_done && arg.size() > 2 && arg.substr(0, 2) == "--") {
      BH_RETURN_IF_ERROR(parse_long_option(args, i, out));
      continue;
    }
    if (out.command != 0) {
      out.operands.emplace_back(arg);
      continue;
    }
    if (is_command_letter(arg)) {
      out.command = arg[1];
      continue;
    }
    auto value = [&](std::string_view flag) -> Result<std::string_view> {
      if (i + 1 >= args.size()) return fail(invalid_argument(fmt::format("{} needs a value", flag)));
      return args[++i];
    };
    if (arg == "-C") {
      BH_ASSIGN_OR_RETURN(std::string_view dir, value(arg));
      out.working_dir = out.working_dir.empty() ? std::filesystem::path(dir) : out.working_dir / dir;
    } else if (arg == "-H") {
      BH_ASSIGN_OR_RETURN(std::string_view v, value(arg));
      out.channel.emplace(v);
    } else if (arg == "-V") {
      BH_ASSIGN_OR_RETURN(std::string_view v, value(arg));
      out.version.emplace(v);
    } else if (arg == "-d") {
      BH_ASSIGN_OR_RETURN(std::string_view v, value(arg));
      out.nss_dir.emplace(v);
    } else if (arg.size() <= 3 && arg.substr(0, 2) == "-D") {
      // -D path, or -D<k> path where k counts up from 0 (Mozilla's rule).
      if (arg.size() == 3 && arg[2] != static_cast<char>('0' + out.public_keys.size())) {
        return fail(invalid_argument(fmt::format("{} out of order: the next certificate is -D{}", arg,
                                                 out.public_keys.size())));
      }
      if (out.public_keys.size() >= mar::kMaxSignatures) {
        return fail(invalid_argument(fmt::format("at most {} certificates", mar::kMaxSignatures)));
      }
      BH_ASSIGN_OR_RETURN(std::string_view v, value(arg));
      out.public_keys.emplace_back(v);
    } else if (arg.size() <= 3 && arg.substr(0, 2) == "-n") {
      // -n<i> right before -X / -I selects a signature; -n name names an NSS certificate.
      const bool next_is_signature_command = i + 1 < args.size() && (args[i + 1] == "-X" || args[i + 1] == "-I");
      if (arg.size() == 3 && next_is_signature_command) {
        if (arg[2] < '0' || arg[2] > '9') return fail(invalid_argument(fmt::format("{}: the index is a digit", arg)));
        out.signature_index = arg[2] - '0';
      } else {
        BH_ASSIGN_OR_RETURN(std::string_view v, value(arg));
        out.cert_names.emplace_back(v);
      }
    } else {
      return fail(invalid_argument(fmt::format("unknown option '{}'", arg)));
    }
  }
  if (out.command == 0 && !out.show_help && !out.show_version) {
    return fail(invalid_argument("no command given (-c, -t, -T, -x, -v, -s, -i, -r, -X or -I)"));
  }
  return out;
}

std::filesystem::path resolve_path(const MarArgs& args, const std::string& path) {
  const std::filesystem::path p(path);
  if (p.is_absolute() || args.working_dir.empty()) return p;
  return args.working_dir / p;
}

std::string mar_usage() {
  return R"(usage: buildhub mar [options] COMMAND ARGS

Mozilla's `mar` tool, with the same options in the same places.

Create a MAR file (files are stored as given unless --compress says otherwise):
  buildhub mar -H MARChannelID -V ProductVersion [-C workingDir] -c archive.mar [files...]
Extract a MAR file (raw entry bytes; --decompress writes the decompressed files):
  buildhub mar [-C workingDir] -x archive.mar
List entries ("SIZE\tMODE\tNAME" lines in index order):
  buildhub mar -t archive.mar
List with signatures and the product information block:
  buildhub mar -T archive.mar
Refresh the product information block of an unsigned MAR (in place when it fits):
  buildhub mar -H MARChannelID -V ProductVersion [-C workingDir] -i unsigned_archive.mar
Verify signatures (one -D per signature: DER or PEM certificate or public key; -D0 f -D1 g ...):
  buildhub mar [-C workingDir] -D DERFilePath -v signed_archive.mar
Sign with private keys (one --key per signature; NSS databases, -d/-n, are not supported):
  buildhub mar [-C workingDir] --key private.pem [--signature-algorithm sha384|sha1] -s in.mar out.mar
Strip the signatures:
  buildhub mar [-C workingDir] -r signed_input_archive.mar output_archive.mar
Export signature i as base64 / import it (same length) into a copy:
  buildhub mar [-C workingDir] -n(i) -X signed_input_archive.mar base_64_encoded_signature_file
  buildhub mar [-C workingDir] -n(i) -I signed_input_archive.mar base_64_encoded_signature_file out.mar

Options of our own (anywhere on the line):
  --compress xz|bzip2|none   -c: compress each entry (xz as Mozilla's packaging does it: LZMA2,
                             CRC64, single-threaded, deterministic; bzip2 -9 for updaters < 56)
  --x86                      -c --compress xz: add the x86 BCJ filter (x86/x86_64 binaries)
  --xz-preset N[e]           -c --compress xz: LZMA2 preset (default 6, what Mozilla's command gives)
  --unpadded-product-info    -c: write the product information block unpadded, as build-mar does
  --decompress               -x: write decompressed files (xz or bzip2, detected by magic)
  --json                     -t/-T: one JSON object instead of text
  --key FILE                 -s: a private key (PEM or DER, PKCS#8 or PKCS#1); repeat for more
  --signature-algorithm A    -s: sha384 (algorithm 2, the default) or sha1 (algorithm 1)
  --jobs N                   -c/-x: threads (default: one per core)
  --max-entry-size BYTES     -x --decompress: refuse larger entries (default 2 GiB)
  --max-mar-size BYTES       refuse larger MARs (default 500 MiB, libmar's limit)
  --version, --help

Exit status: 0 on success, 2 for a usage error, otherwise as docs/operations.md lists
(3: bad input such as a malformed MAR or a signature that does not verify).
)";
}

}  // namespace bh::cli
