// `buildhub mar`: Mozilla's `mar` tool over src/mar/ (see cli/mar_args.h for the command line).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/mar_args.h"
#include "core/byte_order.h"
#include "core/byte_view.h"
#include "core/file_descriptor.h"
#include "core/file_io.h"
#include "core/version.h"
#include "mar/mar_archive.h"
#include "mar/mar_files.h"
#include "mar/mar_signing.h"
#include "mar/mar_writer.h"

namespace bh::cli {
namespace {

constexpr std::size_t kMaxKeyFileSize = 1 << 20;

Status need_operands(const MarArgs& args, std::size_t at_least, std::string_view what) {
  if (args.operands.size() < at_least) {
    return invalid_argument(fmt::format("-{} needs {}", args.command, what));
  }
  return {};
}

Result<mar::ProductInformation> product_information_from(const MarArgs& args) {
  if (!args.version) return fail(invalid_argument("Version not specified (pass `-V <version>`)."));
  if (!args.channel) return fail(invalid_argument("MAR channel ID not specified (pass `-H <mar-channel-id>`)."));
  return mar::ProductInformation{*args.channel, *args.version};
}

Result<mar::MarArchive> open_archive(const MarArgs& args, const std::string& path) {
  return mar::MarArchive::open_file(resolve_path(args, path), mar::MarOpenOptions{args.max_mar_size});
}

Status write_output(const MarArgs& args, const std::string& path, std::string_view bytes) {
  return write_file_atomically(resolve_path(args, path), bytes);
}

std::string algorithm_name(std::uint32_t id) {
  switch (id) {
    case 1: return "rsa-pkcs1-sha1";
    case 2: return "rsa-pkcs1-sha384";
    default: return "unknown";
  }
}

void print_listing_json(const mar::MarArchive& archive) {
  nlohmann::json out;
  out["format"] = archive.has_signature_block() ? "new" : "old";
  out["file_size"] = archive.file_size();
  out["index_offset"] = archive.index_offset();
  out["signatures"] = nlohmann::json::array();
  for (const mar::MarSignature& s : archive.signatures()) {
    out["signatures"].push_back({{"algorithm_id", s.algorithm_id}, {"algorithm", algorithm_name(s.algorithm_id)},
                                 {"size", s.size}});
  }
  out["additional_sections"] = nlohmann::json::array();
  for (const mar::MarAdditionalSection& s : archive.additional_sections()) {
    out["additional_sections"].push_back({{"id", s.id}, {"size", s.size}});
  }
  if (const auto& pib = archive.product_information()) {
    out["product_information"] = {{"channel", pib->channel}, {"version", pib->version}};
  } else {
    out["product_information"] = nullptr;
  }
  out["warnings"] = archive.warnings();
  out["entries"] = nlohmann::json::array();
  for (const mar::MarEntry& e : archive.entries()) {
    out["entries"].push_back({{"name", e.name},
                              {"size", e.size},
                              {"offset", e.offset},
                              {"mode", fmt::format("0{:o}", e.flags)},
                              {"compression", compress::compression_name(compress::detect_compression(archive.entry_bytes(e)))}});
  }
  std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

Status list(const MarArgs& args) {
  BH_RETURN_IF_ERROR(need_operands(args, 1, "a MAR file"));
  // Mozilla's tool lists archives whose names or product information break the rules; so do
  // we, with a warning (extracting them stays refused).
  mar::MarOpenOptions options{args.max_mar_size};
  options.tolerate_for_listing = true;
  BH_ASSIGN_OR_RETURN(mar::MarArchive archive, mar::MarArchive::open_file(resolve_path(args, args.operands[0]), options));
  for (const std::string& w : archive.warnings()) std::fprintf(stderr, "warning: %s\n", w.c_str());
  if (args.json) {
    print_listing_json(archive);
    return {};
  }
  std::string out;
  if (args.command == 'T') {
    // Mozilla's -T header, line for line.
    if (archive.has_signature_block()) {
      const std::size_t n = archive.signatures().size();
      out += fmt::format("Signature block found with {} signature{}\n", n, n != 1 ? "s" : "");
    }
    if (archive.has_additional_sections()) {
      const std::size_t n = archive.additional_sections().size();
      out += fmt::format("{} additional block{} found:\n", n, n != 1 ? "s" : "");
    }
    if (const auto& pib = archive.product_information()) {
      out += fmt::format("  - Product Information Block:\n    - MAR channel name: {}\n    - Product version: {}\n",
                         pib->channel, pib->version);
    }
    out += "\n";
  }
  out += "SIZE\tMODE\tNAME\n";
  for (const mar::MarEntry& e : archive.entries()) out += fmt::format("{}\t0{:o}\t{}\n", e.size, e.flags, e.name);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return {};
}

Status create(const MarArgs& args) {
  BH_RETURN_IF_ERROR(need_operands(args, 1, "the MAR file to write, then the files to store"));
  BH_ASSIGN_OR_RETURN(mar::ProductInformation info, product_information_from(args));
  mar::CreateRequest request;
  request.product_information = std::move(info);
  request.compression = args.compression;
  request.xz = args.xz;
  request.pad_product_information = args.pad_product_information;
  request.max_file_size = args.max_mar_size;
  for (std::size_t i = 1; i < args.operands.size(); ++i) {
    request.files.push_back({args.operands[i], resolve_path(args, args.operands[i])});
  }
  Executor executor({.cpu_budget = args.jobs});  // --jobs: the process's CPU budget
  BH_ASSIGN_OR_RETURN(std::string bytes, mar::create_archive(request, executor));
  return write_output(args, args.operands[0], bytes);
}

Status extract(const MarArgs& args) {
  BH_RETURN_IF_ERROR(need_operands(args, 1, "a MAR file"));
  BH_ASSIGN_OR_RETURN(mar::MarArchive archive, open_archive(args, args.operands[0]));
  mar::ExtractRequest request;
  request.directory = args.working_dir.empty() ? std::filesystem::path(".") : args.working_dir;
  request.decompress = args.decompress;
  request.limits.max_output_bytes = args.max_entry_size;
  Executor executor({.cpu_budget = args.jobs});
  auto summary = mar::extract_archive(archive, request, executor);
  if (!summary) return summary.error();
  return {};
}

Result<std::vector<mar::MarKey>> load_keys(const MarArgs& args, const std::vector<std::string>& paths, bool private_keys) {
  std::vector<mar::MarKey> keys;
  for (const std::string& path : paths) {
    BH_ASSIGN_OR_RETURN(std::string bytes, read_file(resolve_path(args, path), kMaxKeyFileSize));
    const ByteView view = as_bytes(bytes);
    auto key = private_keys ? mar::MarKey::load_private(view) : mar::MarKey::load_public(view);
    if (!key) return fail(key.error().with_context(path));
    keys.push_back(std::move(*key));
  }
  return keys;
}

Status verify(const MarArgs& args) {
  BH_RETURN_IF_ERROR(need_operands(args, 1, "a MAR file"));
  if (args.public_keys.empty()) {
    if (args.nss_dir || !args.cert_names.empty()) {
      return invalid_argument("NSS certificate databases (-d/-n) are not supported: pass the certificate file with -D");
    }
    return invalid_argument("-v needs a certificate or public key per signature (-D file)");
  }
  BH_ASSIGN_OR_RETURN(std::vector<mar::MarKey> keys, load_keys(args, args.public_keys, false));
  BH_ASSIGN_OR_RETURN(mar::MarArchive archive, open_archive(args, args.operands[0]));
  return mar::verify_signatures(archive, keys);
}

Status sign(const MarArgs& args) {
  BH_RETURN_IF_ERROR(need_operands(args, 2, "the input MAR and the output MAR"));
  if (args.private_keys.empty()) {
    if (args.nss_dir || !args.cert_names.empty()) {
      return invalid_argument("NSS certificate databases (-d/-n) are not supported: sign with --key private-key.pem");
    }
    return invalid_argument("-s needs a private key per signature (--key file)");
  }
  BH_ASSIGN_OR_RETURN(std::vector<mar::MarKey> keys, load_keys(args, args.private_keys, true));
  std::vector<mar::SigningKey> signing;
  for (mar::MarKey& k : keys) signing.push_back({std::move(k), args.signature_algorithm});
  BH_ASSIGN_OR_RETURN(mar::MarArchive archive, open_archive(args, args.operands[0]));
  BH_ASSIGN_OR_RETURN(std::string bytes, mar::sign_archive(archive, signing));
  return write_output(args, args.operands[1], bytes);
}

Status strip(const MarArgs& args) {
  BH_RETURN_IF_ERROR(need_operands(args, 2, "the input MAR and the output MAR"));
  BH_ASSIGN_OR_RETURN(mar::MarArchive archive, open_archive(args, args.operands[0]));
  BH_ASSIGN_OR_RETURN(std::string bytes, mar::rebuild_with_signatures(archive, {}));
  return write_output(args, args.operands[1], bytes);
}

Status export_signature(const MarArgs& args) {
  BH_RETURN_IF_ERROR(need_operands(args, 2, "the signed MAR and the signature file to write"));
  if (args.signature_index < 0) return invalid_argument("Signature index was not passed (-n<i> before -X).");
  BH_ASSIGN_OR_RETURN(mar::MarArchive archive, open_archive(args, args.operands[0]));
  const auto index = static_cast<std::size_t>(args.signature_index);
  if (index >= archive.signatures().size()) {
    return invalid_argument(fmt::format("the MAR has {} signature(s); there is no signature {}",
                                        archive.signatures().size(), index));
  }
  const std::string text = mar::encode_signature_base64(archive.signature_bytes(archive.signatures()[index]));
  return write_output(args, args.operands[1], text);
}

Status import_signature(const MarArgs& args) {
  BH_RETURN_IF_ERROR(need_operands(args, 3, "the signed MAR, the signature file and the output MAR"));
  if (args.signature_index < 0) return invalid_argument("signature index was not passed (-n<i> before -I).");
  BH_ASSIGN_OR_RETURN(mar::MarArchive archive, open_archive(args, args.operands[0]));
  BH_ASSIGN_OR_RETURN(std::string text, read_file(resolve_path(args, args.operands[1]), kMaxKeyFileSize));
  BH_ASSIGN_OR_RETURN(std::string signature, mar::decode_signature_base64(text));
  BH_ASSIGN_OR_RETURN(std::string bytes,
                      mar::import_signature(archive, static_cast<std::size_t>(args.signature_index),
                                            as_bytes(signature)));
  return write_output(args, args.operands[2], bytes);
}

// Writes only the product information block when it fits in place, as `mar -i` does.
Status refresh_product_information(const MarArgs& args) {
  BH_RETURN_IF_ERROR(need_operands(args, 1, "a MAR file"));
  BH_ASSIGN_OR_RETURN(mar::ProductInformation info, product_information_from(args));
  const std::filesystem::path path = resolve_path(args, args.operands[0]);
  BH_ASSIGN_OR_RETURN(mar::MarArchive archive, open_archive(args, args.operands[0]));
  BH_ASSIGN_OR_RETURN(mar::ProductInformationRewrite rewrite, mar::rewrite_product_information(archive, info));
  if (rewrite.whole_file) return write_file_atomically(path, rewrite.bytes);
  const FileDescriptor fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return io_error(fmt::format("{}: cannot open for writing: {}", path.string(), std::strerror(errno)));
  const ssize_t n = ::pwrite(fd.get(), rewrite.bytes.data(), rewrite.bytes.size(), rewrite.offset);
  if (n != static_cast<ssize_t>(rewrite.bytes.size()) || ::fsync(fd.get()) != 0) {
    return io_error(path.string() + ": writing the product information block failed");
  }
  return {};
}

Status run(const MarArgs& args) {
  switch (args.command) {
    case 'c': return create(args);
    case 't':
    case 'T': return list(args);
    case 'x': return extract(args);
    case 'v': return verify(args);
    case 's': return sign(args);
    case 'r': return strip(args);
    case 'X': return export_signature(args);
    case 'I': return import_signature(args);
    case 'i': return refresh_product_information(args);
    default: return invalid_argument("unknown command");
  }
}

}  // namespace

int run_mar_command(const std::vector<std::string_view>& argv) {
  auto args = parse_mar_args(argv);
  if (!args) {
    std::fprintf(stderr, "buildhub mar: %s\n\n%s", args.error().message().c_str(), mar_usage().c_str());
    return 2;
  }
  if (args->show_help) {
    std::fputs(mar_usage().c_str(), stdout);
    return 0;
  }
  if (args->show_version) {
    fmt::print("buildhub mar {} ({})\n", version_info().version, version_info().commit);
    return 0;
  }
  const Status status = run(*args);
  if (!status) {
    std::fprintf(stderr, "buildhub mar: %s\n", status.message().c_str());
    return exit_code(status.code());
  }
  return 0;
}

}  // namespace bh::cli
